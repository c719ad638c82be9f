"""The analysis on Ray against the local engine, and how its cost grows with the corpus.

Corpora: ``bench_analyze.py``'s (``1k``: real articles; larger sizes: the real articles, then
shuffled copies dated ``1000 * c`` days later, so copies form new events), written to a fresh
store per measurement. Every measurement runs in its own process, so "driver peak MB" is that
process's peak resident memory (imports, the models it loads, the run); Ray's workers are
separate processes and not in it.

- ``--models 1k``: a cold run with the real models, ``--engine local`` and ``--engine ray``
  (Ray started in the process with 2 CPUs), one after the other on the same machine: Ray's
  overhead is the ratio of their seconds (goal <= 1.15), and both must give the same run id
  and the same exported tables (SHA-256 of every table's CSV).
- ``--lite 10k,100k``: a cold run with the hashing embedder through Ray: seconds and cost per
  1,000 articles per size (goal: flat within 1.3x), the events stage per 1,000 articles, and
  the driver's peak memory.
- ``--events 10k,100k``: the event grouping alone (``EventGrouper`` on the corpus' texts):
  every pair scored against the approximate index (``exact_up_to``), seconds per 1,000
  articles, the share of the exact graph's edges at or above the merge threshold that the
  approximate graph keeps, and the B-cubed F1 of the approximate events against every pair's
  (every pair is only measured where asked, ``--exact``).

Run: .venv/bin/python benchmarks/bench_scale.py [--models 1k] [--lite 10k,100k]
     [--events 10k,100k] [--exact 10k] [--ray-cpus 2]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_analyze

from compare.training.metrics import b_cubed

ROOT = Path(__file__).resolve().parents[1]
LITE_EMBEDDER = bench_analyze.LITE_EMBEDDER
COUNTS = {"1k": 1000, "10k": 10_000, "20k": 20_000, "50k": 50_000, "100k": 100_000}


def records(size: str) -> list[dict[str, Any]]:
    """``bench_analyze``'s corpus of this size (copies of the real articles beyond them)."""
    if size in bench_analyze.SIZES:
        return bench_analyze.corpus_records(size)
    real = _real()
    return real + list(bench_analyze._copies(real, COUNTS[size] - len(real)))


def _real() -> list[dict[str, Any]]:
    fixed = bench_analyze._distinct([r for rel in bench_analyze.JSONL_SOURCES
                                     for r in bench_analyze._jsonl(rel)])
    releases = bench_analyze._distinct(fixed + bench_analyze.press_releases())[len(fixed):]
    return [{**r, "published": r.get("published") or bench_analyze.UNDATED}
            for r in fixed + releases]


_peak_mb = bench_analyze._peak_mb

# -- workers (each in its own process) --------------------------------------------------------
def worker_analyze(store_path: str, engine: str, embedder: str, cpus: str, digest: str
                   ) -> dict[str, Any]:
    """One cold ``analyze`` on the store with this engine, timed, and its tables' digests
    where asked (``digest == "yes"``: the export reads the whole run back once per table)."""
    from compare.analyze import analyze
    from compare.export.writer import EXPORTABLE, table, to_bytes
    from corpus.store import Store

    with Store(store_path) as store:
        start = time.perf_counter()
        run = analyze(store, embedder=embedder or None, engine=engine,
                      engine_settings={"num_cpus": int(cpus)} if engine == "ray" else None)
        seconds = time.perf_counter() - start
        peak = _peak_mb()
        digests = {what: hashlib.sha256(to_bytes(table(store, what)[0], "csv", {})).hexdigest()
                   for what in EXPORTABLE if what != "articles" and digest == "yes"}
    counted = run.summary()  # counted in the store: reading the tables back would cost GBs
    return {"seconds": seconds, "stages": run.stages, "work": run.work, "peak_mb": peak,
            "run_id": run.run_id, "tables": digests, "failed": len(run.failed_events),
            "articles": counted["articles"], "passages": counted["passages"],
            "events": counted["events"]}


def worker_events(size: str, exact_up_to: str) -> dict[str, Any]:
    """The event grouping alone on the corpus' texts and dates."""
    from compare.events.grouper import EventGrouper

    rows = records(size)
    texts = [f"{r.get('title', '')}\n\n{r['text']}" for r in rows]
    grouper = EventGrouper(exact_up_to=None if exact_up_to == "none" else int(exact_up_to))
    start = time.perf_counter()
    grouper.fit(texts, [r["published"] for r in rows])
    seconds = time.perf_counter() - start
    graph = grouper.graph_.tocoo()
    strong = graph.data >= grouper.threshold_
    return {"seconds": seconds, "peak_mb": _peak_mb(), "n": len(rows),
            "events": grouper.n_events_, "labels": grouper.labels_.tolist(),
            "strong": [[int(i), int(j)] for i, j in zip(graph.row[strong], graph.col[strong],
                                                        strict=True)]}


def _run_worker(*args: str) -> dict[str, Any]:
    return bench_analyze.run_worker(__file__, *args)


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _store(tmp: str, name: str, size: str) -> str:
    path = str(Path(tmp) / f"{name}.db")
    bench_analyze.add_records(path, records(size))
    return path


