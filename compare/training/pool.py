"""Candidate same-claim pairs for labelling, drawn the way ``../shared/data/claims`` drew its own.

    python -m compare.training.pool --dataset basil|istanbul|ukraine|newswcl50 --anchors N
        --seed S --out /work/tmp/pool/NAME.jsonl [--data ../shared/data] [--cache pool.db]
        [--top-share 0.5] [--exclude compare/training/data/claims-round3.jsonl ...]

The recipe of ``claims/README.md`` ("Sampled pairs"), so new pairs are comparable with the gold:

- Passages are the project's own sentence passages (:func:`compare.text.passages.passage_spans`)
  of at least ``MIN_TOKENS`` tokens, with offsets into the record's text (the gold's spans are
  exactly these).
- An *anchor* is a passage of outlet A; its other outlet B is drawn among the event's other
  outlets in proportion to their passages. Its candidates are every passage of B that one of the
  retrievers ranks in its top ``TOP_K``: MiniLM (both sides English), the multilingual USE,
  multilingual-e5-small (a side not English), TF-IDF over transliterated character n-grams.
  ``retrieved_by`` holds the cosine of each retriever that retrieved the pair.
- ``--top-share`` of the anchors (half by default, the gold's first round; its second round drew
  three quarters) come from the quarter of anchors whose best candidate is most similar
  (``top``: USE's best cosine, the one retriever reading every pair), the rest uniformly
  (``random``).
- Never a pair already in ``claims/pairs.jsonl`` or in an ``--exclude`` file of labelled pairs
  (either order), never a passage already used as their anchor as an anchor, never a
  ``test``-fold event (BASIL, NewsWCL50) or an Istanbul anchor article of the ``test`` fold.
  Every new pair is ``train``.

Events: BASIL and NewsWCL50 by their ``event_id``; Istanbul is one event (the coverage file, the
seed article and the ukraine slice, as in the gold); the Kremlin and president.gov.ua releases
are grouped by :class:`compare.events.EventGrouper` (headline + body, date) and only events with
both sites are kept; releases that are in the Istanbul slice belong to Istanbul and are left out.

The output holds article text: write it outside the repository (the data's licence).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

DATASETS = ("basil", "istanbul", "ukraine", "newswcl50")
MIN_TOKENS = 6
TOP_K = 2
TOP_SHARE = 0.25
MINILM, USE, E5 = "st:all-MiniLM-L6-v2", "use:multilingual-v3", "e5:multilingual-small"
ISTANBUL_FILES = ("istanbul/coverage_2022-03-28_31.jsonl", "istanbul/seed_article.jsonl",
                  "ukraine/istanbul_2022.jsonl")
RELEASES = (("kremlin.ru", "ukraine/kremlin_en_2021-10-24_2022-06-24.csv"),
            ("president.gov.ua", "ukraine/president_gov_ua_en_2021-10-24_2022-06-24.csv"))


@dataclass(frozen=True)
class Span:
    """One passage of one article: the unit both sides of a pair are."""

    event_id: str
    outlet: str
    article_id: str
    char_start: int
    char_end: int
    language: str
    text: str

    @property
    def key(self) -> str:
        return f"{self.article_id}:{self.char_start}:{self.char_end}"

    def to_dict(self) -> dict[str, Any]:
        return {"outlet": self.outlet, "article_id": self.article_id,
                "char_start": self.char_start, "char_end": self.char_end,
                "language": self.language, "text": self.text}


@dataclass(frozen=True)
class Gold:
    """What the existing gold rules out: its pairs (by spans and by texts), its anchors, its
    test events and test anchor articles."""

    pairs: frozenset[frozenset[str]]
    anchors: frozenset[str]
    test_events: frozenset[str]
    test_anchor_articles: frozenset[str]


def _text_key(side: dict[str, Any]) -> str:
    return f"{side['outlet']}\t{side['text']}"


def read_gold(path: Path, dataset: str) -> Gold:
    """The exclusions ``claims/pairs.jsonl`` sets for ``dataset``."""
    pairs, anchors, test_events, test_articles = set(), set(), set(), set()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            # product_link pairs carry no offsets (their article ids are an analysis'):
            # every gold pair is also ruled out by its two outlets' texts
            pairs.add(frozenset(_text_key(row[s]) for s in "ab"))
            keys = [f"{row[s]['article_id']}:{row[s].get('char_start')}:"
                    f"{row[s].get('char_end')}" for s in "ab"]
            pairs.add(frozenset(keys))
            if row["dataset"] != dataset:
                continue
            if row["source"] == "sampled":
                anchors.add(keys[0])
            if row["fold"] == "test":
                test_events.add(row["event_id"])
                test_articles.add(row["a"]["article_id"])
    if dataset == "istanbul":  # one event: the fold is fixed by the anchor's article
        test_events = set()
    return Gold(frozenset(pairs), frozenset(anchors), frozenset(test_events),
                frozenset(test_articles) if dataset == "istanbul" else frozenset())


def exclude_labelled(gold: Gold, paths: Sequence[Path], dataset: str) -> Gold:
    """``gold`` also ruling out the pairs of labelled pool files (``compare/training/data``,
    sides as article offsets without texts) by their two spans, and their ``dataset`` anchors
    (side ``a``) as anchors: the treatment the gold's own pairs get."""
    pairs, anchors = set(gold.pairs), set(gold.anchors)
    for path in paths:
        for row in _jsonl(path):
            keys = [f"{row[s]['article_id']}:{row[s]['char_start']}:{row[s]['char_end']}"
                    for s in "ab"]
            pairs.add(frozenset(keys))
            if row["dataset"] == dataset and row["source"] == "sampled":
                anchors.add(keys[0])
    return replace(gold, pairs=frozenset(pairs), anchors=frozenset(anchors))


