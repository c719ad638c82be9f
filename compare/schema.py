"""The result tables' one specification: names, column order, types, JSON and boolean columns.

Every reader and writer of analysis results goes through this module: ``analyze`` builds its
frames with :func:`frame`, the store receives :func:`encode` d rows, ``load_run`` and the
dashboard :func:`decode` them, and the exporter takes the column order from :data:`TABLES`.
A column is added here once and appears everywhere. Light on purpose (pandas only): the CLI's
``export`` and ``status`` import it without the model.

Kinds: ``str`` (missing -> ""), ``int``, ``float`` (missing -> NaN), ``bool`` (stored 0/1),
``json`` (a list, stored as JSON text).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal, cast

import pandas as pd

Kind = Literal["str", "int", "float", "bool", "json"]


def _spec(text: str) -> tuple[tuple[str, Kind], ...]:
    """``"name:kind name:kind ..."`` (kind ``str`` when omitted) as (name, kind) pairs."""
    out: list[tuple[str, Kind]] = []
    for item in text.split():
        name, _, kind = item.partition(":")
        out.append((name, cast(Kind, kind or "str")))
    return tuple(out)


# The export columns of README.md ("Export columns (stable)"), without the leading run_id that
# every exported result row carries. New columns are only ever appended.
TABLES: dict[str, tuple[tuple[str, Kind], ...]] = {
    "articles": _spec(
        "article_id source_id outlet url title published language duplicate_of duplicate_kind "
        "author site_name content_hash origin collected_at text"),
    "events": _spec(
        "article_id source_id outlet url title published language duplicate_of content_hash "
        "event_id event_label"),
    "passages": _spec(
        "passage_id article_id source_id outlet url event_id topic_id char_start:int "
        "char_end:int text is_quote:bool speaker tone:float language"),
    "topics": _spec(
        "event_id topic_id topic_label terms:json representative_passage_id representative_text "
        "n_passages:int n_outlets:int outlets:json"),
    "coverage": _spec(
        "event_id topic_id outlet covered:bool n_passages:int best_passage_id similarity:float "
        "status probability:float closest_passage_id"),
    "alignments": _spec(
        "event_id topic_id passage_id_a passage_id_b outlet_a outlet_b similarity:float "
        "probability:float relation larger"),
    "omissions": _spec(
        "event_id outlet topic_id topic_label kind n_outlets_reporting:int "
        "n_outlets_in_event:int"),
    "framing": _spec(
        "event_id topic_id outlet signal term value:float z_score:float count:int "
        "passage_ids:json detail"),
}
# alignments.relation values that are no difference: the same fact told alike, or inside a
# longer passage (``larger`` names that side); the others name what differs.
SAME_RELATIONS = ("same", "contains", "")
# The tables an analysis run writes, in the order they are written and exported.
RESULT_TABLES = ("events", "passages", "topics", "coverage", "alignments", "omissions", "framing")


def columns(table: str) -> list[str]:
    """The column names of ``table`` in their stable order."""
    return [name for name, _ in TABLES[table]]


def kinds(table: str) -> dict[str, Kind]:
    """``{column: kind}`` of ``table``."""
    return dict(TABLES[table])


def _typed(series: pd.Series, kind: Kind) -> pd.Series:
    if kind == "str":
        return series.fillna("").astype(str)
    if kind == "int":
        return pd.to_numeric(series, errors="coerce").fillna(0).astype("int64")
    if kind == "float":
        return pd.to_numeric(series, errors="coerce").astype("float64")
    if kind == "bool":
        return series.fillna(False).astype(bool)
    return series.map(_as_list)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        return list(json.loads(value)) if value else []
    if isinstance(value, list | tuple):
        return list(value)
    return []


def frame(table: str, rows: Iterable[Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """A typed frame of ``table``: exactly its columns, in order (missing ones filled).

    Raises:
        KeyError: ``table`` is not a result or export table.
    """
    data = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    out = pd.DataFrame(index=data.index)
    for name, kind in TABLES[table]:
        out[name] = _typed(data[name] if name in data.columns else pd.Series(
            [None] * len(data), index=data.index, dtype=object), kind)
    return out.reset_index(drop=True)


def encode(table: str, data: pd.DataFrame) -> pd.DataFrame:
    """``data`` ready for the store: JSON columns as text, booleans as 0/1."""
    out = frame(table, data)
    for name, kind in TABLES[table]:
        if kind == "json":
            out[name] = out[name].map(lambda v: json.dumps(v, ensure_ascii=False))
        elif kind == "bool":
            out[name] = out[name].astype("int64")
    return out


def decode(table: str, data: pd.DataFrame | None) -> pd.DataFrame:
    """A frame read back from the store (or None: an empty table), typed as :func:`frame`.

    Columns the table no longer defines are dropped; columns a run written by an older version
    lacks come back empty (``""``, NaN, 0, False or ``[]``).
    """
    if data is None:
        return frame(table, [])
    return frame(table, data.drop(columns=["run_id"], errors="ignore"))


def flatten(data: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``data`` with list and dict cells as JSON text (CSV, spreadsheets)."""
    out = data.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, list | dict)).any():
            out[col] = out[col].map(
                lambda v: json.dumps(v, ensure_ascii=False, default=str)
                if isinstance(v, list | dict | tuple) else v)
    return out