# -- measurements -----------------------------------------------------------------------------
def measure_models(size: str, tmp: str, cpus: int) -> list[str]:
    runs = {}
    for engine in ("local", "ray"):
        _progress(f"{size} with the models, --engine {engine}")
        runs[engine] = _run_worker("analyze", _store(tmp, f"models-{engine}", size), engine, "",
                                   str(cpus), "yes")
    local, ray = runs["local"], runs["ray"]
    same = ray["run_id"] == local["run_id"] and ray["tables"] == local["tables"]
    lines = [(f"{size} with the models ({local['articles']:,} articles, {local['passages']:,} "
              f"passages): local {local['seconds']:.1f} s, Ray local mode ({cpus} CPUs) "
              f"{ray['seconds']:.1f} s: Ray / local = {ray['seconds'] / local['seconds']:.3f} "
              f"(goal <= 1.15); same run id and tables: {same}")]
    for engine, run in runs.items():
        stages = ", ".join(f"{k} {v:.1f}" for k, v in run["stages"].items())
        lines.append(f"  {engine}: stages s: {stages}; driver peak {run['peak_mb']:,.0f} MB")
    return lines


def measure_lite(sizes: list[str], tmp: str, cpus: int) -> list[str]:
    lines, per_k = [], {}
    for size in sizes:
        _progress(f"{size} hashing embedder through Ray: writing the store")
        store = _store(tmp, f"lite-{size}", size)
        _progress(f"{size} hashing embedder through Ray: cold run")
        run = _run_worker("analyze", store, "ray", LITE_EMBEDDER, str(cpus), "no")
        thousands = run["articles"] / 1000
        per_k[size] = (run["seconds"] / thousands, run["stages"].get("events", 0) / thousands)
        stages = ", ".join(f"{k} {v / thousands:.2f}" for k, v in run["stages"].items())
        lines.append(f"{size} ({run['articles']:,} articles, {run['passages']:,} passages, "
                     f"{run['events']:,} events) through Ray ({cpus} CPUs): {run['seconds']:.1f}"
                     f" s, {per_k[size][0]:.2f} s per 1,000 articles (stages per 1,000: "
                     f"{stages}); driver peak {run['peak_mb']:,.0f} MB; failed events "
                     f"{run['failed']}")
        Path(store).unlink()
    if len(sizes) > 1:
        first, last = sizes[0], sizes[-1]
        lines.append(f"growth {first} -> {last}: cost per 1,000 articles x"
                     f"{per_k[last][0] / per_k[first][0]:.2f} (goal <= 1.3), events stage per "
                     f"1,000 x{per_k[last][1] / per_k[first][1]:.2f}")
    return lines


def measure_events(sizes: list[str], exact: set[str]) -> list[str]:
    lines, per_k = [], {}
    for size in sizes:
        _progress(f"{size}: event grouping, approximate index")
        approx = _run_worker("events", size, "0")
        per_k[size] = approx["seconds"] / (approx["n"] / 1000)
        line = (f"{size} event grouping ({approx['n']:,} articles, {approx['events']:,} events),"
                f" approximate index: {approx['seconds']:.1f} s, {per_k[size]:.2f} s per 1,000 "
                f"articles, peak {approx['peak_mb']:,.0f} MB")
        if size in exact:
            _progress(f"{size}: event grouping, every pair")
            full = _run_worker("events", size, "none")
            kept = {tuple(p) for p in approx["strong"]}
            recall = sum(tuple(p) in kept for p in full["strong"]) / max(1, len(full["strong"]))
            agree = b_cubed(approx["labels"], full["labels"])[2]
            line += (f"; every pair: {full['seconds']:.1f} s (approximate / every pair = "
                     f"{approx['seconds'] / full['seconds']:.3f}); edges at or above the "
                     f"threshold kept {recall:.4f}; B-cubed F1 of the approximate events "
                     f"against every pair's {agree:.4f}")
        lines.append(line)
    if len(sizes) > 1:
        lines.append(f"events per 1,000 articles {sizes[0]} -> {sizes[-1]}: "
                     f"x{per_k[sizes[-1]] / per_k[sizes[0]]:.2f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="", help="size with the real models: 1k")
    parser.add_argument("--lite", default="", help="sizes through Ray, hashing embedder")
    parser.add_argument("--events", default="", help="sizes for the event grouping alone")
    parser.add_argument("--exact", default="", help="sizes whose grouping also scores every pair")
    parser.add_argument("--ray-cpus", type=int, default=2)
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        print(json.dumps({"analyze": worker_analyze, "events": worker_events}[kind](*rest)))
        return
    split = {name: [s for s in getattr(args, name).split(",") if s]
             for name in ("models", "lite", "events", "exact")}
    unknown = sorted({s for sizes in split.values() for s in sizes} - set(COUNTS))
    if unknown:
        parser.error(f"unknown size(s) {', '.join(unknown)}: use {', '.join(COUNTS)}")
    load_before = os.getloadavg()
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in split["models"]:
            lines += measure_models(size, tmp, args.ray_cpus)
        if split["lite"]:
            lines += measure_lite(split["lite"], tmp, args.ray_cpus)
    if split["events"]:
        lines += measure_events(split["events"], set(split["exact"]))
    load_after = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, shared with other jobs (load average "
          f"{load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end); each run in its "
          f"own process")
    print("\n".join(f"- {line}" for line in lines))


if __name__ == "__main__":
    main()