# ---------------------------------------------------------------------------- records


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _language(record: dict[str, Any]) -> str:
    from corpus.language import detect_language

    return record.get("language") or detect_language(record["text"]) or "en"


def read_records(data: Path, dataset: str) -> list[dict[str, Any]]:
    """Articles of ``dataset`` as ``{id, event_id, outlet, language, text}``, in file order."""
    if dataset in ("basil", "newswcl50"):
        rows = _jsonl(data / dataset / "articles.jsonl")
    elif dataset == "istanbul":
        rows = [dict(r, event_id="istanbul") for f in ISTANBUL_FILES for r in _jsonl(data / f)]
    elif dataset == "ukraine":
        rows = release_events(data)
    else:
        raise ValueError(f"unknown dataset {dataset!r}: choose one of {', '.join(DATASETS)}")
    return [{"id": r["id"], "event_id": str(r["event_id"]), "outlet": r["outlet"],
             "language": _language(r), "text": r["text"]} for r in rows]


def release_events(data: Path) -> list[dict[str, Any]]:
    """The two sites' releases grouped into events by :class:`EventGrouper` (headline + body,
    publication day), keeping only events with releases of both sites. ``id`` is the link,
    ``text`` the body; ``event_id`` names the event's earliest release (date, then link)."""
    from compare.events.grouper import EventGrouper

    in_istanbul = {r["url"] for r in _jsonl(data / "ukraine/istanbul_2022.jsonl")}
    csv.field_size_limit(1 << 24)  # one Kremlin transcript is 176,484 characters
    rows = []
    for outlet, name in RELEASES:
        with (data / name).open(encoding="utf-8", newline="") as handle:
            rows += [{"id": r["link"], "outlet": outlet, "text": r["body"], "language": "en",
                      "title": r["headline"] or "", "published": r["date"]}
                     for r in csv.DictReader(handle) if r["link"] not in in_istanbul]
    grouper = EventGrouper().fit([f"{r['title']}\n\n{r['text']}" for r in rows],
                                 [r["published"][:10] for r in rows])
    members: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row, label in zip(rows, grouper.labels_, strict=True):
        members[int(label)].append(row)
    kept = []
    for group in members.values():
        if len({r["outlet"] for r in group}) < 2:
            continue
        first = min(group, key=lambda r: (r["published"], r["id"]))
        event = "ukr-" + hashlib.sha1(first["id"].encode()).hexdigest()[:10]
        kept += [dict(r, event_id=event) for r in group]
    log.info("ukraine: %d events with both sites, %d releases", len(
        {r["event_id"] for r in kept}), len(kept))
    return kept


