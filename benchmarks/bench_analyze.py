"""End-to-end ``analyze`` on real articles: cold, warm and incremental, with a stage breakdown,
peak memory and ratios to the pure embedding time of the same passages, all in one run.

Corpora (built from ``../shared/data``, written to a fresh temporary store):

- ``basil``: BASIL as is (300 articles, 100 events x Fox News / NYT / HuffPost).
- ``1k``: every article of BASIL (300), NewsWCL50 (50), the Istanbul coverage (81, two thirds
  in Russian) and seed (1), the Istanbul slice of ``ukraine/istanbul_2022.jsonl`` (27), then
  Kremlin and president.gov.ua press releases (``ukraine/*.csv``) taken at an even stride
  through both files (by date) until there are 1,000. Texts that are exact duplicates of an
  earlier one (a press release in both the slice and a CSV) are left out.
- ``10k``: every real article above (2,242 distinct texts), then copies until 10,000. Copy ``c``
  of an article gets a new id and URL, its date moved ``c * 1000`` days later (so it forms new
  events and never joins its original's: the grouper never joins articles more than 14 days
  apart), and a few adjacent lower-case words swapped per sentence (each pair with probability
  0.15, seeded by the article and ``c``), so nearly every passage is a new text for the split
  and embedding caches, with the same length and vocabulary. The 13 undated NewsWCL50 articles
  (an unknown date joins any date) are dated 2018-06-01 in this corpus, originals and copies.

Per size, each measurement in a fresh subprocess (its peak resident memory is that process's
``ru_maxrss``: imports, both models and the run):

- cold: a new store (split + embed + everything), default settings;
- warm, matching setting changed: the same store with ``alignment={"threshold": 0.69}``: every
  event's fact rows are recomputed, passages and embeddings come from the store's caches;
- warm, framing setting changed: that and ``framing={"top_terms": 14}``: the fact rows, coverage,
  alignments and omissions of every event are kept, the framing table is recomputed;
- warm, unchanged: the same settings again: the finished run is returned;
- incremental (``1k`` only): 10 press releases not in the corpus added, run with the last
  settings again (the latest run's): untouched events are reused;
- pure embedding: the cold run's distinct passage texts embedded by the encoders directly
  (``make_embedder(...).encode``, models loaded and warmed up first, no store): MiniLM on the
  English and undecided passages (those the pipeline gives MiniLM), the multilingual encoder on
  all, e5 on those of the events that read it (a language outside the multilingual encoder's,
  or two languages: in ``1k``, the Istanbul event). ``cold / pure`` is the run's cost over the
  models' (goal <= 2.0, issue 24), and ``match / pure`` the verifier's share (goal <= 1.0).

``--lite`` runs the same measurements with the hashing embedder (``hashing:512``) and no pure
embedding: what grows with the corpus around the models (split, events, matching, framing,
writing). Embedding itself is one length-sorted pass, linear in the number of new texts; its
ratio to the raw encoder is ``bench_embed.py``'s.

Run: .venv/bin/python benchmarks/bench_analyze.py [--sizes basil,1k,10k] [--lite]
(default basil,1k; 10k with the models takes hours on 2 cores; with --lite, 1k,10k takes
about half an hour).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

DATA = ROOT.parent / "shared" / "data"
JSONL_SOURCES = ("basil/articles.jsonl", "newswcl50/articles.jsonl",
                 "istanbul/coverage_2022-03-28_31.jsonl", "istanbul/seed_article.jsonl",
                 "ukraine/istanbul_2022.jsonl")
PRESS_RELEASES = {"Kremlin": "ukraine/kremlin_en_2021-10-24_2022-06-24.csv",
                  "President of Ukraine": "ukraine/president_gov_ua_en_2021-10-24_2022-06-24.csv"}
SIZES = {"basil": 300, "1k": 1000, "10k": 10_000}
MATCHING = {"alignment": {"threshold": 0.69}}
CHANGED = {**MATCHING, "framing": {"top_terms": 14}}
LITE_EMBEDDER = "hashing:512"  # what ``parallax analyze --lite`` uses
COPY_SHIFT_DAYS = 1000
SWAP_PROBABILITY = 0.15
UNDATED = "2018-06-01"  # NewsWCL50's events are April-June 2018
STAGES = ("load", "events", "split", "embed", "match", "framing", "write")
_WORD_PAIR = re.compile(r"\b([a-z]+) ([a-z]+)\b")


# -- corpora ----------------------------------------------------------------------------------
def _jsonl(relative: str) -> list[dict[str, Any]]:
    with open(DATA / relative, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def press_releases() -> list[dict[str, Any]]:
    """Both press-release CSVs as common records, oldest first."""
    csv.field_size_limit(sys.maxsize)
    rows = []
    for outlet, relative in PRESS_RELEASES.items():
        with open(DATA / relative, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if (row.get("body") or "").strip():
                    rows.append({"id": row["link"], "outlet": outlet, "url": row["link"],
                                 "title": row.get("headline", ""),
                                 "published": row.get("date", "")[:10], "text": row["body"]})
    return sorted(rows, key=lambda r: (r["published"], r["url"]))


def _distinct(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from corpus.dedupe import content_hash

    seen: set[str] = set()
    out = []
    for record in records:
        digest = content_hash(record["text"])
        if digest not in seen:
            seen.add(digest)
            out.append(record)
    return out


def _stride(rows: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """``count`` rows at an even stride through ``rows``."""
    picks = np.linspace(0, len(rows) - 1, count).round().astype(int) if count > 0 else []
    return [rows[i] for i in sorted({int(p) for p in picks})]


def corpus_records(size: str) -> list[dict[str, Any]]:
    """The articles of one benchmark corpus (see the module docstring)."""
    if size == "basil":
        return _jsonl("basil/articles.jsonl")
    fixed = _distinct([r for rel in JSONL_SOURCES for r in _jsonl(rel)])
    releases = _distinct(fixed + press_releases())[len(fixed):]
    if size == "1k":
        return fixed + _stride(releases, SIZES["1k"] - len(fixed))
    real = [{**r, "published": r.get("published") or UNDATED} for r in fixed + releases]
    return real + list(_copies(real, SIZES[size] - len(real)))


def incremental_records() -> list[dict[str, Any]]:
    """10 press releases that the ``1k`` corpus does not hold, spread over the period."""
    have = {r["url"] for r in corpus_records("1k")}
    return _stride([r for r in press_releases() if r["url"] not in have], 10)


def _copies(records: list[dict[str, Any]], count: int) -> Iterator[dict[str, Any]]:
    made, copy = 0, 1
    while made < count:
        for record in records[: count - made]:
            yield shuffled_copy(record, copy)
        made += min(len(records), count - made)
        copy += 1


def shuffled_copy(record: dict[str, Any], copy: int) -> dict[str, Any]:
    """Copy ``copy`` of a record: new id and URL, date ``copy * 1000`` days later, and some
    adjacent lower-case word pairs swapped (deterministic)."""
    seed = int(hashlib.sha1(f"{record['url']}|{record['id']}|{copy}".encode()).hexdigest()[:12],
               16)
    rng = np.random.default_rng(seed)

    def swap(match: re.Match[str]) -> str:
        if rng.random() < SWAP_PROBABILITY:
            return f"{match.group(2)} {match.group(1)}"
        return match.group(0)

    day = date.fromisoformat(record["published"][:10]) + timedelta(days=copy * COPY_SHIFT_DAYS)
    return {**record, "id": f"{record['id']}#copy{copy}",
            "url": f"{record['url'].rstrip('/')}/copy-{copy}", "published": day.isoformat(),
            "text": _WORD_PAIR.sub(swap, record["text"])}


def add_records(store_path: str, records: list[dict[str, Any]]) -> None:
    """Store the records as collected articles (ids and hashes as ``collect`` makes them)."""
    from corpus.dedupe import content_hash
    from corpus.ids import article_id, article_key
    from corpus.records import Article
    from corpus.store import Store

    with Store(store_path) as store:
        for r in records:
            digest = content_hash(r["text"])
            key = article_key(r.get("url", ""), str(r.get("id", "")), r["outlet"], digest)
            store.add_article(Article(
                article_id=article_id(key), source_id=str(r.get("id", "")), outlet=r["outlet"],
                url=r.get("url", ""), title=r.get("title", ""), text=r["text"],
                published=r.get("published", ""), language=r.get("language", ""),
                origin="benchmark", content_hash=digest))


# -- measurements (each in its own process) ---------------------------------------------------
def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def worker_analyze(store_path: str, settings_json: str) -> dict[str, Any]:
    """One ``analyze`` call on the store, timed, with its stages, work counts and result sizes."""
    from compare.analyze import analyze
    from compare.settings import AnalysisSettings
    from corpus.store import Store

    settings = AnalysisSettings(**json.loads(settings_json))
    with Store(store_path) as store:
        start, cpu = time.perf_counter(), time.process_time()
        run = analyze(store, settings)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    summary = run.summary()
    return {"seconds": seconds, "cpu_s": cpu, "stages": run.stages, "work": run.work, "peak_mb": _peak_mb(),
            "run_id": run.run_id, "articles": summary["articles"], "events": summary["events"],
            "passages": summary["passages"], "facts": summary["topics"],
            "event_of": dict(zip(run.events["article_id"], run.events["event_id"],
                                 strict=True))}


def worker_embed(store_path: str) -> dict[str, Any]:
    """The latest run's distinct passage texts through the encoders directly, timed: MiniLM on
    those the pipeline gives it, the multilingual encoder and e5 on all."""
    from compare.embed.embedders import make_embedder
    from compare.embed.scales import MULTILINGUAL_ENCODER, WIDE_ENCODER, reads_minilm
    from compare.runs import load_run
    from corpus.store import Store

    with Store(store_path, readonly=True) as store:
        passages = load_run(store).passages
    frame = passages.drop_duplicates("text")
    every = frame["text"].tolist()
    wide = every
    english = frame.loc[reads_minilm(frame["language"].to_numpy()), "text"].tolist()
    out: dict[str, Any] = {"n_all": len(every), "n_english": len(english), "n_wide": len(wide),
                           "n_passages": len(passages)}
    for key, spec, texts in (("minilm", "st:all-MiniLM-L6-v2", english),
                             ("use", MULTILINGUAL_ENCODER, every), ("wide", WIDE_ENCODER, wide)):
        if not texts:
            out[f"{key}_s"] = out[f"{key}_cpu_s"] = 0.0
            continue
        encoder = make_embedder(spec)
        encoder.encode(["A warm-up sentence for the model, not timed."] * 32)
        start, cpu = time.perf_counter(), time.process_time()
        encoder.encode(texts)
        out[f"{key}_s"] = time.perf_counter() - start
        out[f"{key}_cpu_s"] = time.process_time() - cpu
    out["seconds"] = out["minilm_s"] + out["use_s"] + out["wide_s"]
    out["cpu_s"] = out["minilm_cpu_s"] + out["use_cpu_s"] + out["wide_cpu_s"]
    out["peak_mb"] = _peak_mb()
    return out


def run_worker(script: str, *args: str) -> dict[str, Any]:
    """``script --worker ARGS`` in a fresh process (its own peak memory): the JSON of its last
    line, with the process's wall seconds."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, script, "--worker", *args], capture_output=True,
                          text=True, check=False, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"worker {args[0]} failed:\n{proc.stderr[-3000:]}")
    out = dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    out["process_s"] = time.perf_counter() - start
    return out


