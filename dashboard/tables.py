"""Pure pandas shaping of the result tables for the views (no Streamlit, no disk).

Every function takes the frames read from the store (see DESIGN.md) and returns the small frame
one view draws, so the views stay thin and these can be tested and benchmarked directly.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from compare import schema
from dashboard.grid import CLOSEST, NONE, REPORTS, WEAKER, Cell, FactGrid, FactRow

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


def label_options(registry: pd.DataFrame | None, outlets: Sequence[str]) -> dict[str, list[str]]:
    """Per registry label (country, kind, ...), the values ``outlets`` have, where they differ
    (a filter with one value filters nothing)."""
    if registry is None:
        return {}
    rows = registry[registry["outlet"].isin(outlets)]
    out = {}
    for label in label_columns(registry):
        values = sorted({str(v) for v in rows[label] if str(v)})
        if len(values) > 1:
            out[label] = values
    return out


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


def _fact_labels(grid: FactGrid, limit: int) -> tuple[list[FactRow], list[str]]:
    """The first ``limit`` facts at least two shown outlets report, and their row labels (the
    heading passage, numbered as in the side by side), unique so plotly keeps every row."""
    rows = [r for r in grid.rows if r.n_reporting >= 2][:limit]
    labels: list[str] = []
    for n, row in enumerate(rows, start=1):
        labels.append(f"{n}. {row.heading.text}")
    return rows, labels


# What a coverage heatmap cell says before its probability (short: plotly shrinks long text).
_CELL_WORDS = {REPORTS: "", WEAKER: "weaker ", CLOSEST: "closest ", NONE: "not reported"}


def coverage_matrix(grid: FactGrid, limit: int) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Fact x outlet: the same-fact probability of each reporting cell (1.0 when the fact has
    one outlet), 0 where the outlet does not report it; the words each cell shows; and how many
    facts the shown outlets share (the matrix holds the first ``limit``)."""
    rows, labels = _fact_labels(grid, limit)
    values, words = [], []
    for row in rows:
        values.append([(1.0 if np.isnan(c.probability) else c.probability)
                       if c.state in (REPORTS, WEAKER) else 0.0 for c in row.cells])
        words.append([_cell_words(c) for c in row.cells])
    outlets = list(grid.outlets)
    shared = sum(r.n_reporting >= 2 for r in grid.rows)
    return (pd.DataFrame(values, index=labels, columns=outlets, dtype=float),
            pd.DataFrame(words, index=labels, columns=outlets, dtype=object), shared)


def _cell_words(cell: Cell) -> str:
    if cell.state == NONE:
        return _CELL_WORDS[NONE]
    if np.isnan(cell.probability):
        return "reported" if cell.state in (REPORTS, WEAKER) else "closest"
    return f"{_CELL_WORDS[cell.state]}{cell.probability:.2f}"


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


def tone_matrix(tables: Mapping[str, pd.DataFrame], grid: FactGrid,
                limit: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fact x outlet: the mean tone of the outlet's passages on the fact (framing signal
    "tone"; -1 negative .. +1 positive), for the facts of :func:`coverage_matrix`, and the words
    each cell shows. Tone is measured in English only: a passage in another language says
    "not measured", never a 0 that reads as neutral."""
    rows, labels = _fact_labels(grid, limit)
    tone = tables["framing"]
    tone = tone[(tone["signal"] == "tone") & tone["topic_id"].isin([r.topic_id for r in rows])]
    mean = tone.groupby(["topic_id", "outlet"])["value"].mean().to_dict()
    values, words = [], []
    for row in rows:
        line, said = [], []
        for cell in row.cells:
            reports = cell.state in (REPORTS, WEAKER)
            measured = reports and cell.language in ("en", "")
            value = mean.get((row.topic_id, cell.outlet), np.nan) if measured else np.nan
            line.append(value)
            said.append("" if not reports else "not measured" if np.isnan(value)
                        else f"{value:.2f}")
        values.append(line)
        words.append(said)
    return (pd.DataFrame(values, index=labels, columns=list(grid.outlets), dtype=float),
            pd.DataFrame(words, index=labels, columns=list(grid.outlets), dtype=object))


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