def event_spans(records: list[dict[str, Any]], gold: Gold) -> dict[str, list[Span]]:
    """Passages of at least MIN_TOKENS tokens of each event not in the test fold."""
    from compare.text.passages import passage_spans
    from corpus.text import tokens

    events: dict[str, list[Span]] = defaultdict(list)
    for r in records:
        if r["event_id"] in gold.test_events:
            continue
        text = r["text"]
        for start, end, _, _ in passage_spans(text):
            if len(tokens(text[start:end])) >= MIN_TOKENS:
                events[r["event_id"]].append(Span(r["event_id"], r["outlet"], r["id"], start,
                                                  end, r["language"], text[start:end]))
    return {e: spans for e, spans in events.items() if len({s.outlet for s in spans}) > 1}


# ---------------------------------------------------------------------------- retrievers


Encoder = Callable[[list[str]], np.ndarray]


def make_encoders(cache: Path | None) -> dict[str, Encoder]:
    """The three encoders as functions of texts, through the product's cached embedding path."""
    from compare.embed.embedders import embed_texts, make_embedder
    from corpus.store import Store

    store = Store(cache) if cache is not None else None
    models = {name: make_embedder(spec) for name, spec in
              (("minilm", MINILM), ("use", USE), ("e5", E5))}
    return {name: partial(embed_texts, embedder=model, store=store)
            for name, model in models.items()}


def _applies(retriever: str, lang_a: str, lang_b: str) -> bool:
    english = lang_a == "en" and lang_b == "en"
    return {"minilm": english, "e5": not english}.get(retriever, True)


def event_similarities(spans: list[Span], encoders: dict[str, Encoder]
                       ) -> dict[str, np.ndarray]:
    """Each retriever's ``(n, n)`` cosines between the event's passages (NaN where the
    retriever does not read the pair's languages)."""
    from compare.text.tfidf import fit_tfidf
    from corpus.text import ascii_fold

    langs = np.array([s.language for s in spans], dtype=object)
    english = langs == "en"
    sims: dict[str, np.ndarray] = {}
    fitted = fit_tfidf([ascii_fold(s.text) for s in spans], analyzer="char_wb",
                       ngram_range=(3, 5))
    if fitted is not None:
        sims["tfidf"] = (fitted[1] @ fitted[1].T).toarray()
    vectors = encoders["use"]([s.text for s in spans])
    sims["use"] = vectors @ vectors.T
    if english.any():
        idx = np.flatnonzero(english)
        mini = encoders["minilm"]([spans[i].text for i in idx])
        sims["minilm"] = np.full((len(spans), len(spans)), np.nan, dtype=np.float32)
        sims["minilm"][np.ix_(idx, idx)] = mini @ mini.T
    if not english.all():
        wide = encoders["e5"]([s.text for s in spans])
        sims["e5"] = (wide @ wide.T).astype(np.float32)
        sims["e5"][np.ix_(english, english)] = np.nan
    return sims


def candidates(sims: dict[str, np.ndarray], anchor: int, pool: np.ndarray
               ) -> dict[int, dict[str, float]]:
    """Passages of ``pool`` any retriever ranks in its top TOP_K for ``anchor``, each with the
    cosines of the retrievers that retrieved it (ties broken by passage order)."""
    found: dict[int, dict[str, float]] = defaultdict(dict)
    for name in ("minilm", "use", "e5", "tfidf"):
        if name not in sims:
            continue
        row = sims[name][anchor, pool]
        readable = np.flatnonzero(~np.isnan(row))
        if not len(readable):
            continue
        order = readable[np.argsort(-row[readable], kind="stable")][:TOP_K]
        for i in order:
            found[int(pool[i])][name] = round(float(row[i]), 4)
    return dict(sorted(found.items()))


