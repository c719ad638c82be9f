"""The claims gold (``../shared/data/claims/pairs.jsonl``, issue 24): how well a scorer finds
the same fact in pairs of passages from two outlets of one real event.

A pair counts as the same fact when its label is ``same`` or ``contains``; ``unusable`` pairs
are left out of every figure. Two kinds of pairs (the data's ``source``):

- ``sampled``: anchors and their pooled candidates (``../shared/data/claims/README.md``):
  average precision of the score, and precision / recall / F1 at a threshold, overall, by
  dataset (``basil``, ``newswcl50``, ``istanbul``) and by language kind (two passages in the
  ``same`` language, or ``cross``-language);
- ``product_link``: a sample of the links one analysis run showed. Their share labelled the
  same fact is the share of shown links that are right; the same share among the pairs the
  scorer still links at the threshold says whether today's scorer keeps the right ones.

Scorers: :func:`score_same_fact` (the shipped verifier) and :func:`score_e5_cosine` (the plain
multilingual-e5-small cosine, the baseline every report prints beside it). Reports only: nothing
here trains or tunes on ``fold == "test"`` (docs/evaluation.md#claims-gold).
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from compare.errors import CompareError

SAME_FACT_LABELS = frozenset({"same", "contains"})
LABELS = frozenset({"same", "contains", "related", "different", "unusable"})
FOLDS = ("train", "test")
SOURCES = ("sampled", "product_link")
SAMPLED_DATASETS = ("basil", "newswcl50", "istanbul")
LANGUAGE_KINDS = ("same", "cross")
BASELINE_ENCODER = "e5:multilingual-small"


@dataclass(frozen=True)
class ClaimPair:
    """One labelled pair of passages from two outlets of one event."""

    pair_id: str
    dataset: str  # basil | newswcl50 | istanbul, or basil-links | istanbul-links
    event_id: str
    source: str  # sampled | product_link
    fold: str  # train | test
    label: str  # same | contains | related | different | unusable
    outlet_a: str
    outlet_b: str
    language_a: str
    language_b: str
    text_a: str
    text_b: str

    @property
    def is_same_fact(self) -> bool:
        """Whether the gold calls the two passages one fact (``same`` or ``contains``)."""
        return self.label in SAME_FACT_LABELS

    @property
    def usable(self) -> bool:
        """Whether the pair counts in the figures (both sides are statements)."""
        return self.label != "unusable"

    @property
    def language_kind(self) -> str:
        """``same`` when both passages are recorded in one language, else ``cross``."""
        return "same" if self.language_a == self.language_b else "cross"

    def to_dict(self) -> dict[str, str]:
        """The record as a flat dict of strings."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> ClaimPair:
        """A record from one line of ``pairs.jsonl`` (nested ``a``/``b``) or from
        :meth:`to_dict`'s flat form.

        Raises:
            KeyError: a field is missing.
        """
        if "a" not in row:
            return cls(**{name: str(row[name]) for name in cls.__dataclass_fields__})
        a, b = row["a"], row["b"]
        return cls(pair_id=str(row["pair_id"]), dataset=str(row["dataset"]),
                   event_id=str(row["event_id"]), source=str(row["source"]),
                   fold=str(row["fold"]), label=str(row["label"]),
                   outlet_a=str(a["outlet"]), outlet_b=str(b["outlet"]),
                   language_a=str(a["language"]), language_b=str(b["language"]),
                   text_a=str(a["text"]), text_b=str(b["text"]))


