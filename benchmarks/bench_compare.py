"""Compare-stage throughput (passages per second) of splitting and embedding at 1k, 10k and
100k passages, each against a baseline run now, on the same machine, in the same run.

- splitting: ``compare.text.passages.split_passages`` (pysbd sentences, boilerplate, fragment merge,
  quote marks) on press releases from ``../shared/data/ukraine/*.csv`` (articles repeated under
  new ids to reach the size), against a naive ``re.split`` on ``[.!?]`` + space of the same texts;
- embedding: ``compare.embed.embed_texts`` with the real all-MiniLM-L6-v2 model on a new store
  (cold), then the same texts again on that store (warm: every vector from the cache). Each text
  is prefixed with its index so every one is distinct for the cache. The largest size is a flag
  (``--embed-sizes``): the real model runs ~158 sentences/s here, so 100k is ~10 min.

Every measurement runs in its own subprocess, so "peak MB" is that call's own peak resident
memory growth (ru_maxrss after the call minus resident memory just before it; inputs excluded).

Run: .venv/bin/python benchmarks/bench_compare.py [--split-sizes 1000,10000]
     [--embed-sizes 1000,10000]
"""
from __future__ import annotations

import argparse
import csv
import glob
import itertools
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

DATA = ROOT.parent / "shared" / "data" / "ukraine"
_NAIVE_SENTENCE = re.compile(r"(?<=[.!?])\s+")


# -- inputs -----------------------------------------------------------------------------------
def load_articles() -> list[Any]:
    """The Kremlin and president.gov.ua press releases as ``Article`` records (body column)."""
    from corpus.records import Article

    csv.field_size_limit(sys.maxsize)
    articles = []
    for path in sorted(glob.glob(str(DATA / "*.csv"))):
        outlet = Path(path).name.split("_")[0]
        with open(path, newline="", encoding="utf-8") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                if (row.get("body") or "").strip():
                    articles.append(Article(
                        article_id=f"{outlet}-{i}", source_id="", outlet=outlet,
                        url=row.get("link", ""), title=row.get("headline", ""), text=row["body"],
                    ))
    return articles


# -- measurements (each in its own process) ---------------------------------------------------
def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _measure(fn: Any) -> dict[str, float]:
    before = _rss_mb()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"seconds": seconds, "peak_mb": max(0.0, peak - before), "result": result}