# ---------------------------------------------------------------------------- anchors


@dataclass(frozen=True)
class Anchor:
    """An anchor passage, the other outlet drawn for it and its pooled candidates."""

    span: Span
    outlet_b: str
    found: tuple[tuple[Span, dict[str, float]], ...]
    best: float  # USE's best cosine over the candidates: what ``top`` ranks by

    @property
    def anchor_id(self) -> str:
        return hashlib.sha1(f"{self.span.key}>{self.outlet_b}".encode()).hexdigest()[:10]


def event_anchors(spans: list[Span], sims: dict[str, np.ndarray], gold: Gold,
                  rng: np.random.Generator) -> list[Anchor]:
    """Every passage of the event that may anchor, with its drawn outlet B (in proportion to
    B's passages) and its candidates there."""
    by_outlet: dict[str, list[int]] = defaultdict(list)
    for i, span in enumerate(spans):
        by_outlet[span.outlet].append(i)
    anchors = []
    for i, span in enumerate(spans):
        if span.key in gold.anchors or span.article_id in gold.test_anchor_articles:
            continue
        others = sorted(o for o in by_outlet if o != span.outlet)
        sizes = np.array([len(by_outlet[o]) for o in others], dtype=float)
        outlet_b = others[int(rng.choice(len(others), p=sizes / sizes.sum()))]
        found = candidates(sims, i, np.array(by_outlet[outlet_b]))
        best = max(found[j].get("use", float(sims["use"][i, j])) for j in found)
        anchors.append(Anchor(span, outlet_b, tuple((spans[j], c) for j, c in found.items()),
                              best))
    return anchors


def draw_anchors(anchors: list[Anchor], n: int, rng: np.random.Generator,
                 top_share: float = 0.5) -> list[tuple[str, Anchor]]:
    """``n`` anchors: ``top_share`` of them (rounded down) from the TOP_SHARE of anchors whose
    best candidate is most similar (``top``), the rest uniformly (``random``), never one twice."""
    n_top = int(n * top_share)
    picked = rng.choice(len(anchors), size=min(n - n_top, len(anchors)), replace=False)
    ranked = np.argsort([-a.best for a in anchors], kind="stable")
    taken = set(picked.tolist())
    quarter = [int(i) for i in ranked[: int(np.ceil(len(anchors) * TOP_SHARE))]
               if int(i) not in taken]
    top = rng.choice(len(quarter), size=min(n_top, len(quarter)), replace=False)
    if len(picked) + len(top) < n:
        log.warning("only %d anchors could be drawn of %d asked", len(picked) + len(top), n)
    return ([("random", anchors[int(i)]) for i in picked]
            + [("top", anchors[quarter[int(i)]]) for i in top])


def pair_id(a: Span, b: Span) -> str:
    """12 hex digits of SHA-1 over the two spans, in either order."""
    return hashlib.sha1("|".join(sorted((a.key, b.key))).encode()).hexdigest()[:12]


def pair_rows(dataset: str, drawn: Iterable[tuple[str, Anchor]], gold: Gold
              ) -> list[dict[str, Any]]:
    """Pairs in the schema of ``claims/pairs.jsonl``, unlabelled, ``train``; pairs already in
    the gold or already written (from the other side) are left out."""
    seen = set(gold.pairs)
    rows = []
    for stratum, anchor in drawn:
        for span, retrieved in anchor.found:
            key = frozenset((anchor.span.key, span.key))
            texts = frozenset(_text_key(s.to_dict()) for s in (anchor.span, span))
            if key in seen or texts in seen:
                continue
            seen.update((key, texts))
            rows.append({"pair_id": pair_id(anchor.span, span), "dataset": dataset,
                         "event_id": anchor.span.event_id, "source": "sampled",
                         "anchor_id": anchor.anchor_id, "stratum": stratum,
                         "retrieved_by": retrieved, "a": anchor.span.to_dict(),
                         "b": span.to_dict(), "label": "", "larger": "", "conflict": "",
                         "note": "", "readings": [], "adjudicated": False, "fold": "train"})
    return rows