def read_claims(path: str | Path, fold: str | None = None, source: str | None = None, *,
                usable: bool = True) -> list[ClaimPair]:
    """The labelled pairs of ``pairs.jsonl``, in file order.

    Args:
        path: ``../shared/data/claims/pairs.jsonl``.
        fold: ``"train"`` or ``"test"`` to keep one fold; None for both.
        source: ``"sampled"`` or ``"product_link"`` to keep one kind of pair; None for both.
        usable: keep only the pairs that count in the figures (every label but ``unusable``);
            False keeps them all.

    Raises:
        CompareError: ``fold`` or ``source`` is not one of the known values, the file is
            absent, or a line is not a pair record (the message names the line).
    """
    if fold is not None and fold not in FOLDS:
        raise CompareError(f"unknown fold {fold!r}: use one of {', '.join(FOLDS)} or None")
    if source is not None and source not in SOURCES:
        raise CompareError(f"unknown source {source!r}: use one of {', '.join(SOURCES)} or None")
    path = Path(path)
    if not path.is_file():
        raise CompareError(f"{path} is absent: the claims gold lives in "
                           "../shared/data/claims/pairs.jsonl beside the checkout")
    pairs = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                pair = ClaimPair.from_dict(json.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                raise CompareError(f"{path}:{number} is not a claims pair record "
                                   f"({type(exc).__name__}: {exc})") from exc
            if pair.label not in LABELS:
                raise CompareError(f"{path}:{number}: unknown label {pair.label!r} "
                                   f"(GUIDELINES.md allows {', '.join(sorted(LABELS))})")
            if ((fold is None or pair.fold == fold) and (source is None or pair.source == source)
                    and (pair.usable or not usable)):
                pairs.append(pair)
    return pairs


LABELLED = tuple(sorted((Path(__file__).with_name("data")).glob("pairs-draw*.jsonl")))
# Labelled pairs the shipped verifier has not trained on yet (data/README.md says why): moved
# beside the others when the verifier is trained again.
PENDING = tuple(sorted((Path(__file__).with_name("data") / "pending").glob("pairs-draw*.jsonl")))


def read_labelled_pool(paths: Sequence[str | Path] = LABELLED,
                       data: str | Path = "../shared/data", *,
                       usable: bool = True) -> list[ClaimPair]:
    """The pairs labelled in the project (``compare/training/data``, train fold only), their
    texts read from ``data``: the files hold each side's article and offsets, never the text
    (the datasets' licence keeps their texts out of the repository).

    Raises:
        CompareError: the file or a dataset is absent, or a span no longer matches its
            article (the dataset changed since labelling).
    """
    from compare.training.pool import read_records

    data = Path(data)
    texts: dict[str, dict[str, str]] = {}
    pairs = []
    rows = []
    for path in map(Path, paths):
        if not path.is_file():
            raise CompareError(f"{path} is absent")
        with path.open(encoding="utf-8") as fh:
            rows += [(path, json.loads(line)) for line in fh if line.strip()]
    for path, row in rows:
        dataset = row["dataset"]
        if dataset not in texts:
            try:
                texts[dataset] = {r["id"]: r["text"] for r in read_records(data, dataset)}
            except OSError as exc:
                raise CompareError(f"dataset {dataset} is absent under {data}: {exc}") from exc
        sides = []
        for side in (row["a"], row["b"]):
            article = texts[dataset].get(side["article_id"])
            if article is None or side["char_end"] > len(article):
                raise CompareError(f"{path}: pair {row['pair_id']} names a passage of "
                                   f"{side['article_id']} that {data} does not hold")
            sides.append({**side, "text": article[side["char_start"]:side["char_end"]]})
        pair = ClaimPair.from_dict({**row, "a": sides[0], "b": sides[1]})
        if pair.usable or not usable:
            pairs.append(pair)
    return pairs


def score_same_fact(pairs: Sequence[ClaimPair]) -> np.ndarray:
    """``compare.same_fact`` on each pair's two texts, with their recorded languages.

    One call per event (dataset and event): the verifier's lexical weights and each language's
    mean vector are fitted on the passages of one call, as ``analyze`` fits them on one event's
    passages. Each distinct text of a call is embedded once; the models load once.

    Returns:
        ``(len(pairs),)`` float64 probabilities, in the pairs' order.
    """
    from compare import same_fact

    scores = np.zeros(len(pairs))
    for rows in by_event(pairs).values():
        scores[rows] = same_fact([pairs[k].text_a for k in rows], [pairs[k].text_b for k in rows],
                                 languages_a=[pairs[k].language_a for k in rows],
                                 languages_b=[pairs[k].language_b for k in rows])
    return scores


@dataclass(frozen=True)
class EventPassages:
    """One event's passages as ``analyze`` reads them, and where the labelled pairs sit in them.

    ``texts`` and ``languages`` are every sentence passage of the event's articles
    (:func:`compare.text.passages.passage_spans`), each distinct text once, then any pair text
    the articles do not hold; ``rows`` are the pairs' indices, ``a`` and ``b`` their two texts'
    indices in ``texts``."""

    texts: list[str]
    languages: list[str]
    rows: list[int]
    a: np.ndarray
    b: np.ndarray


def event_passages(pairs: Sequence[ClaimPair], data: str | Path = "../shared/data"
                   ) -> list[EventPassages]:
    """The labelled pairs grouped by their event, each event with all its passages.

    A ``sampled`` pair's event is its dataset's ``event_id``; a ``product_link`` pair (its event
    id is an analysis run's) belongs to the dataset event whose articles hold its first text
    (else its second; else it is read with the other pairs of its own event id, as
    :func:`score_same_fact` reads them). Events come from
    :func:`compare.training.pool.read_records` (Istanbul: one event; the Kremlin and
    president.gov.ua releases: grouped by :class:`compare.events.EventGrouper`).

    Raises:
        CompareError: a dataset is absent under ``data``.
    """
    from compare.text.passages import passage_spans
    from compare.training.pool import read_records

    passages: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    where: dict[tuple[str, str], str] = {}
    for dataset in sorted({p.dataset.removesuffix("-links") for p in pairs}):
        try:
            records = read_records(Path(data), dataset)
        except OSError as exc:
            raise CompareError(f"dataset {dataset} is absent under {data}: {exc}") from exc
        for record in records:
            text = record["text"]
            for start, end, _, _ in passage_spans(text):
                passages[(dataset, record["event_id"])].setdefault(text[start:end],
                                                                   record["language"])
                where.setdefault((dataset, text[start:end]), record["event_id"])
    grouped: dict[tuple[str, str], list[int]] = defaultdict(list)
    for k, pair in enumerate(pairs):
        dataset = pair.dataset.removesuffix("-links")
        event_id = pair.event_id
        if pair.source == "product_link":
            event_id = (where.get((dataset, pair.text_a)) or where.get((dataset, pair.text_b))
                        or f"{pair.dataset}/{pair.event_id}")
        grouped[(dataset, event_id)].append(k)
    return [_with_pairs(passages.get(event, {}), pairs, rows)
            for event, rows in grouped.items()]


def labelled_passages(pairs: Sequence[ClaimPair]) -> list[EventPassages]:
    """The labelled pairs grouped as :func:`score_same_fact` calls them (:func:`by_event`),
    each group with only its pairs' texts (sorted): what one ``same_fact`` call reads."""
    return [_with_pairs({}, pairs, rows, ordered=True) for rows in by_event(pairs).values()]


def _with_pairs(known: dict[str, str], pairs: Sequence[ClaimPair], rows: list[int], *,
                ordered: bool = False) -> EventPassages:
    """``known`` passages (text -> language) and the texts of ``pairs[rows]`` not among them,
    with each pair's two positions; ``ordered`` sorts the texts."""
    language = dict(known)
    for k in rows:
        language.setdefault(pairs[k].text_a, pairs[k].language_a)
        language.setdefault(pairs[k].text_b, pairs[k].language_b)
    texts = sorted(language) if ordered else list(language)
    at = {t: n for n, t in enumerate(texts)}
    return EventPassages(texts, [language[t] for t in texts], rows,
                         np.array([at[pairs[k].text_a] for k in rows], dtype=np.int64),
                         np.array([at[pairs[k].text_b] for k in rows], dtype=np.int64))


def score_in_event(pairs: Sequence[ClaimPair], data: str | Path = "../shared/data",
                   cache: str | Path | None = None) -> np.ndarray:
    """The shipped verifier's probability of each pair read inside its whole event, as
    ``analyze`` scores two passages of one event (:func:`event_passages`): the lexical weights
    and each language's mean vector fitted on all the event's passages, not only the labelled
    ones (:func:`score_same_fact`).

    Args:
        cache: a store file keeping the vectors between runs (None: embed again).

    Returns:
        ``(len(pairs),)`` float64 probabilities, in the pairs' order.
    """
    from compare.facts.same_fact import text_signals
    from compare.facts.verifier import load_verifier, verify_pairs
    from corpus.store import Store

    store = Store(cache) if cache is not None else None
    verifier = load_verifier()
    scores = np.zeros(len(pairs))
    for event in event_passages(pairs, data):
        signals = text_signals(event.texts, event.languages, store)
        scores[event.rows] = verify_pairs(signals, np.column_stack([event.a, event.b]),
                                          verifier)
    return scores


def score_e5_cosine(pairs: Sequence[ClaimPair], cache: str | Path | None = None) -> np.ndarray:
    """The baseline: the plain cosine of the two texts' multilingual-e5-small vectors.

    Args:
        pairs: the pairs to score.
        cache: a store file that keeps the vectors between runs (created when absent); None
            embeds every text again.

    Returns:
        ``(len(pairs),)`` float64 cosines, in the pairs' order.
    """
    from compare.embed.embedders import embed_texts, make_embedder
    from corpus.store import Store

    if not pairs:
        return np.zeros(0)
    store = Store(cache) if cache is not None else None
    vectors = embed_texts([*(p.text_a for p in pairs), *(p.text_b for p in pairs)],
                          make_embedder(BASELINE_ENCODER), store)
    n = len(pairs)
    return np.einsum("ij,ij->i", vectors[:n], vectors[n:]).astype(np.float64)


def threshold_for_links(scores: np.ndarray, links: int) -> float:
    """The score threshold at which ``scores`` link ``links`` pairs (the ``links``-th highest
    score; +inf for none): a baseline read at the same number of links as the model, so that
    its precision and recall compare without tuning a threshold on the labels."""
    if links <= 0 or len(scores) == 0:
        return math.inf
    return float(np.sort(np.asarray(scores, dtype=np.float64))[::-1][min(links, len(scores)) - 1])


def evaluate(pairs: Sequence[ClaimPair], scores: np.ndarray | Sequence[float],
             threshold: float) -> dict[str, Any]:
    """The claims-gold figures of one scorer: a pair is linked when its score reaches
    ``threshold``.

    Args:
        pairs: the labelled pairs (``unusable`` ones are left out here too).
        scores: one score per pair, higher meaning more likely the same fact.
        threshold: the score from which the scorer links a pair.

    Returns:
        ``{"threshold", "sampled", "product_link"}``. ``sampled`` maps ``overall``, each
        dataset present and each language kind present (``same``, ``cross``) to ``n``,
        ``positives``, ``linked``, ``ap`` (``average_precision_score``; NaN without a
        positive), ``precision``, ``recall``, ``f1`` (0 for an empty denominator).
        ``product_link`` maps ``overall`` and each dataset present to ``n``, ``right``,
        ``share`` (right of shown), ``linked``, ``linked_right`` and ``linked_share`` (right of
        those the scorer still links; NaN when it links none).

    Raises:
        CompareError: ``scores`` is not one number per pair.
    """
    values = np.asarray(scores, dtype=np.float64)
    if values.shape != (len(pairs),):
        raise CompareError(f"evaluate needs one score per pair: {len(pairs)} pairs, "
                           f"scores of shape {values.shape}")
    sampled: dict[str, list[int]] = defaultdict(list)
    shown: dict[str, list[int]] = defaultdict(list)
    for k, pair in enumerate(pairs):
        if not pair.usable:
            continue
        if pair.source == "sampled":
            for group in ("overall", pair.dataset, pair.language_kind):
                sampled[group].append(k)
        elif pair.source == "product_link":
            for group in ("overall", pair.dataset):
                shown[group].append(k)
    gold = np.array([p.is_same_fact for p in pairs], dtype=bool)
    linked = values >= threshold
    return {
        "threshold": float(threshold),
        "sampled": {group: _ranking_figures(gold[rows], values[rows], linked[rows])
                    for group, rows in _ordered(sampled, ("overall", *SAMPLED_DATASETS,
                                                          *LANGUAGE_KINDS))},
        "product_link": {group: _shown_figures(gold[rows], linked[rows])
                         for group, rows in _ordered(shown, ("overall",))},
    }


def _ranking_figures(gold: np.ndarray, scores: np.ndarray, linked: np.ndarray
                     ) -> dict[str, float | int]:
    """Average precision of the scores, and precision / recall / F1 of the links."""
    from sklearn.metrics import average_precision_score

    positives, hits = int(gold.sum()), int((gold & linked).sum())
    precision = hits / int(linked.sum()) if linked.any() else 0.0
    recall = hits / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    ap = float(average_precision_score(gold, scores)) if positives else math.nan
    return {"n": len(gold), "positives": positives, "linked": int(linked.sum()), "ap": ap,
            "precision": precision, "recall": recall, "f1": f1}


def _shown_figures(gold: np.ndarray, linked: np.ndarray) -> dict[str, float | int]:
    """The share of shown links that are right, overall and among those still linked."""
    right, still = int(gold.sum()), int(linked.sum())
    still_right = int((gold & linked).sum())
    return {"n": len(gold), "right": right, "share": right / len(gold) if len(gold) else math.nan,
            "linked": still, "linked_right": still_right,
            "linked_share": still_right / still if still else math.nan}


def _ordered(groups: dict[str, list[int]], first: Iterable[str]
             ) -> list[tuple[str, np.ndarray]]:
    """The groups present, the known names first (in that order), the others sorted."""
    known = [g for g in first if g in groups]
    rest = sorted(set(groups) - set(known))
    return [(g, np.asarray(groups[g], dtype=np.int64)) for g in [*known, *rest]]


def by_event(pairs: Sequence[ClaimPair]) -> dict[tuple[str, str], list[int]]:
    """Indices of the pairs of each (dataset, event), in first-appearance order: the pairs
    :func:`score_same_fact` reads in one call."""
    events: dict[tuple[str, str], list[int]] = defaultdict(list)
    for k, pair in enumerate(pairs):
        events[(pair.dataset, pair.event_id)].append(k)
    return events
