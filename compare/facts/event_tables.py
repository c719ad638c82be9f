"""Pure functions that turn fitted labels and scores into the result tables (``compare.schema``).

Array and group-by operations throughout: the cost of a table grows with its rows, never with
rows times topics or outlets.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from compare.facts.match import SameFactMatcher, best_links, cheap_similarity
from compare.facts.rows import FactBuilder
from compare.facts.signals import PassageSignals, content_words
from compare.text.details import larger_side, relation

Columns = dict[str, np.ndarray]  # one event's passage columns as arrays


def short_hash(*parts: str, n: int = 12) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:n]


def event_ids(articles: pd.DataFrame, labels: np.ndarray) -> list[str]:
    """A stable id per article's event, from the event's earliest article.

    Adding later articles to an event keeps its id; only an article published earlier than all
    the others can change it.
    """
    keys = pd.DataFrame({"published": articles["published"].replace("", "9999").to_numpy(),
                         "article_id": articles["article_id"].to_numpy()})
    first = keys.assign(_label=labels).sort_values(["published", "article_id"],
                                                   kind="mergesort").drop_duplicates("_label")
    anchor = dict(zip(first["_label"], first["article_id"], strict=True))
    return [f"ev_{short_hash(anchor[label])}" for label in labels]


def topic_ids(event_id: str, passages: pd.DataFrame, labels: np.ndarray) -> list[str]:
    """A stable id per passage's fact row (``""`` for label -1), from the row's earliest passage
    (article publication, article id, offset)."""
    keys = pd.DataFrame({"published": passages["published"].replace("", "9999").to_numpy(),
                         "article_id": passages["article_id"].to_numpy(),
                         "char_start": passages["char_start"].to_numpy(),
                         "passage_id": passages["passage_id"].to_numpy(),
                         "_label": labels})
    first = keys[keys["_label"] >= 0].sort_values(
        ["published", "article_id", "char_start", "passage_id"], kind="mergesort"
    ).drop_duplicates("_label")
    anchor = {lab: f"tp_{short_hash(event_id, pid)}"
              for lab, pid in zip(first["_label"], first["passage_id"], strict=True)}
    return [anchor.get(lab, "") for lab in labels]


def readable_label(text: str, max_chars: int = 110) -> str:
    """A fact's headline: its representative passage, cut at a word boundary when long.

    A sentence reads better on a projected screen than a list of terms; the words the row's
    passages share are exported beside it (``terms``).
    """
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars].rsplit(" ", 1)[0].rstrip(",;:—-")
    return f"{cut}…"


@dataclass(frozen=True)
class EventFacts:
    """The rows one event contributes to each result table."""

    topic_id: list[str]  # per passage of the event, in its order
    topics: list[dict[str, Any]]
    coverage: list[dict[str, Any]]
    alignments: list[dict[str, Any]]


def _shared_terms(texts: Sequence[str], languages: Sequence[str], limit: int = 8) -> list[str]:
    """Content words at least two of the texts use, most widespread first."""
    seen: dict[str, int] = {}
    for text, language in zip(texts, languages, strict=True):
        for word in dict.fromkeys(w for w in content_words(text, language) if len(w) > 2):
            seen[word] = seen.get(word, 0) + 1
    ranked = sorted((w for w, c in seen.items() if c >= 2), key=lambda w: (-seen[w], w))
    return ranked[:limit]


def fact_tables(event_id: str, passages: pd.DataFrame, signals: PassageSignals,
                matcher: SameFactMatcher, builder: FactBuilder, closest_floor: float,
                score: Any) -> EventFacts:
    """The topics (fact rows), coverage and alignments rows of one event.

    Args:
        passages: the event's passages (``passage_id, article_id, outlet, published,
            char_start, text, language``), in the order of ``signals``.
        matcher: fitted on the event (candidate pairs and their probabilities).
        builder: fitted on the matcher's pairs (row labels, which passages are cells).
        closest_floor: probability below which an outlet's nearest passage is "not reported".
        score: ``score(i, j) -> probability`` for pairs not yet scored.
    """
    labels, cells = builder.labels_, builder.cells_
    ids = topic_ids(event_id, passages, labels)
    # Plain arrays: the rows below read single cells, which pandas makes slow.
    cols: Columns = {c: passages[c].to_numpy(dtype=object)
                     for c in ("passage_id", "outlet", "text", "language")}
    threshold = matcher.threshold_
    outlets = cols["outlet"]
    prob = _RowPairs(builder.known_, score)
    members = pd.DataFrame({"row": labels, "i": np.arange(len(labels)), "cell": cells})
    row_cells = members[members["cell"]].groupby("row")["i"].apply(list).to_dict()
    prob.score_rows(row_cells.values())
    topics, coverage, alignments = [], [], []
    event_outlets = sorted(set(outlets))
    nearest = _nearest_elsewhere(matcher, labels, outlets)
    n_members = np.bincount(labels)
    for row in range(builder.n_rows_):
        cell_idx = row_cells[row]
        cell_prob = {i: prob.weakest(i, cell_idx) for i in cell_idx}
        rep = max(cell_idx, key=lambda i: (prob.mean(i, cell_idx), -i))
        row_outlets = {outlets[i]: i for i in cell_idx}
        topic_id = ids[rep]
        texts = [str(cols["text"][i]) for i in cell_idx]
        topics.append({
            "event_id": event_id, "topic_id": topic_id,
            "topic_label": readable_label(str(cols["text"][rep])),
            "terms": _shared_terms(texts, [str(cols["language"][i]) for i in cell_idx])
            if len(cell_idx) > 1 else [],
            "representative_passage_id": cols["passage_id"][rep],
            "representative_text": cols["text"][rep],
            "n_passages": int(n_members[row]), "n_outlets": len(row_outlets),
            "outlets": sorted(row_outlets),
        })
        for outlet in event_outlets:
            coverage.append(_coverage_row(event_id, topic_id, outlet, row_outlets, cell_prob,
                                          nearest.get((row, outlet)), rep, cols, signals,
                                          threshold, closest_floor, int(n_members[row])))
        alignments += _row_alignments(event_id, topic_id, cell_idx, prob, cols, signals)
    alignments += _link_alignments(event_id, matcher, labels, cells, ids, cols, signals,
                                   threshold, {(a["passage_id_a"], a["passage_id_b"])
                                               for a in alignments})
    return EventFacts(ids, topics, coverage, alignments)


class _RowPairs:
    """Probabilities of pairs inside rows, scored in one batch where not known yet."""

    def __init__(self, known: dict[tuple[int, int], float], score: Any) -> None:
        self.known, self.score = known, score

    def score_rows(self, rows: Any) -> None:
        missing = sorted({(a, b) for cells in rows for a in cells for b in cells
                          if a < b and (a, b) not in self.known})
        if missing:
            i, j = np.array(missing).T
            for key, p in zip(missing, self.score(i, j), strict=True):
                self.known[key] = float(p)

    def get(self, a: int, b: int) -> float:
        return self.known[(min(a, b), max(a, b))]

    def weakest(self, i: int, cells: Sequence[int]) -> float:
        others = [self.get(i, j) for j in cells if j != i]
        return min(others) if others else float("nan")

    def mean(self, i: int, cells: Sequence[int]) -> float:
        others = [self.get(i, j) for j in cells if j != i]
        return float(np.mean(others)) if others else 0.0


def _nearest_elsewhere(matcher: SameFactMatcher, labels: np.ndarray, outlets: np.ndarray
                       ) -> dict[tuple[int, str], tuple[int, float]]:
    """Per (row, outlet): the outlet's candidate with the highest probability to any of the
    row's passages, ``(passage, probability)``."""
    pairs, prob = matcher.pairs_, matcher.probability_
    if len(pairs) == 0:
        return {}
    frame = pd.DataFrame({
        "row": np.concatenate([labels[pairs[:, 0]], labels[pairs[:, 1]]]),
        "other": np.concatenate([pairs[:, 1], pairs[:, 0]]),
        "p": np.concatenate([prob, prob]),
    })
    frame["outlet"] = outlets[frame["other"].to_numpy()]
    frame = frame[labels[frame["other"].to_numpy()] != frame["row"].to_numpy()]
    best = frame.sort_values(["row", "outlet", "p", "other"], ascending=[True, True, False, True],
                             kind="mergesort").drop_duplicates(["row", "outlet"])
    return {(int(r), str(o)): (int(x), float(p)) for r, o, x, p in
            zip(best["row"], best["outlet"], best["other"], best["p"], strict=True)}


