"""Extraction and store throughput (articles per second), each against a baseline run now.

- extraction: ``corpus.extract.extract_page`` (trafilatura, boilerplate removal, metadata) on
  the saved pages in tests/data, against lxml's plain ``text_content()`` (no boilerplate
  removal) on the same bytes;
- store: ``collect`` of JSONL records (identity, exact and MinHash near-duplicate checks, one
  transaction per article for crash safety), against a bare SQLite ``executemany`` of the same
  rows in one transaction (no checks, no safety).

Run: .venv/bin/python benchmarks/bench_collect.py [--records N]
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import lxml.etree
import lxml.html

from corpus.collect import collect
from corpus.errors import ExtractError
from corpus.extract import extract_page
from corpus.store import Store

ROOT = Path(__file__).resolve().parents[1]


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def bench_extraction(repeat: int = 40) -> tuple[float, float]:
    pages = [p.read_bytes() for p in sorted((ROOT / "tests" / "data").glob("*.html"))
             if p.stat().st_size > 0]
    start = time.perf_counter()
    done = 0
    for _ in range(repeat):
        for body in pages:
            try:
                extract_page(body, url="https://example.org/a", content_type="text/html")
            except ExtractError:
                pass
            done += 1
    ours = _rate(done, time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(repeat):
        for body in pages:
            try:
                lxml.html.fromstring(body).text_content()
            except lxml.etree.ParserError:
                pass
    base = _rate(done, time.perf_counter() - start)
    return ours, base


def _records(path: Path, n: int) -> list[dict[str, str]]:
    rows = []
    words = ["talks", "delegation", "ceasefire", "Istanbul", "Kyiv", "Moscow", "guarantees", "treaty", "sanctions"]
    for i in range(n):
        body = " ".join(words[(i * 7 + k) % len(words)] + str(k % 13) for k in range(400))
        rows.append({"id": f"r{i}", "outlet": f"Outlet {i % 9}", "url": f"https://n.example/{i}",
                     "title": f"Report {i}", "published": "2022-03-29", "text": f"{i} {body}"})
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return rows


def bench_store(n: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "records.jsonl"
        rows = _records(src, n)
        start = time.perf_counter()
        with Store(Path(tmp) / "s.db") as store:
            collect([str(src)], store)
        ours = _rate(n, time.perf_counter() - start)
        start = time.perf_counter()
        con = sqlite3.connect(Path(tmp) / "bare.db")
        con.execute("CREATE TABLE a (id, outlet, url, title, published, text)")
        with con:
            con.executemany("INSERT INTO a VALUES (?, ?, ?, ?, ?, ?)",
                            [tuple(r.values()) for r in rows])
        con.close()
        base = _rate(n, time.perf_counter() - start)
    return ours, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    args = parser.parse_args()
    ex, ex_base = bench_extraction()
    st, st_base = bench_store(args.records)
    print("| stage | Parallax (articles/s) | baseline (articles/s) | ratio |")
    print("|---|---|---|---|")
    print(f"| extraction (trafilatura vs lxml text_content) | {ex:,.0f} | {ex_base:,.0f} | "
          f"{ex / ex_base:.3f} |")
    print(f"| store via collect ({args.records} records vs bare executemany) | {st:,.0f} | "
          f"{st_base:,.0f} | {st / st_base:.4f} |")


if __name__ == "__main__":
    main()
