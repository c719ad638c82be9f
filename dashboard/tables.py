"""Pure pandas shaping of the result tables for the views (no Streamlit, no disk).

Every function takes the frames read from the store (see DESIGN.md) and returns the small frame
one view draws, so the views stay thin and these can be tested and benchmarked directly.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from compare import schema

COLUMNS: dict[str, list[str]] = {name: schema.columns(name) for name in schema.RESULT_TABLES}
# Registry columns that identify an outlet rather than label it.
_NOT_LABELS = {"outlet", "domains", "display_name"}


def normalize(name: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    """``frame`` with every column of the table present and typed (``compare.schema``)."""
    return schema.decode(name, frame)


def display_names(registry: pd.DataFrame | None) -> dict[str, str]:
    """outlet -> display name from the registry (empty when there is no registry)."""
    if registry is None or "display_name" not in registry:
        return {}
    return {str(o): str(d or o) for o, d in zip(registry["outlet"], registry["display_name"],
                                                strict=True)}


def label_columns(registry: pd.DataFrame | None) -> list[str]:
    """The registry's label columns (country, language, kind, ... and the user's own)."""
    if registry is None:
        return []
    return [c for c in registry.columns if c not in _NOT_LABELS]


def filter_outlets(outlets: Sequence[str], registry: pd.DataFrame | None,
                   selections: Mapping[str, Sequence[str]]) -> list[str]:
    """The outlets whose registry labels match every non-empty selection (label -> values)."""
    active = {k: set(v) for k, v in selections.items() if v}
    if not active or registry is None:
        return list(outlets)
    rows = registry.set_index("outlet")
    keep = []
    for outlet in outlets:
        if outlet not in rows.index:
            continue
        row = rows.loc[outlet]
        if all(str(row.get(label, "")) in values for label, values in active.items()):
            keep.append(outlet)
    return keep


def event_summary(events: pd.DataFrame) -> pd.DataFrame:
    """One row per event: label, articles, outlets, first and last publication; most outlets
    first."""
    if events.empty:
        return pd.DataFrame(columns=["event_id", "event_label", "n_articles", "n_outlets",
                                     "first_published", "last_published", "outlets"])
    grouped = events.groupby("event_id", sort=False)
    out = pd.DataFrame({
        "event_label": grouped["event_label"].first(),
        "n_articles": grouped.size(),
        "n_outlets": grouped["outlet"].nunique(),
        "first_published": grouped["published"].min(),
        "last_published": grouped["published"].max(),
        "outlets": grouped["outlet"].agg(lambda s: ", ".join(s.value_counts().index)),
    }).reset_index()
    # Events several outlets covered come first: they are the ones worth comparing.
    return out.sort_values(["n_outlets", "n_articles", "first_published"],
                           ascending=[False, False, True], ignore_index=True)


def event_outlets(events: pd.DataFrame, event_id: str) -> list[str]:
    """The event's outlets, most articles first, then the earliest to report."""
    rows = events[events["event_id"] == event_id]
    counts = rows.groupby("outlet").agg(n=("article_id", "size"), first=("published", "min"))
    counts = counts.reset_index().sort_values(["n", "first", "outlet"],
                                              ascending=[False, True, True])
    return counts["outlet"].tolist()


def first_reports(events: pd.DataFrame, event_id: str) -> pd.DataFrame:
    """Per outlet: articles, first publication and how many hours after the first outlet."""
    rows = events[events["event_id"] == event_id].copy()
    rows["when"] = pd.to_datetime(rows["published"], errors="coerce", utc=True, format="mixed")
    out = rows.groupby("outlet").agg(articles=("article_id", "size"), first=("when", "min"))
    out = out.sort_values("first").reset_index()
    start = out["first"].min()
    out["hours_after_first"] = ((out["first"] - start).dt.total_seconds() / 3600).round(1)
    out["order"] = range(1, len(out) + 1)
    return out


