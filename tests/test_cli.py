"""The ``parallax`` command as a user runs it: one readable line per problem, exit codes,
exports with the documented columns and provenance."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pandas as pd
import pytest

from compare.export.writer import ARTICLE_COLUMNS


def parallax(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compare.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300, check=False)


@pytest.fixture
def records(tmp_path):
    path = tmp_path / "r.jsonl"
    rows = [{"id": f"r{n}", "outlet": o, "url": f"https://{o.lower()}.example/{n}",
             "title": f"Story {n}", "published": "2022-03-29", "text": f"Text of story {n}."}
            for n, o in enumerate(["Alpha", "Beta", "Gamma"])]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n", encoding="utf-8")
    return path


def test_collect_reports_failures_in_one_line_and_strict_exit(tmp_path, records):
    db = str(tmp_path / "s.db")
    done = parallax("collect", str(records), "--store", db)
    assert done.returncode == 0
    assert "3 stored" in done.stdout and "1 failed" in done.stdout
    (line,) = [ln for ln in done.stderr.splitlines() if ln.startswith("failed")]
    assert f"{records}#4" in line and "not valid JSON" in line
    assert "Traceback" not in done.stderr
    strict = parallax("collect", str(records), "--store", db, "--strict")
    assert strict.returncode == 1 and "3 already in store" in strict.stdout


def test_status_lists_failures(tmp_path, records):
    db = str(tmp_path / "s.db")
    parallax("collect", str(records), "--store", db)
    shown = parallax("status", "--store", db)
    assert "3 articles" in shown.stdout and "not valid JSON" in shown.stdout


def test_analyze_says_what_it_computed_and_what_it_reused(tmp_path, records):
    db = str(tmp_path / "s.db")
    parallax("collect", str(records), "--store", db)
    first = parallax("analyze", "--store", db, "--lite")
    assert first.returncode == 0, first.stderr
    assert "Work: 3 articles split" in first.stdout and "texts embedded" in first.stdout
    again = parallax("analyze", "--store", db, "--lite")
    assert "Nothing changed since this run" in again.stdout
    (tmp_path / "parallax.toml").write_text("[framing]\ntop_terms = 3\n", encoding="utf-8")
    reframed = parallax("analyze", "--store", db, "--lite", cwd=tmp_path)
    assert "0 articles split, 0 texts embedded, 0 events computed" in reframed.stdout
    assert "framing recomputed" in reframed.stdout


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl", "xlsx"])
def test_export_articles_columns_and_provenance(tmp_path, records, fmt):
    db = str(tmp_path / "s.db")
    parallax("collect", str(records), "--store", db)
    out = tmp_path / f"articles.{fmt}"
    done = parallax("export", "articles", "--format", fmt, "--out", str(out), "--store", db)
    assert done.returncode == 0, done.stderr
    frame = {"csv": pd.read_csv, "parquet": pd.read_parquet, "xlsx": pd.read_excel,
             "jsonl": lambda p: pd.read_json(p, lines=True)}[fmt](out)
    assert list(frame.columns) == ARTICLE_COLUMNS
    assert sorted(frame["source_id"]) == ["r0", "r1", "r2"]
    sidecar = json.loads((tmp_path / f"articles.{fmt}.provenance.json").read_text())
    assert sidecar["rows"] == 3 and len(sidecar["inputs"]) == 3


def test_user_mistakes_are_one_line_not_a_traceback(tmp_path):
    missing = parallax("export", "passages", "--out", str(tmp_path / "x.csv"),
                       "--store", str(tmp_path / "none.db"))
    assert missing.returncode == 1
    assert "parallax collect" in missing.stderr and "Traceback" not in missing.stderr
    db = str(tmp_path / "s.db")
    parallax("collect", str(tmp_path / "nothing.jsonl"), "--store", db)
    no_run = parallax("export", "passages", "--out", str(tmp_path / "x.csv"), "--store", db)
    assert no_run.returncode == 1 and "parallax analyze" in no_run.stderr
    bad = parallax("export", "nonsense", "--out", str(tmp_path / "x.csv"), "--store", db)
    assert bad.returncode == 1 and "choose one of" in bad.stderr


def test_demo_offline_says_so_in_one_line(tmp_path):
    from compare.workflows import online

    if online():
        pytest.skip("this machine is online; the offline message cannot be shown")
    done = parallax("demo", "--no-dashboard", "--store", str(tmp_path / "d.db"))
    assert done.returncode == 2
    (line,) = done.stdout.strip().splitlines()
    assert line.startswith("Offline") and "parallax demo --source DIR" in line


def test_paths_with_a_name_over_255_bytes_are_one_line(tmp_path, records):
    """Issue 26 F6: a name the file system refuses (ENAMETOOLONG) is a user mistake, said in
    one line with exit 1, wherever the path is given; a 250-byte --out fails through its
    sidecar's name the same way."""
    db = str(tmp_path / "s.db")
    parallax("collect", str(records), "--store", db)
    long = str(tmp_path / ("a" * 300))
    for args in (("status", "--store", long + ".db"),
                 ("export", "articles", "--store", db, "--out", long + ".csv"),
                 ("export", "articles", "--store", db, "--out", str(tmp_path / ("b" * 246)) + ".csv"),
                 ("collect", str(records), "--store", db, "--registry", long + ".csv"),
                 ("collect", str(records), "--store", db, "--seed", long + ".txt")):
        done = parallax(*args)
        assert done.returncode == 1, args
        assert "Traceback" not in done.stderr, args
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith("parallax: ") and "too long" in line, (args, line)
    assert not list(tmp_path.glob("b*"))  # nothing half written beside the long --out


@pytest.mark.parametrize("registry", ['[outlets.Reuters\ndomains = ["reuters.com"]\n',
                                      'Reuters = "reuters.com"\n', 'outlets = 3\n'])
def test_a_broken_toml_registry_is_one_line_and_stores_nothing(tmp_path, records, registry):
    """A registry that is not TOML, or whose outlets are not tables, is the user's mistake:
    one line, exit 1, no traceback, and the store is not touched."""
    db, path = tmp_path / "s.db", tmp_path / "outlets.toml"
    path.write_text(registry, encoding="utf-8")
    done = parallax("collect", str(records), "--store", str(db), "--registry", str(path))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("parallax: outlet registry ") and "outlets.toml" in line, line
    if db.exists():  # opened before the registry was read, and left empty
        with sqlite3.connect(db) as con:
            assert con.execute("SELECT COUNT(*) FROM articles").fetchone() == (0,)