def _cheap_similarity(signals: PassageSignals, a: int, b: int) -> float:
    return round(float(cheap_similarity(signals, np.array([a]), np.array([b]))[0]), 4)


def _coverage_row(event_id: str, topic_id: str, outlet: str, row_outlets: dict[str, int],
                  cell_prob: dict[int, float], nearest: tuple[int, float] | None, rep: int,
                  passages: Columns, signals: PassageSignals, threshold: float,
                  closest_floor: float, n_members: int) -> dict[str, Any]:
    base = {"event_id": event_id, "topic_id": topic_id, "outlet": outlet}
    if outlet in row_outlets:
        i = row_outlets[outlet]
        p = cell_prob[i]
        return {**base, "covered": True, "n_passages": n_members if len(row_outlets) == 1 else 1,
                "best_passage_id": passages["passage_id"][i],
                "similarity": 1.0 if i == rep else _cheap_similarity(signals, i, rep),
                "status": "same" if np.isnan(p) or p >= threshold else "weaker",
                "probability": round(p, 4) if not np.isnan(p) else np.nan,
                "closest_passage_id": ""}
    if nearest is None:
        return {**base, "covered": False, "n_passages": 0, "best_passage_id": "",
                "similarity": np.nan, "status": "none", "probability": np.nan,
                "closest_passage_id": ""}
    j, p = nearest
    return {**base, "covered": False, "n_passages": 0, "best_passage_id": "",
            "similarity": _cheap_similarity(signals, j, rep),
            "status": "closest" if p >= closest_floor else "none",
            "probability": round(p, 4), "closest_passage_id": passages["passage_id"][j]}


