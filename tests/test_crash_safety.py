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
