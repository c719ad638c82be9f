"""Same-fact matching cost (issue 7): the two-stage ``SameFactMatcher`` against the plain cosine
aligner of round 1, on the same real passages, in one run.

Passages: real sentences from ``../shared/data``, split with ``compare.text.passages.split_passages``,
in this order until the largest size: the Istanbul coverage and seed (one real event: a dozen
outlets, English and Russian), then BASIL, NewsWCL50 and the Kremlin / president.gov.ua press
releases. A size of ``n`` takes the first ``n`` passages as ONE event-sized block (every passage
competes with every other outlet's), each passage with its article's outlet and language.
Embeddings are real: the multilingual encoder (``use:multilingual-v3``) on every passage and
all-MiniLM-L6-v2 on every passage, computed once per run through ``embed_texts`` with a
temporary store as the cache.

Measured, each call in its own process, on the same block:

- baseline: ``cosine_pairs``, round 1's plain aligner (removed from ``compare`` as dead code,
  kept here): each passage's 5 most similar other-outlet passages with MiniLM cosine >= 0.74,
  in bounded row tiles, on the MiniLM vectors of all passages;
- ``SameFactMatcher().fit`` on precomputed signals: candidates (multilingual cosine, averaged
  with MiniLM's where both are English, best 3 per other outlet) plus the verifier's features
  and probability for every candidate pair; ``candidate_pairs`` alone is timed after it;
- ``compare.facts.signals.passage_signals``: building the verifier's view of the block (TF-IDF of
  words and character n-grams, names, numbers, dates, negation), which the matcher needs once
  per event (MiniLM rows given only for English and undecided passages, as ``analyze`` does);
- ``FactBuilder().fit`` on the matcher's pairs: the fact rows shown side by side.

Each worker first runs its call once, untimed, on the last 50 passages of the pool (imports and
first-use tables are paid once per run, not per event). "peak MB" is the call's own peak resident memory above the process's resident memory just
before it (sampled every 2 ms from /proc/self/statm), so inputs already loaded are excluded.

Run: .venv/bin/python benchmarks/bench_match.py [--sizes 1000,10000]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

DATA = ROOT.parent / "shared" / "data"
SOURCES = ("istanbul/coverage_2022-03-28_31.jsonl", "istanbul/seed_article.jsonl",
           "basil/articles.jsonl", "newswcl50/articles.jsonl")
# Round 1's aligner: MiniLM cosine threshold (MSRP train, F0.5) and neighbours kept per passage.
BASELINE_THRESHOLD = 0.74
BASELINE_TOP_K = 5
TILE_CELLS = 2**22  # similarity cells per row tile (16 MB of float32, as round 1's 2048 x 2048)


# -- inputs -----------------------------------------------------------------------------------
def _records() -> list[dict[str, Any]]:
    from bench_analyze import press_releases

    rows = []
    for relative in SOURCES:
        with open(DATA / relative, encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    return rows + press_releases()


def prepare(size: str, folder: str) -> dict[str, Any]:
    """Split real articles until ``size`` passages and embed them; write them to ``folder``."""
    from compare.embed.embedders import embed_texts, make_embedder
    from compare.embed.scales import MULTILINGUAL_ENCODER
    from compare.text.passages import split_passages
    from corpus.language import article_language
    from corpus.records import Article
    from corpus.store import Store

    texts: list[str] = []
    outlets: list[str] = []
    languages: list[str] = []
    for n, record in enumerate(_records()):
        article = Article(article_id=f"a{n}", source_id="", outlet=record["outlet"],
                          url=record.get("url", ""), title=record.get("title", ""),
                          text=record["text"])
        language = article_language(record.get("language", ""), article.title, article.text)
        for passage in split_passages(article):
            texts.append(passage.text)
            outlets.append(article.outlet)
            languages.append(language)
        if len(texts) >= int(size):
            break
    texts, outlets, languages = texts[: int(size)], outlets[: int(size)], languages[: int(size)]
    with Store(str(Path(folder) / "cache.db")) as store:
        for name, spec in (("use", MULTILINGUAL_ENCODER), ("minilm", "st:all-MiniLM-L6-v2")):
            np.save(Path(folder) / f"{name}.npy", embed_texts(texts, make_embedder(spec), store))
    Path(folder, "passages.json").write_text(json.dumps(
        {"texts": texts, "outlets": outlets, "languages": languages}), encoding="utf-8")
    return {"n": len(texts), "outlets": len(set(outlets)),
            "languages": {lang or "?": languages.count(lang) for lang in sorted(set(languages))}}


WARM_UP = 50  # passages from the end of the prepared pool, run once untimed before a call


def _load(folder: str, n: int) -> tuple[list[str], list[str], list[str], np.ndarray, np.ndarray]:
    """The first ``n`` prepared passages; ``n < 0``: the last ``-n`` (for warming up)."""
    data = json.loads(Path(folder, "passages.json").read_text(encoding="utf-8"))
    part = slice(None, n) if n >= 0 else slice(n, None)
    use = np.load(Path(folder) / "use.npy")[part]
    minilm = np.load(Path(folder) / "minilm.npy")[part]
    return data["texts"][part], data["outlets"][part], data["languages"][part], use, minilm


def _signals(texts: list[str], languages: list[str], use: np.ndarray, minilm: np.ndarray
             ) -> Any:
    """The verifier's signals as ``analyze`` builds them: MiniLM rows only where it reads them."""
    from compare.embed.scales import reads_minilm
    from compare.facts.signals import passage_signals

    english = reads_minilm(languages)
    main = np.where(english[:, None], minilm, 0.0).astype(np.float32)
    return passage_signals(texts, languages, use, main if english.any() else None)