def _alignment(event_id: str, topic_id: str, a: int, b: int, p: float, passages: Columns,
               signals: PassageSignals) -> dict[str, Any]:
    kind = relation(signals.details[a], signals.details[b], _overlap(signals, a, b),
                    signals.languages[a] == signals.languages[b])
    return {"event_id": event_id, "topic_id": topic_id,
            "passage_id_a": passages["passage_id"][a],
            "passage_id_b": passages["passage_id"][b],
            "outlet_a": passages["outlet"][a], "outlet_b": passages["outlet"][b],
            "similarity": _cheap_similarity(signals, a, b), "probability": round(p, 4),
            "relation": kind,
            "larger": larger_side(signals.details[a], signals.details[b])
            if kind == "contains" else ""}


def _overlap(signals: PassageSignals, a: int, b: int) -> float:
    """How much of their wording two passages share: the character n-gram cosine, scaled by
    their length ratio, so a short passage quoted inside a long one (whose extra clauses may
    hold a "not") does not count as saying the same words."""
    n_a, n_b = int(signals.n_words[a]), int(signals.n_words[b])
    ratio = min(n_a, n_b) / max(n_a, n_b, 1)
    return float(signals.chars[a].multiply(signals.chars[b]).sum()) * ratio


def _row_alignments(event_id: str, topic_id: str, cells: Sequence[int], prob: _RowPairs,
                    passages: Columns, signals: PassageSignals) -> list[dict[str, Any]]:
    """Every pair of cells in one row, with its probability (below the threshold: weaker)."""
    ordered = sorted(cells)
    return [_alignment(event_id, topic_id, a, b, prob.get(a, b), passages, signals)
            for k, a in enumerate(ordered) for b in ordered[k + 1:]]


def _link_alignments(event_id: str, matcher: SameFactMatcher, labels: np.ndarray,
                     cells: np.ndarray, ids: Sequence[str], passages: Columns,
                     signals: PassageSignals, threshold: float,
                     seen: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """Verified best links that no row holds (between rows, or to a support passage)."""
    rows = []
    for k in best_links(matcher.pairs_, matcher.probability_, list(passages["outlet"])):
        a, b = (int(x) for x in matcher.pairs_[k])
        p = float(matcher.probability_[k])
        key = (passages["passage_id"][a], passages["passage_id"][b])
        if p < threshold or key in seen:
            continue
        same_row = labels[a] == labels[b] and cells[a] and cells[b]
        rows.append(_alignment(event_id, ids[a] if same_row else "", a, b, p, passages,
                               signals))
    return rows


def omission_rows(topics: pd.DataFrame, event_outlets: pd.Series, share: float) -> pd.DataFrame:
    """What each outlet left out that most others reported, and what only it reported.

    Args:
        topics: the ``topics`` table (one row per fact).
        event_outlets: per event id, the sorted list of its outlets.
        share: an outlet omits a fact when more than this share of the event's *other* outlets
            report it (and at least two do).
    """
    base = topics[["event_id", "topic_id", "topic_label", "n_outlets", "outlets"]].copy()
    base["n_event"] = base["event_id"].map(event_outlets.map(len)).fillna(0).astype(int)
    base = base[base["n_event"] >= 2]
    unique = base[base["n_outlets"] == 1].assign(
        outlet=lambda f: f["outlets"].map(lambda o: o[0]), kind="unique")
    wide = base[(base["n_outlets"] >= 2)
                & (base["n_outlets"] / (base["n_event"] - 1).clip(lower=1) > share)]
    omitted = wide.assign(outlet=wide["event_id"].map(event_outlets)).explode("outlet")
    omitted = omitted[[o not in have for o, have in zip(omitted["outlet"], omitted["outlets"],
                                                         strict=True)]].assign(kind="omitted")
    out = pd.concat([unique, omitted], ignore_index=True)
    out = out.rename(columns={"n_outlets": "n_outlets_reporting",
                              "n_event": "n_outlets_in_event"})
    return out.sort_values(["event_id", "topic_id", "kind", "outlet"], kind="mergesort",
                           ignore_index=True)[["event_id", "outlet", "topic_id", "topic_label",
                                               "kind", "n_outlets_reporting",
                                               "n_outlets_in_event"]]