def _run_worker(*args: str) -> dict[str, Any]:
    return run_worker(__file__, *args)


# -- one size ---------------------------------------------------------------------------------
def measure_size(size: str, tmp: str, lite: bool = False) -> dict[str, Any]:
    """Cold, warm (changed and unchanged), pure embedding (not with ``lite``), and for 1k the
    incremental run."""
    store = str(Path(tmp) / f"{size}.db")
    records = corpus_records(size)
    add_records(store, records)
    base: dict[str, Any] = {"embedder": LITE_EMBEDDER} if lite else {}
    default, changed = json.dumps(base), json.dumps({**base, **CHANGED})
    matching = json.dumps({**base, **MATCHING})
    result: dict[str, Any] = {"size": size, "records": len(records)}
    _progress(f"{size}: cold run on {len(records):,} articles")
    result["cold"] = _run_worker("analyze", store, default)
    if not lite:
        _progress(f"{size}: pure embedding ({result['cold']['seconds']:.0f} s cold)")
        result["pure"] = _run_worker("embed", store)
    _progress(f"{size}: warm, matching setting changed")
    result["matching"] = _run_worker("analyze", store, matching)
    _progress(f"{size}: warm, framing setting changed")
    result["changed"] = _run_worker("analyze", store, changed)
    _progress(f"{size}: warm, unchanged")
    result["unchanged"] = _run_worker("analyze", store, changed)
    if size == "1k":
        _progress("1k: incremental, 10 articles added")
        add_records(store, incremental_records())
        result["incremental"] = _run_worker("analyze", store, changed)
    return result


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- tables -----------------------------------------------------------------------------------
RUNS = (("cold", "cold (new store)"), ("matching", "warm, matching setting changed"),
        ("changed", "warm, framing setting changed"),
        ("unchanged", "warm, unchanged"), ("incremental", "incremental +10 articles"))