def _without_outlets(loaded: tuple[Any, ...]) -> tuple[Any, ...]:
    texts, _outlets, languages, use, minilm = loaded
    return texts, languages, use, minilm


# -- measurements (each in its own process) ---------------------------------------------------
def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(fn: Callable[[], Any]) -> dict[str, Any]:
    """Wall time of ``fn()`` and its peak resident memory above the start (sampled)."""
    base = _rss_mb()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.002):
            peak[0] = max(peak[0], _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    peak[0] = max(peak[0], _rss_mb())
    return {"seconds": seconds, "peak_mb": peak[0] - base, "result": result}


def cosine_pairs(vectors: np.ndarray, outlets: list[str], threshold: float = BASELINE_THRESHOLD,
                 top_k: int = BASELINE_TOP_K) -> np.ndarray:
    """Round 1's aligner: each passage's ``top_k`` most similar passages of other outlets with
    cosine >= ``threshold``, in row tiles of ``TILE_CELLS`` similarities (never ``n x n``).

    Returns:
        ``(m, 2)`` unique pairs ``i < j`` (a pair counts once when either side picked it).
    """
    n = len(vectors)
    codes = np.unique(np.asarray(outlets), return_inverse=True)[1]
    k = min(top_k, n)
    step = max(1, TILE_CELLS // max(n, 1))
    found = [np.zeros((0, 2), dtype=np.int64)]
    for r0 in range(0, n if k else 0, step):
        sims = vectors[r0:r0 + step] @ vectors.T
        sims[codes[r0:r0 + step, None] == codes[None, :]] = -np.inf  # same outlet, itself too
        cols = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        keep = np.take_along_axis(sims, cols, axis=1) >= threshold
        rows = np.broadcast_to(np.arange(r0, r0 + len(sims))[:, None], cols.shape)
        found.append(np.stack([rows[keep], cols[keep]], axis=1))
    return np.unique(np.sort(np.concatenate(found), axis=1), axis=0)


def worker_aligner(folder: str, size: str) -> dict[str, Any]:
    """The plain cosine baseline on the MiniLM vectors, after a small untimed call."""
    _texts, outlets, _langs, _use, minilm = _load(folder, -WARM_UP)
    cosine_pairs(minilm, outlets)
    _texts, outlets, _langs, _use, minilm = _load(folder, int(size))
    out = measure(lambda: cosine_pairs(minilm, outlets))
    out["pairs"] = len(out.pop("result"))
    return out


def worker_signals(folder: str, size: str) -> dict[str, Any]:
    """passage_signals on the block, after a small untimed call (imports, first-use tables)."""
    _signals(*_without_outlets(_load(folder, -WARM_UP)))
    texts, _outlets, languages, use, minilm = _load(folder, int(size))
    out = measure(lambda: _signals(texts, languages, use, minilm))
    out.pop("result")
    return out


def worker_matcher(folder: str, size: str) -> dict[str, Any]:
    """The matcher's fit, then candidates alone and the fact rows, on the same signals."""
    from compare.facts.match import SameFactMatcher, candidate_pairs
    from compare.facts.rows import FactBuilder
    from compare.facts.verifier import load_verifier, pair_probability

    verifier = load_verifier()
    texts, outlets, languages, use, minilm = _load(folder, -WARM_UP)
    SameFactMatcher().fit(_signals(texts, languages, use, minilm), outlets, verifier)
    texts, outlets, languages, use, minilm = _load(folder, int(size))
    signals = _signals(texts, languages, use, minilm)
    out = measure(lambda: SameFactMatcher().fit(signals, outlets, verifier))
    matcher = out.pop("result")
    out["pairs"] = len(matcher.pairs_)
    out["verified"] = int((matcher.probability_ >= matcher.threshold_).sum())
    candidates = measure(lambda: candidate_pairs(signals, outlets))
    out["candidates"] = {"seconds": candidates["seconds"], "peak_mb": candidates["peak_mb"],
                         "directed": len(candidates["result"][0])}

    def score(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return pair_probability(signals, i, j, verifier)

    facts = measure(lambda: FactBuilder().fit(matcher.pairs_, matcher.probability_, outlets,
                                              matcher.threshold_, score))
    rows = facts.pop("result")
    out["facts"] = {**facts, "rows": rows.n_rows_,
                    "multi": int((np.bincount(rows.labels_) >= 2).sum())}
    return out


def _run_worker(*args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True,
                          text=True, check=False, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"worker {args[0]} failed:\n{proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# -- table ------------------------------------------------------------------------------------
def rows_for(n: int, res: dict[str, Any]) -> list[str]:
    """Table rows of one size: per 1,000 passages and as a ratio to the cosine baseline."""
    base = res["aligner"]["seconds"]
    match, sig = res["matcher"], res["signals"]

    def row(step: str, seconds: float, peak: float, pairs: str) -> str:
        return (f"| {step} | {n:,} | {seconds:.2f} | {1000 * seconds / n:.3f} | "
                f"{seconds / base:.1f} | {peak:,.0f} | {pairs} |")

    return [
        row("cosine top-5 >= 0.74, round 1 (baseline)", base, res["aligner"]["peak_mb"],
            f"{res['aligner']['pairs']:,} pairs"),
        row("SameFactMatcher.fit (candidates + verification)", match["seconds"],
            match["peak_mb"], f"{match['pairs']:,} candidates, {match['verified']:,} verified"),
        row("  of which candidate_pairs (timed alone)", match["candidates"]["seconds"],
            match["candidates"]["peak_mb"], f"{match['candidates']['directed']:,} directed"),
        row("passage_signals (verifier's view, once per event)", sig["seconds"],
            sig["peak_mb"], "-"),
        row("signals + matcher", sig["seconds"] + match["seconds"],
            max(sig["peak_mb"], match["peak_mb"]), "-"),
        row("FactBuilder.fit on the matcher's pairs", match["facts"]["seconds"],
            match["facts"]["peak_mb"],
            f"{match['facts']['rows']:,} rows, {match['facts']['multi']:,} with 2+ passages"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="passages per event-sized block")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        fn = {"prepare": prepare, "aligner": worker_aligner, "signals": worker_signals,
              "matcher": worker_matcher}[kind]
        print(json.dumps(fn(*rest)))
        return
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    lines, notes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        block = _run_worker("prepare", str(max(sizes)), tmp)
        notes.append(f"inputs: {block['n']:,} real passages from {block['outlets']} outlets, "
                     f"languages {block['languages']}; split and embedded in "
                     f"{time.perf_counter() - start:.0f} s (not timed below)")
        for n in sizes:
            res = {kind: _run_worker(kind, tmp, str(n))
                   for kind in ("aligner", "signals", "matcher")}
            lines += rows_for(n, res)
    print(f"machine: {os.cpu_count()} cores, shared with other jobs (load average "
          f"{os.getloadavg()[0]:.1f}: timings are noisy); every call in its own process; "
          f"ratio = seconds / the cosine baseline's seconds on the same block; peak MB = the call's "
          f"own peak resident memory growth")
    print("| step | passages | seconds | s per 1,000 passages | ratio to baseline | peak MB | "
          "output |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    print()
    print("\n".join(f"- {n}" for n in notes))


if __name__ == "__main__":
    main()
