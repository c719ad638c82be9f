"""``parallax export`` never overwrites anything by surprise, and a file system that refuses the
write is one readable line (issue 9, items 5 and 8).

Run through the real command (a subprocess, as a user runs it) on a small collected store."""
from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from corpus.collect import collect
from corpus.store import Store

MAGIC_SQLITE = b"SQLite format 3\x00"
ROOT = Path(__file__).resolve().parents[1]


def parallax(*args: str, cwd: Path | None = None, max_file_bytes: int | None = None
             ) -> subprocess.CompletedProcess[str]:
    """Run the command; ``max_file_bytes`` makes every write past that size fail (EFBIG), as a
    full disk would."""
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error from write(), not a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    # This checkout's code wherever the command runs (cwd may be a temporary folder).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run([sys.executable, "-m", "compare.cli", *args], check=False,
                          capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300,
                          preexec_fn=limit if max_file_bytes else None)


def one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """The one error line of a failed run, checked to name each of ``words``."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """40 articles whose export (about 60 KB) is larger than the 40 KB 'disk' below, which
    still leaves room for SQLite's 32 KB shared-memory file when reading the store."""
    folder = tmp_path_factory.mktemp("export-files")
    rows = [{"id": f"r{n}", "outlet": f"Outlet {n % 3}", "url": f"https://o{n}.example/{n}",
             "title": f"Story {n}: " + "long title " * 120, "published": "2022-03-29",
             "text": f"Text of story {n}."}
            for n in range(40)]
    records = folder / "r.jsonl"
    records.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    path = folder / "s.db"
    with Store(path) as db:
        collect([str(records)], db)
    return path


def store_is_intact(path: Path) -> None:
    assert path.read_bytes()[:16] == MAGIC_SQLITE
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 40


# -- issue 9, item 8: nothing is overwritten --------------------------------------------------

def test_refuses_to_write_onto_the_store(store):
    for force in ([], ["--force"]):
        done = parallax("export", "articles", "--store", str(store), "--out", str(store), *force)
        one_line_error(done, str(store), "store")
        store_is_intact(store)


def test_refuses_the_store_through_a_symlink_or_a_hard_link(store, tmp_path):
    soft, hard = tmp_path / "soft.csv", tmp_path / "hard.csv"
    soft.symlink_to(store)
    os.link(store, hard)
    for out in (soft, hard):
        done = parallax("export", "articles", "--store", str(store), "--out", str(out),
                        "--force")
        one_line_error(done, str(out), "store")
        store_is_intact(store)
    assert soft.is_symlink() and os.path.samefile(hard, store)


def test_an_existing_file_needs_force(store, tmp_path):
    out = tmp_path / "articles.csv"
    out.write_text("keep me", encoding="utf-8")
    done = parallax("export", "articles", "--store", str(store), "--out", str(out))
    one_line_error(done, str(out), "--force")
    assert out.read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / "articles.csv.provenance.json").exists()
    done = parallax("export", "articles", "--store", str(store), "--out", str(out), "--force")
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(out)) == 40


def test_an_existing_provenance_sidecar_needs_force_too(store, tmp_path):
    out = tmp_path / "articles.csv"
    sidecar = tmp_path / "articles.csv.provenance.json"
    sidecar.write_text("mine", encoding="utf-8")
    done = parallax("export", "articles", "--store", str(store), "--out", str(out))
    one_line_error(done, str(sidecar), "--force")
    assert sidecar.read_text(encoding="utf-8") == "mine" and not out.exists()


def test_a_symlink_is_never_followed(store, tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("precious", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    done = parallax("export", "articles", "--store", str(store), "--out", str(link))
    one_line_error(done, str(link), "symlink")
    done = parallax("export", "articles", "--store", str(store), "--out", str(link), "--force")
    assert done.returncode == 0, done.stderr
    assert target.read_text(encoding="utf-8") == "precious"  # the target is untouched
    assert not link.is_symlink() and len(pd.read_csv(link)) == 40  # the link itself replaced


def test_a_device_or_pipe_is_never_replaced(store, tmp_path):
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    for out in (pipe, Path(os.devnull)):
        done = parallax("export", "articles", "--store", str(store), "--out", str(out),
                        "--format", "csv", "--force")
        one_line_error(done, str(out), "not a regular file")
    assert stat.S_ISFIFO(pipe.lstat().st_mode) and stat.S_ISCHR(os.lstat(os.devnull).st_mode)


def test_default_name_follows_the_format(store, tmp_path):
    done = parallax("export", "articles", "--store", str(store), "--format", "parquet",
                    cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_parquet(tmp_path / "parallax-articles.parquet")) == 40
    assert (tmp_path / "parallax-articles.parquet.provenance.json").exists()
    assert not list(tmp_path.glob("*.csv"))


def test_format_is_inferred_from_the_suffix_and_a_conflict_is_an_error(store, tmp_path):
    out = tmp_path / "a.parquet"
    done = parallax("export", "articles", "--store", str(store), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert len(pd.read_parquet(out)) == 40
    clash = parallax("export", "articles", "--store", str(store), "--format", "csv",
                     "--out", str(tmp_path / "b.parquet"))
    one_line_error(clash, "b.parquet", "csv")
    assert not (tmp_path / "b.parquet").exists()


# -- issue 9, item 5: file system errors are one readable line --------------------------------

def test_out_is_a_folder(store, tmp_path):
    done = parallax("export", "articles", "--store", str(store), "--out", str(tmp_path))
    one_line_error(done, str(tmp_path), "folder")


def test_out_inside_a_file(store, tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    done = parallax("export", "articles", "--store", str(store),
                    "--out", str(blocker / "x.csv"))
    one_line_error(done, str(blocker), "not a folder")
    assert blocker.read_text(encoding="utf-8") == "a file, not a folder"


@contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """``folder`` made unwritable: by mode for a normal user, immutable for root."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)
        return
    locked = subprocess.run(["chattr", "+i", str(folder)], check=False, capture_output=True)
    if locked.returncode != 0:
        pytest.skip("running as root where chattr +i is not allowed: cannot deny a write")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_no_permission(store, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    with unwritable(folder):
        done = parallax("export", "articles", "--store", str(store),
                        "--out", str(folder / "a.csv"))
    one_line_error(done, str(folder / "a.csv"), "permission")
    assert not list(folder.iterdir())


def test_disk_full_leaves_no_half_file_and_keeps_the_old_one(store, tmp_path):
    fresh = tmp_path / "fresh.csv"
    done = parallax("export", "articles", "--store", str(store), "--out", str(fresh),
                    max_file_bytes=40_000)
    one_line_error(done, str(fresh), "full")
    assert not list(tmp_path.iterdir())  # no half file, no temporary file, no sidecar
    out = tmp_path / "articles.csv"
    out.write_text("old export", encoding="utf-8")
    done = parallax("export", "articles", "--store", str(store), "--out", str(out), "--force",
                    max_file_bytes=40_000)
    one_line_error(done, str(out), "full")
    assert out.read_text(encoding="utf-8") == "old export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["articles.csv"]
