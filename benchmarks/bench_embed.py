"""Embedding throughput (passages per second) of the project's path against the raw encoder, on
the same texts, in one run, on this machine; and the startup time of the light CLI commands.

Texts: ``--n`` distinct passages cut by ``compare.text.passages.split_passages`` from the BASIL
articles in ``../shared/data/basil`` (the project's real input: news passages, ~30 tokens on
average, a long tail to the model's 256-token cut).

Measured, interleaved in rounds (``--repeat``) inside one process that loaded every model once,
so machine load hits each path alike; the table shows the median round and the best one:
- (a) raw: ``SentenceTransformer.encode`` of the packaged all-MiniLM-L6-v2 at its best batch
  size and torch thread count of those tried (``--raw-batches``, ``--raw-threads``), the
  library's own length sort, all texts in one call;
- (b) ``embed_texts`` cold: the project's path on a new store (token-length sort over the whole
  job, cache writes every ``CHUNK_SIZE`` texts);
- (c) ``embed_texts`` warm: the same texts again on that store (every vector from the cache);
- (d) ``use:multilingual-v3`` through ``embed_texts`` cold (the multilingual embedder), and
  ``e5:multilingual-small`` (the wide encoder, run only for events with a language outside
  the multilingual encoder's);
- (e) ``onnx:all-MiniLM-L6-v2`` (fp32) and ``onnx-int8:all-MiniLM-L6-v2`` through
  ``embed_texts`` cold, when onnxruntime is installed (``pip install '.[onnx]'``); the first
  run exports them into the user cache (untimed);
- ratio = rate / rate of (a); "of limit" = rate / 250 passages/s, the physical limit of
  MiniLM-L6 on these 2 AVX2 cores (issue 8).
Startup: wall time of ``parallax --help``, ``status`` and ``export articles`` on a tiny store
(a fresh interpreter each, median of 5).

Run: .venv/bin/python benchmarks/bench_embed.py [--n 2000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

DATA = ROOT.parent / "shared" / "data" / "basil" / "articles.jsonl"
LIMIT = 250.0  # MiniLM-L6 sentences/s on 2 AVX2 cores (issue 8)


def load_passages(n: int) -> list[str]:
    """The first ``n`` distinct BASIL passages, as the project cuts them."""
    from compare.text.passages import split_passages
    from corpus.records import Article

    texts: dict[str, None] = {}
    with DATA.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            article = Article(article_id=row["id"], source_id=row["id"], outlet=row["outlet"],
                              url=row["url"], title=row["title"], text=row["text"])
            texts.update(dict.fromkeys(p.text for p in split_passages(article)))
            if len(texts) >= n:
                break
    return list(texts)[:n]


def _timed(fn: Callable[[], Any], n: int) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"rate": n / wall, "cpu_rate": n / cpu}


def measure(texts: list[str], repeat: int, raw_batches: list[int],
            raw_threads: list[int]) -> dict[str, list[dict]]:
    """Every path, ``repeat`` interleaved rounds; a new store for each cold measurement."""
    import torch

    from compare.embed.embedders import embed_texts, make_embedder
    from corpus.store import Store

    st = make_embedder("st:all-MiniLM-L6-v2")
    others = [make_embedder("use:multilingual-v3"), make_embedder("e5:multilingual-small")]
    if importlib.util.find_spec("onnxruntime") is not None:
        others += [make_embedder("onnx:all-MiniLM-L6-v2"),
                   make_embedder("onnx-int8:all-MiniLM-L6-v2")]
    raw = st.model  # type: ignore[attr-defined]
    warm_up = texts[:64]
    for batch in raw_batches:
        raw.encode(warm_up, batch_size=batch)
    for model in [st, *others]:
        model.encode(warm_up)
    n = len(texts)
    default_threads = torch.get_num_threads()

    def raw_encode(batch: int, threads: int) -> None:
        torch.set_num_threads(threads)
        try:
            raw.encode(texts, batch_size=batch, normalize_embeddings=True)
        finally:
            torch.set_num_threads(default_threads)

    paths: dict[str, Callable[[Path], Any]] = {
        f"raw bs{b} threads{t}": (lambda tmp, b=b, t=t: raw_encode(b, t))
        for b in raw_batches for t in raw_threads
    }

    def cold(tmp: Path, model: Any = st) -> None:
        with Store(tmp / f"cold-{model.name.replace(':', '-')}.db") as store:
            embed_texts(texts, model, store)

    def warm(tmp: Path) -> None:
        with Store(tmp / "cold-st-all-MiniLM-L6-v2.db") as store:
            embed_texts(texts, st, store)

    paths["project cold"] = cold
    for model in others:
        paths[f"{model.name} cold"] = lambda tmp, model=model: cold(tmp, model)
    results: dict[str, list[dict]] = {name: [] for name in [*paths, "project warm"]}
    for round_no in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            for name, fn in paths.items():  # warm runs right after its own cold store
                results[name].append(_timed(lambda fn=fn: fn(Path(tmp)), n))
                if name == "project cold":
                    results["project warm"].append(_timed(lambda: warm(Path(tmp)), n))
        print(f"round {round_no + 1}/{repeat} done, load {os.getloadavg()[0]:.1f}",
              file=sys.stderr, flush=True)
    return results


def startup_times(repeat: int = 5) -> dict[str, float]:
    """Median wall seconds of light CLI commands, each in a fresh interpreter."""
    from corpus.records import Article
    from corpus.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "tiny.db")
        with Store(db) as store:
            for i, outlet in enumerate(["Alpha", "Beta"]):
                store.add_article(Article(article_id=f"a{i}", source_id=f"r{i}", outlet=outlet,
                                          url=f"https://{outlet.lower()}.example/{i}",
                                          title=f"Story {i}", text=f"Talks in Istanbul, {i}."))
        commands = {"--help": ["--help"], "status": ["status", "--store", db],
                    "export": ["export", "articles", "--store", db, "--out",
                               str(Path(tmp) / "a.csv"), "--force"]}
        out = {}
        for name, args in commands.items():
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                subprocess.run([sys.executable, "-m", "compare.cli", *args], cwd=ROOT,
                               capture_output=True, check=True)
                times.append(time.perf_counter() - start)
            out[name] = statistics.median(times)
    return out


def report(results: dict[str, list[dict]], n: int, startup: dict[str, float]) -> None:
    """Print the table: median and best rate of each path, ratios to the best raw setting."""
    med = {k: statistics.median(r["rate"] for r in v) for k, v in results.items()}
    raw_names = [k for k in med if k.startswith("raw")]
    best_raw = max(raw_names, key=lambda k: med[k])
    base = med[best_raw]
    print(f"machine: {os.cpu_count()} cores, shared with other jobs; load average "
          f"{os.getloadavg()[0]:.1f} at the end. {n:,} BASIL passages; rounds: "
          f"{len(results[best_raw])}. Ratio and 'of limit' use the median round.")
    print("| path | passages/s (median) | best round | per CPU-second | ratio to (a) "
          "| of 250/s limit |")
    print("|---|---|---|---|---|---|")
    label = {best_raw: f"(a) raw SentenceTransformer.encode, {' '.join(best_raw.split()[1:])}"
                       " (best)",
             "project cold": "(b) embed_texts cold (new store)",
             "project warm": "(c) embed_texts warm (cache hit)",
             "use:multilingual-v3 cold": "(d) use:multilingual-v3, embed_texts cold",
             "e5:multilingual-small cold": "(d) e5:multilingual-small, embed_texts cold",
             "onnx:all-MiniLM-L6-v2 cold": "(e) onnx:all-MiniLM-L6-v2 (fp32), embed_texts cold",
             "onnx-int8:all-MiniLM-L6-v2 cold": "(e) onnx-int8:all-MiniLM-L6-v2, embed_texts "
                                                "cold"}
    for name in [best_raw, *[k for k in label if k in results and k != best_raw],
                 *[k for k in raw_names if k != best_raw]]:
        runs = results[name]
        cpu = statistics.median(r["cpu_rate"] for r in runs)
        limit = f"{med[name] / LIMIT:.0%}" if "warm" not in name else "-"
        print(f"| {label.get(name, name)} | {med[name]:,.0f} | "
              f"{max(r['rate'] for r in runs):,.0f} | {cpu:,.0f} | {med[name] / base:.2f} "
              f"| {limit} |")
    print()
    print("| command | startup wall time (median of 5) |")
    print("|---|---|")
    for name, seconds in startup.items():
        print(f"| parallax {name} | {seconds:.2f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="distinct passages to embed")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--raw-batches", default="32,64",
                        help="batch sizes tried for the raw encoder (its best setting is (a))")
    parser.add_argument("--raw-threads", default="1,2",
                        help="torch thread counts tried for the raw encoder")
    args = parser.parse_args()
    texts = load_passages(args.n)
    results = measure(texts, args.repeat, [int(b) for b in args.raw_batches.split(",")],
                      [int(t) for t in args.raw_threads.split(",")])
    report(results, len(texts), startup_times())


if __name__ == "__main__":
    main()
