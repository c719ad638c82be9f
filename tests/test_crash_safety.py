"""A collection killed with SIGKILL mid-run and started again ends with every article exactly
once and the store intact."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

from corpus.collect import collect
from corpus.store import Store

N = 3000


def _source(tmp_path):
    path = tmp_path / "many.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for n in range(N):
            text = f"Report {n}: " + " ".join(f"word{n}_{k}" for k in range(60))
            handle.write(json.dumps({"id": f"r{n}", "outlet": f"Outlet {n % 7}",
                                     "url": f"https://news.example/{n}", "title": f"T{n}",
                                     "text": text}) + "\n")
    return path


def _count(db):
    try:
        with sqlite3.connect(db, timeout=30) as con:
            return con.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_sigkill_mid_collection_then_rerun(tmp_path):
    src, db = _source(tmp_path), tmp_path / "s.db"
    code = ("import sys; from corpus.collect import collect; from corpus.store import Store;"
            "collect([sys.argv[1]], Store(sys.argv[2]))")
    proc = subprocess.Popen([sys.executable, "-c", code, str(src), str(db)],
                            cwd=os.getcwd(), env={**os.environ})
    deadline = time.monotonic() + 120
    while _count(db) < 300 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the collection finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = _count(db)
    assert 0 < partial < N

    with Store(db) as store:
        report = collect([str(src)], store)
        articles = store.articles()
    assert report.count("unchanged") >= partial
    assert len(articles) == N
    assert len({a.source_id for a in articles}) == N
    assert all(a.text.startswith(f"Report {a.source_id[1:]}:") for a in articles)
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# An analysis killed at its worst moment: every result row of the new run written, the run
# not yet marked finished (the kill comes from inside finish_run's transaction), or
# mid-computation (some waves' rows written).
_KILLED_ANALYSIS = """
import os, signal, sys
import compare.analyze as analyze_module
import compare.waves as waves_module
from corpus.store import Store
where = sys.argv[2]
if where == "write":
    Store._prune_results = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
else:
    waves_module.framing_signals = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
with Store(sys.argv[1]) as store:
    analyze_module.analyze(store, embedder="hashing:512")
"""


def _kill_analysis(store_path, where):
    done = subprocess.run([sys.executable, "-c", _KILLED_ANALYSIS, str(store_path), where],
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr


def test_analysis_killed_mid_run_leaves_the_previous_run_readable(tmp_path):
    from compare.analyze import analyze
    from compare.runs import RESULT_TABLES, load_run
    from tests.analysis_fixture import write_records

    path = tmp_path / "s.db"
    with Store(path) as store:
        collect([str(write_records(tmp_path))], store)
        before = analyze(store, embedder="hashing:512")
        extra = tmp_path / "more.jsonl"
        extra.write_text(json.dumps({"id": "late", "outlet": "Late Wire", "url": "https://l.example/1",
                                     "title": "Istanbul talks", "published": "2022-03-30",
                                     "text": "Talks in Istanbul ended without a ceasefire."}) + "\n")
        collect([str(extra)], store)
    for where in ("compute", "write"):
        _kill_analysis(path, where)
        with Store(path, readonly=True) as store:
            again = load_run(store)
            assert again.run_id == before.run_id
            for name in RESULT_TABLES:
                assert len(again.frames[name]) == len(before.frames[name]), (where, name)
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Store(path) as store:  # and the next analysis completes, without the killed rows
        after = analyze(store, embedder="hashing:512")
        assert after.run_id != before.run_id
        assert after.passages["passage_id"].is_unique
        assert len(after.events) == len(before.events) + 1