def timeline(events: pd.DataFrame, event_id: str) -> pd.DataFrame:
    """The event's articles with parsed publication times, for the timeline chart."""
    rows = events[events["event_id"] == event_id].copy()
    rows["when"] = pd.to_datetime(rows["published"], errors="coerce", utc=True, format="mixed")
    return rows.dropna(subset=["when"]).sort_values("when")


def ordered_topics(topics: pd.DataFrame, event_id: str) -> pd.DataFrame:
    """The event's topics, the most widely reported first."""
    rows = topics[topics["event_id"] == event_id]
    return rows.sort_values(["n_outlets", "n_passages", "topic_label"],
                            ascending=[False, False, True], ignore_index=True)


def distinctive_terms(framing: pd.DataFrame, event_id: str, outlet: str, topic_id: str,
                      limit: int = 8) -> list[str]:
    """An outlet's most distinctive words (positive word_choice z) for a topic or the event."""
    rows = framing[(framing["event_id"] == event_id) & (framing["outlet"] == outlet)
                   & (framing["signal"] == "word_choice")
                   & framing["topic_id"].isin([topic_id, ""]) & (framing["z_score"] > 0)]
    return rows.sort_values("z_score", ascending=False)["term"].head(limit).tolist()


def side_by_side(tables: Mapping[str, pd.DataFrame], event_id: str,
                 outlets: Sequence[str]) -> pd.DataFrame:
    """One row per (topic, outlet): the outlet's aligned passage or an empty cell.

    Columns: topic_id, topic_label, outlet, covered, passage_id, article_id, url, text,
    char_start, char_end, similarity, terms (the outlet's distinctive words to highlight).
    """
    topics = ordered_topics(tables["topics"], event_id)[["topic_id", "topic_label"]]
    grid = topics.merge(pd.DataFrame({"outlet": list(outlets)}), how="cross")
    cov = tables["coverage"]
    cov = cov[(cov["event_id"] == event_id) & cov["outlet"].isin(outlets)]
    grid = grid.merge(cov[["topic_id", "outlet", "covered", "best_passage_id", "similarity"]],
                      on=["topic_id", "outlet"], how="left")
    pas = tables["passages"][["passage_id", "article_id", "url", "text", "char_start",
                              "char_end"]]
    grid = grid.merge(pas, left_on="best_passage_id", right_on="passage_id", how="left")
    grid["covered"] = grid["covered"].fillna(False).astype(bool) & grid["text"].notna()
    grid["text"] = grid["text"].fillna("")
    for col in ("passage_id", "article_id", "url"):
        grid[col] = grid[col].fillna("")
    framing = tables["framing"]
    # Filter once; the per-cell lookups then scan only this event's word-choice rows.
    framing = framing[(framing["event_id"] == event_id) & (framing["signal"] == "word_choice")
                      & framing["outlet"].isin(outlets)]
    grid["terms"] = [distinctive_terms(framing, event_id, o, t)
                     for o, t in zip(grid["outlet"], grid["topic_id"], strict=True)]
    return grid.drop(columns=["best_passage_id"])


def shared_facts(cells: pd.DataFrame, include_single: bool = False) -> pd.DataFrame:
    """The side-by-side rows of facts at least two of the shown outlets report (all facts that
    one of them reports when ``include_single``), in the same order."""
    reporting = cells.groupby("topic_id", sort=False)["covered"].transform("sum")
    return cells[reporting >= (1 if include_single else 2)]