def _work(run: dict[str, Any]) -> str:
    work = run["work"]
    if "reused_run" in work:
        return "finished run returned"
    return (f"split {work.get('articles_split', 0):,}, embedded "
            f"{work.get('texts_embedded', 0):,}, events {work.get('events_recomputed', 0):,} "
            f"new / {work.get('events_reused', 0):,} reused"
            + (f" ({work['events_reframed']:,} reframed)" if work.get("events_reframed") else ""))


def run_table(results: list[dict[str, Any]]) -> list[str]:
    """One row per corpus and run: seconds per stage, peak memory and the work done."""
    head = ["corpus", "run", "articles", "events", "passages", "total s", "CPU s", *STAGES,
            "peak MB",
            "work done"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for res in results:
        for key, label in RUNS:
            run = res.get(key)
            if run is None:
                continue
            stages = [f"{run['stages'].get(s, 0.0):.1f}" if s in run["stages"] else "-"
                      for s in STAGES]
            cells = [res["size"], label, f"{run['articles']:,}", f"{run['events']:,}",
                     f"{run['passages']:,}", f"{run['seconds']:.1f}", f"{run['cpu_s']:.0f}",
                     *stages,
                     f"{run['peak_mb']:,.0f}", _work(run)]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def ratio_table(results: list[dict[str, Any]]) -> list[str]:
    """Cold over pure embedding, and warm over cold, per corpus."""
    head = ("| corpus | distinct passages (MiniLM / all / e5) | pure embedding s (MiniLM + "
            "multilingual + e5) | embed stage s | match stage / pure (goal <= 1.0) | "
            "cold / pure (goal <= 2.0) | same in CPU s | "
            "warm matching changed / cold | warm framing changed / cold | warm unchanged / cold "
            "(goal <= 0.03) |")
    lines = [head, "|---|---|---|---|---|---|---|---|---|---|"]
    for res in results:
        cold, pure = res["cold"], res["pure"]
        lines.append(
            f"| {res['size']} | {pure['n_english']:,} / {pure['n_all']:,} / "
            f"{pure.get('n_wide', 0):,} | {pure['seconds']:.1f} ({pure['minilm_s']:.1f} + "
            f"{pure['use_s']:.1f} + {pure.get('wide_s', 0.0):.1f}) | "
            f"{cold['stages']['embed']:.1f} | "
            f"{cold['stages']['match'] / pure['seconds']:.2f} | "
            f"{cold['seconds'] / pure['seconds']:.2f} | "
            f"{cold['cpu_s']:.0f} / {pure['cpu_s']:.0f} = {cold['cpu_s'] / pure['cpu_s']:.2f} | "
            f"{res['matching']['seconds'] / cold['seconds']:.3f} | "
            f"{res['changed']['seconds'] / cold['seconds']:.3f} | "
            f"{res['unchanged']['seconds'] / cold['seconds']:.4f} |")
    return lines


def growth_lines(small: dict[str, Any], large: dict[str, Any]) -> list[str]:
    """How each figure grows from the 1k to the 10k corpus."""
    def x(a: float, b: float) -> str:
        return f"x{b / a:.2f}" if a else "-"

    c1, c2 = small["cold"], large["cold"]
    stages = ", ".join(f"{s} {x(c1['stages'].get(s, 0), c2['stages'].get(s, 0))}"
                       for s in STAGES)
    sizes = (f"growth 1k -> 10k: articles {x(c1['articles'], c2['articles'])}, passages "
             f"{x(c1['passages'], c2['passages'])}, events {x(c1['events'], c2['events'])}; "
             f"cold time {x(c1['seconds'], c2['seconds'])}, warm matching changed "
             f"{x(small['matching']['seconds'], large['matching']['seconds'])}, warm framing "
             f"changed {x(small['changed']['seconds'], large['changed']['seconds'])}, "
             + (f"pure embedding {x(small['pure']['seconds'], large['pure']['seconds'])}, "
                if "pure" in small and "pure" in large else "")
             + f"peak memory {x(c1['peak_mb'], c2['peak_mb'])}")
    per_passage = (f"cold seconds per 1,000 passages: 1k "
                   f"{1000 * c1['seconds'] / c1['passages']:.1f}, 10k "
                   f"{1000 * c2['seconds'] / c2['passages']:.1f}")
    return [sizes, f"cold stages 1k -> 10k: {stages}", per_passage]


def incremental_lines(res: dict[str, Any]) -> list[str]:
    """What the incremental run did, and whether untouched events kept their ids."""
    before, after = res["changed"]["event_of"], res["incremental"]["event_of"]
    inc = res["incremental"]
    members: dict[str, set[str]] = {}
    for art, event in before.items():
        members.setdefault(event, set()).add(art)
    after_members: dict[str, set[str]] = {}
    for art, event in after.items():
        after_members.setdefault(event, set()).add(art)
    same = [e for e, arts in members.items() if after_members.get(after[next(iter(arts))])
            == arts]
    kept = sum(after[next(iter(members[e]))] == e for e in same)
    done = (f"incremental (1k + 10 articles): {inc['seconds']:.1f} s "
            f"({inc['seconds'] / res['cold']['seconds']:.3f} of the cold run), "
            f"texts embedded {inc['work'].get('texts_embedded', 0):,}, articles split "
            f"{inc['work'].get('articles_split', 0):,}, events recomputed "
            f"{inc['work'].get('events_recomputed', 0):,} / reused "
            f"{inc['work'].get('events_reused', 0):,}")
    ids = (f"incremental: {len(same):,} of {len(members):,} events kept the same articles; "
           f"of those, {kept:,} kept their event id")
    return [done, ids]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="basil,1k",
                        help="corpora to measure: basil, 1k, 10k (10k: hours with the models)")
    parser.add_argument("--lite", action="store_true",
                        help="hashing embedder, no pure embedding: growth of the work around "
                             "the models")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        fn = {"analyze": worker_analyze, "embed": worker_embed}[kind]
        print(json.dumps(fn(*rest)))
        return
    sizes = [s for s in args.sizes.split(",") if s]
    unknown = sorted(set(sizes) - set(SIZES))
    if unknown:
        parser.error(f"unknown size(s) {', '.join(unknown)}: use {', '.join(SIZES)}")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure_size(size, tmp, args.lite) for size in sizes]
    load_after = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, shared with other jobs (load average "
          f"{load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end: timings are "
          f"noisy); every run in its own process; 'total s' = wall seconds of the analyze "
          f"call, 'CPU s' = its process CPU seconds (all threads; less sensitive to other "
          f"jobs); peak MB = that process's peak resident memory (imports, both models, the "
          f"run)")
    if args.lite:
        print(f"embedder: {LITE_EMBEDDER} for both encoders (--lite): the models' time is not "
              f"in these figures")
    print("\n".join(run_table(results)))
    print()
    if not args.lite:
        print("\n".join(ratio_table(results)))
        print()
    notes = [f"{r['size']}: process start + imports {r['cold']['process_s'] - r['cold']['seconds']:.1f} s "
             f"around the cold run (not in 'total s')" for r in results]
    by_size = {r["size"]: r for r in results}
    if "1k" in by_size and "10k" in by_size:
        notes += growth_lines(by_size["1k"], by_size["10k"])
    if "1k" in by_size:
        notes += incremental_lines(by_size["1k"])
    print("\n".join(f"- {n}" for n in notes))


if __name__ == "__main__":
    main()