def worker_split(size: int, method: str, dump: str) -> dict[str, Any]:
    """Split article copies (new ids, same text) until ``size`` passages, then the naive
    regex over exactly those articles. Only the splitting calls are timed."""
    import tracemalloc

    from compare.text.passages import split_passages

    articles = load_articles()
    chosen: list[Any] = []

    def split_until_size() -> list[Any]:
        passages: list[Any] = []
        for copy in itertools.count():
            for art in articles:
                article = art.replace(article_id=f"{art.article_id}#{copy}")
                chosen.append(article)
                passages.extend(split_passages(article))
                if len(passages) >= size:
                    return passages
        return passages

    out = _measure(split_until_size)
    passages = out.pop("result")
    Path(dump).write_text(json.dumps([p.text for p in passages]), encoding="utf-8")
    out["n"], out["articles"] = len(passages), len(chosen)
    del passages

    def naive() -> list[str]:
        return [s for a in chosen for s in _NAIVE_SENTENCE.split(a.text) if s]

    base = _measure(naive)
    base["n_pieces"] = len(base.pop("result"))
    # ru_maxrss already holds the pysbd peak, so the naive split's own peak is traced (untimed).
    tracemalloc.start()
    naive()
    base["peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    out["baseline"] = base
    return out


def worker_embed(size: int, method: str, texts_path: str, store_path: str) -> dict[str, Any]:
    from compare.embed.embedders import embed_texts, make_embedder
    from corpus.store import Store

    pool = json.loads(Path(texts_path).read_text(encoding="utf-8"))
    texts = [f"{i}. {pool[i % len(pool)]}" for i in range(size)]
    embedder = make_embedder("st:all-MiniLM-L6-v2")
    embedder.encode(["warm-up sentence for the model, not timed."] * 32)
    with Store(store_path) as store:
        out = _measure(lambda: embed_texts(texts, embedder, store))
    vectors = out.pop("result")
    out["n"] = len(vectors)
    return out


def _run_worker(*args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", *args], capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"worker {args} failed:\n{proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# -- table ------------------------------------------------------------------------------------
def _row(stage: str, size: int, ours: dict[str, Any], base: dict[str, Any] | None) -> str:
    rate = ours["n"] / ours["seconds"]
    if base is None:
        return f"| {stage} | {size:,} | {rate:,.0f} | - | - | {ours['peak_mb']:,.0f} |"
    base_rate = ours["n"] / base["seconds"]  # same input texts, so the same passage count
    peak = f"{ours['peak_mb']:,.0f} / {base['peak_mb']:,.0f}"
    return (f"| {stage} | {size:,} | {rate:,.0f} | {base_rate:,.0f} | {rate / base_rate:.3g} "
            f"| {peak} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split-sizes", default="1000,10000",
                        help="passage counts for splitting (pysbd runs ~100-190 passages/s "
                             "here on these long one-paragraph bodies, so 100000 takes 10+ min)")
    parser.add_argument("--embed-sizes", default="1000,10000",
                        help="passage counts for the real model (100000 takes ~10 min)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, size, method, *rest = args.worker
        fn = {"split": worker_split, "embed": worker_embed}[kind]
        print(json.dumps(fn(int(size), method, *rest)))
        return
    embed_sizes = [int(s) for s in args.embed_sizes.split(",") if s]
    wanted_split = [int(s) for s in args.split_sizes.split(",") if s]
    rows, notes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        texts_path = str(Path(tmp) / "texts.json")
        split_sizes = sorted(set(wanted_split) | ({max(embed_sizes)} if embed_sizes else set()))
        for size in split_sizes:
            ours = _run_worker("split", str(size), "both", texts_path)
            base = ours["baseline"]
            if size not in wanted_split:
                notes.append(f"(split {size:,} run only to get texts for embedding)")
                continue
            rows.append(_row("split (pysbd vs re.split)", size, ours, base))
            notes.append(f"split {size:,}: {ours['articles']:,} articles -> {ours['n']:,} "
                         f"passages (naive regex: {base['n_pieces']:,} pieces); "
                         f"{ours['seconds']:.1f} s vs {base['seconds']:.2f} s")
        if 100_000 not in wanted_split:
            notes.append("splitting at 100,000 passages is measured only when asked "
                         "(--split-sizes 1000,10000,100000; 10+ min at pysbd's speed here)")
        # texts.json now holds the passages of the largest split: embed from it.
        cold_rate = 0.0
        for size in embed_sizes:
            store_path = str(Path(tmp) / f"embed-{size}.db")
            cold = _run_worker("embed", str(size), "cold", texts_path, store_path)
            warm = _run_worker("embed", str(size), "warm", texts_path, store_path)
            rows.append(_row("embed cold (real model, new store)", size, cold, None))
            cold_rate = cold["n"] / cold["seconds"]
            rows.append(_row("embed warm (cache hit) vs cold", size, warm, cold))
            notes.append(f"embed {size:,}: cold {cold['seconds']:.1f} s, warm "
                         f"{warm['seconds']:.2f} s")
        if 100_000 not in embed_sizes:
            eta = f"~{100_000 / cold_rate / 60:.0f} min at this run's cold rate" if cold_rate \
                else "10+ min with the real model"
            notes.append("embedding at 100,000 passages is measured only when asked "
                         f"(--embed-sizes 1000,10000,100000; {eta})")
    print(f"machine: {os.cpu_count()} cores, shared with other jobs (timings are noisy); "
          f"ratio = Parallax / baseline rate; peak MB = Parallax / baseline peak RSS growth "
          f"during the call, each in its own process")
    print("| stage | size | Parallax passages/s | baseline passages/s | ratio | peak MB |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("\n".join(f"- {n}" for n in notes))


if __name__ == "__main__":
    main()
