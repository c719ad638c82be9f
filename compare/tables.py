"""Pure functions that turn fitted labels and scores into the result tables of DESIGN.md."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd


def short_hash(*parts: str, n: int = 12) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:n]


def sort_key_published(published: str, ident: str) -> tuple[str, str]:
    """Order by publication (unknown dates last), then id: the 'earliest' that anchors IDs."""
    return (published or "9999", ident)


def event_ids(articles: pd.DataFrame, labels: np.ndarray) -> list[str]:
    """A stable id per article's event, from the event's earliest article.

    Adding later articles to an event keeps its id; only an article published earlier than all
    the others can change it.
    """
    anchors: dict[int, tuple[str, str]] = {}
    for label, published, aid in zip(labels, articles["published"], articles["article_id"],
                                     strict=True):
        key = sort_key_published(published, aid)
        if label not in anchors or key < anchors[label]:
            anchors[label] = key
    return [f"ev_{short_hash(anchors[label][1])}" for label in labels]


def topic_ids(event_id: str, passages: pd.DataFrame, labels: np.ndarray) -> list[str]:
    """A stable id per passage's topic (``""`` for unclustered), from the topic's earliest
    passage (article publication, article id, offset)."""
    anchors: dict[int, tuple[str, str, int, str]] = {}
    for label, row in zip(labels, passages.itertuples(index=False), strict=True):
        if label < 0:
            continue
        key = (row.published or "9999", row.article_id, int(row.char_start), row.passage_id)
        if label not in anchors or key < anchors[label]:
            anchors[label] = key
    return [f"tp_{short_hash(event_id, anchors[lab][3])}" if lab >= 0 else "" for lab in labels]


def readable_label(text: str, max_chars: int = 110) -> str:
    """A topic's headline: its representative passage, cut at a word boundary when long.

    A sentence reads better on a projected screen than a list of terms; the distinctive terms
    are exported beside it (``terms``).
    """
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars].rsplit(" ", 1)[0].rstrip(",;:—-")
    return f"{cut}…"


def topic_rows(event_id: str, passages: pd.DataFrame, emb: np.ndarray, terms: dict[str, list[str]],
               ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Rows of the ``topics`` and ``coverage`` tables for one event.

    Coverage holds every (topic, outlet) pair of the event: ``covered`` says whether the outlet
    has a passage in the topic; ``best_passage_id``/``similarity`` give its passage closest to
    the topic centroid, or, when not covered, ``""`` and the cosine of its nearest passage (how
    close the outlet came to saying it).
    """
    outlets = sorted(passages["outlet"].unique())
    topics, coverage = [], []
    for topic_id, members in passages[passages["topic_id"] != ""].groupby("topic_id", sort=True):
        idx = members.index.to_numpy()
        centroid = emb[idx].mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        scores = emb[idx] @ centroid
        rep = int(idx[int(np.argmax(scores))])
        topic_outlets = sorted(members["outlet"].unique())
        label_terms = terms.get(str(topic_id), [])
        topics.append({
            "event_id": event_id, "topic_id": topic_id,
            "topic_label": readable_label(passages.at[rep, "text"]),
            "terms": label_terms, "representative_passage_id": passages.at[rep, "passage_id"],
            "representative_text": passages.at[rep, "text"], "n_passages": len(idx),
            "n_outlets": len(topic_outlets), "outlets": topic_outlets,
        })
        for outlet in outlets:
            own = passages.index[passages["outlet"] == outlet].to_numpy()
            in_topic = members.index[members["outlet"] == outlet].to_numpy()
            pool = in_topic if len(in_topic) else own
            sims = emb[pool] @ centroid
            best = int(pool[int(np.argmax(sims))])
            coverage.append({
                "event_id": event_id, "topic_id": topic_id, "outlet": outlet,
                "covered": bool(len(in_topic)), "n_passages": len(in_topic),
                "best_passage_id": passages.at[best, "passage_id"] if len(in_topic) else "",
                "similarity": round(float(sims.max()), 4),
            })
    return topics, coverage


def omission_rows(event_id: str, topics: Sequence[dict[str, object]], outlets: Sequence[str],
                  share: float) -> list[dict[str, object]]:
    """What each outlet left out that most others reported, and what only it reported."""
    rows: list[dict[str, object]] = []
    n_event = len(outlets)
    if n_event < 2:
        return rows
    for topic in topics:
        reporting = [str(o) for o in topic["outlets"]]  # type: ignore[attr-defined]
        n = len(reporting)
        base = {"event_id": event_id, "topic_id": topic["topic_id"],
                "topic_label": topic["topic_label"], "n_outlets_reporting": n,
                "n_outlets_in_event": n_event}
        if n == 1:
            rows.append({**base, "outlet": reporting[0], "kind": "unique"})
            continue
        for outlet in outlets:
            if outlet not in reporting and n >= 2 and n / (n_event - 1) > share:
                rows.append({**base, "outlet": outlet, "kind": "omitted"})
    return rows