def first_facts(cells: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    """The rows of the first ``limit`` facts (all when None)."""
    if limit is None:
        return cells
    keep = list(dict.fromkeys(cells["topic_id"]))[:limit]
    return cells[cells["topic_id"].isin(keep)]


def coverage_matrix(tables: Mapping[str, pd.DataFrame], event_id: str,
                    outlets: Sequence[str]) -> pd.DataFrame:
    """topic label x outlet: the similarity of the outlet's best passage, 0 when not covered."""
    cells = side_by_side(tables, event_id, outlets)
    cells["score"] = cells["similarity"].fillna(1.0).where(cells["covered"], 0.0)
    order = ordered_topics(tables["topics"], event_id)["topic_label"].tolist()
    matrix = cells.pivot_table(index="topic_label", columns="outlet", values="score",
                               aggfunc="max", sort=False)
    return matrix.reindex(index=order, columns=list(outlets))


def omissions(tables: Mapping[str, pd.DataFrame], event_id: str,
              outlets: Sequence[str]) -> pd.DataFrame:
    """What each outlet left out that most others reported, and what only it reported."""
    rows = tables["omissions"]
    rows = rows[(rows["event_id"] == event_id) & rows["outlet"].isin(outlets)]
    return rows.sort_values(["outlet", "kind", "n_outlets_reporting"],
                            ascending=[True, True, False], ignore_index=True)


def framing_rows(tables: Mapping[str, pd.DataFrame], event_id: str, outlets: Sequence[str],
                 signal: str | tuple[str, ...], topic_id: str | None = None) -> pd.DataFrame:
    """The framing rows of one signal (or several) for the chosen outlets (and topic, "" =
    whole event)."""
    rows = tables["framing"]
    signals = (signal,) if isinstance(signal, str) else signal
    mask = ((rows["event_id"] == event_id) & rows["outlet"].isin(outlets)
            & rows["signal"].isin(signals))
    if topic_id is not None:
        mask &= rows["topic_id"] == topic_id
    return rows[mask].reset_index(drop=True)


def tone_matrix(tables: Mapping[str, pd.DataFrame], event_id: str,
                outlets: Sequence[str]) -> pd.DataFrame:
    """topic label x outlet: mean tone (framing signal "tone"; -1 negative .. +1 positive)."""
    rows = framing_rows(tables, event_id, outlets, "tone")
    labels = ordered_topics(tables["topics"], event_id).set_index("topic_id")["topic_label"]
    rows = rows.assign(topic_label=rows["topic_id"].map(labels).fillna("Whole event"))
    matrix = rows.pivot_table(index="topic_label", columns="outlet", values="value",
                              aggfunc="mean", sort=False)
    order = [t for t in [*labels.tolist(), "Whole event"] if t in matrix.index]
    return matrix.reindex(index=order, columns=[o for o in outlets if o in matrix.columns])


def search_passages(tables: Mapping[str, pd.DataFrame], query: str, *,
                    event_id: str | None = None, outlets: Sequence[str] | None = None,
                    limit: int = 200) -> pd.DataFrame:
    """Passages whose text contains ``query`` (case-insensitive, literal), with their title."""
    pas = tables["passages"]
    if not query.strip():
        return pas.iloc[0:0]
    mask = pas["text"].str.contains(query.strip(), case=False, regex=False, na=False)
    if event_id:
        mask &= pas["event_id"] == event_id
    if outlets is not None:
        mask &= pas["outlet"].isin(outlets)
    hits = pas[mask].head(limit)
    titles = tables["events"][["article_id", "title", "published"]].drop_duplicates("article_id")
    return hits.merge(titles, on="article_id", how="left")


def provenance(run: Mapping[str, Any]) -> dict[str, str]:
    """The per-row export provenance of a run: run_id, model and parameters (as JSON).

    ``run`` is a row of the store's ``runs`` table; its ``params`` is either the analysis
    provenance (with ``model`` and ``parameters``) or, in older stores, the bare parameters.
    """
    params = dict(run.get("params") or {})
    summary = dict(run.get("summary") or {})
    model = params.get("model") or params.get("embedder") or summary.get("model") or ""
    settings = params.get("parameters", {k: v for k, v in params.items() if k != "inputs"})
    return {"run_id": str(run.get("run_id", "")), "model": str(model),
            "params": json.dumps(settings, sort_keys=True, default=str)}


def with_provenance(frame: pd.DataFrame, prov: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with the provenance as leading columns, list cells as JSON text."""
    out = frame.copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, list | tuple | dict)).any():
            out[col] = out[col].map(lambda v: json.dumps(v, ensure_ascii=False, default=str))
    for i, (key, value) in enumerate(prov.items()):
        if key in out.columns:
            out = out.drop(columns=[key])
        out.insert(i, key, value)
    return out