def build_pool(data: Path, dataset: str, n_anchors: int, seed: int,
               cache: Path | None = None, *, top_share: float = 0.5,
               exclude: Sequence[Path] = ()) -> list[dict[str, Any]]:
    """Candidate pairs of ``dataset`` from ``n_anchors`` anchors drawn with ``seed``,
    ``top_share`` of them ``top``, none repeating the gold or the labelled files ``exclude``.

    Raises:
        ValueError: ``top_share`` is outside [0, 1].
    """
    if not 0 <= top_share <= 1:
        raise ValueError(f"top_share {top_share} is not a share: give a number in [0, 1]")
    gold = exclude_labelled(read_gold(data / "claims" / "pairs.jsonl", dataset), exclude,
                            dataset)
    events = event_spans(read_records(data, dataset), gold)
    encoders = make_encoders(cache)
    rng = np.random.default_rng(seed)
    anchors: list[Anchor] = []
    for event in sorted(events):
        spans = events[event]
        anchors += event_anchors(spans, event_similarities(spans, encoders), gold, rng)
    log.info("%s: %d events, %d possible anchors", dataset, len(events), len(anchors))
    return pair_rows(dataset, draw_anchors(anchors, n_anchors, rng, top_share), gold)


# ---------------------------------------------------------------------------- chunks


def write_chunks(pools: list[Path], out: Path, seed: int, size: int = 200,
                 second_share: float = 0.12) -> int:
    """Every pair of ``pools`` shuffled into ``chunk-NN.jsonl`` files of ``size`` pairs, each
    with a ``second-NN.jsonl`` sample for a second reading: texts only (no score, stratum or
    retriever). Returns the number of chunks."""
    rows = [row for path in pools for row in _jsonl(path)]
    rng = np.random.default_rng(seed)
    rows = [rows[int(i)] for i in rng.permutation(len(rows))]
    out.mkdir(parents=True, exist_ok=True)
    sides = ("outlet", "language", "text")
    n_chunks = 0
    for n_chunks, start in enumerate(range(0, len(rows), size), start=1):
        chunk = [{"pair_id": r["pair_id"], "a": {k: r["a"][k] for k in sides},
                  "b": {k: r["b"][k] for k in sides}} for r in rows[start: start + size]]
        second = sorted(rng.choice(len(chunk), size=round(len(chunk) * second_share),
                                   replace=False).tolist())
        _write(out / f"chunk-{n_chunks:02d}.jsonl", chunk)
        _write(out / f"second-{n_chunks:02d}.jsonl", [chunk[i] for i in second])
    return n_chunks


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m compare.training.pool",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=DATASETS)
    parser.add_argument("--anchors", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True,
                        help="the pool file (JSONL), or the chunks' folder with --chunks")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--cache", type=Path, default=None, help="store file caching vectors")
    parser.add_argument("--top-share", type=float, default=0.5,
                        help="share of anchors drawn from the top quarter (0.5; gold round 2: 0.75)")
    parser.add_argument("--exclude", type=Path, nargs="+", default=[],
                        help="labelled pair files whose pairs and anchors are not drawn again")
    parser.add_argument("--chunks", type=Path, nargs="+", default=None,
                        help="pool files to shuffle into labelling chunks instead")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.chunks:
        log.info("%d chunks", write_chunks(args.chunks, args.out, args.seed))
        return
    if args.dataset is None:
        parser.error("--dataset is required (or --chunks)")
    if not 0 <= args.top_share <= 1:
        parser.error(f"--top-share {args.top_share} is not a share: give a number in [0, 1]")
    missing = [str(p) for p in args.exclude if not p.is_file()]
    if missing:
        parser.error(f"--exclude: {', '.join(missing)} not found")
    rows = build_pool(args.data, args.dataset, args.anchors, args.seed, args.cache,
                      top_share=args.top_share, exclude=args.exclude)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    _write(args.out, rows)
    log.info("%s: %d pairs written to %s", args.dataset, len(rows), args.out)


if __name__ == "__main__":
    main()
