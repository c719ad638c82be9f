"""Reading finished analyses for the dashboard: the one module that caches.

Every ``st.cache_data`` / ``st.cache_resource`` lives here. Reads are keyed by the store path
and the analysis ``run_id`` (a hash of inputs, parameters and model), so a click never
recomputes or rereads anything; a new analysis has a new run id and is picked up within
``STATUS_TTL_S`` seconds. The store is opened read-only.
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import streamlit as st

from corpus.errors import CorpusError, StoreError
from corpus.store import DEFAULT_STORE, STORE_ENV, Store
from dashboard import tables as tb

log = logging.getLogger(__name__)

STATUS_TTL_S = 5
FORMATS = ("csv", "parquet", "jsonl")
MIME = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet",
        "jsonl": "application/x-ndjson"}
Tables = Mapping[str, pd.DataFrame]


def store_path_from(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> Path:
    """The store to read: ``--store PATH`` after ``--`` on the streamlit command line, else
    ``$PARALLAX_STORE``, else ``./parallax.db``. Never from the URL (that would let any
    visitor open any file the server can read)."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--store")
    args, _ = parser.parse_known_args(list(argv))
    env = os.environ if environ is None else environ
    return Path(args.store or env.get(STORE_ENV) or DEFAULT_STORE)


@dataclass(frozen=True)
class StoreStatus:
    """What the store holds: ``state`` is missing, empty, no_analysis or ready."""

    path: str
    state: Literal["missing", "empty", "no_analysis", "ready"]
    articles: int = 0
    run: dict[str, Any] | None = None
    error: str = ""

    def next_command(self) -> str:
        """The one command that gets the user further."""
        if self.state in ("missing", "empty"):
            return f"parallax collect SOURCE --store {self.path}"
        return f"parallax analyze --store {self.path}"


@st.cache_data(ttl=STATUS_TTL_S, show_spinner=False)
def store_status(path: str) -> StoreStatus:
    """The store's state and its latest finished analysis run (rechecked every few seconds)."""
    if not Path(path).exists():
        return StoreStatus(path, "missing")
    try:
        with Store(path, readonly=True) as store:
            count = store.article_count()
            run = store.latest_run("analyze")
    except StoreError as exc:
        return StoreStatus(path, "missing", error=str(exc))
    if run is not None:
        return StoreStatus(path, "ready", count, run)
    return StoreStatus(path, "empty" if count == 0 else "no_analysis", count)


@st.cache_resource(max_entries=4, show_spinner="Reading the analysis...")
def load_tables(path: str, run_id: str) -> tuple[dict[str, pd.DataFrame], tuple[str, ...]]:
    """Every result table of one run, typed, and the names of tables the run lacks.

    Shared between sessions and never mutated (the shaping functions copy), so cached as a
    resource: no per-click copy of a large run.
    """
    frames: dict[str, pd.DataFrame] = {}
    missing: list[str] = []
    with Store(path, readonly=True) as store:
        for name in tb.COLUMNS:
            try:
                frame = store.read_result(name, run_id)
            except StoreError as exc:
                log.warning("run %s has no %s table: %s", run_id, name, exc)
                missing.append(name)
                frame = None
            frames[name] = tb.normalize(name, frame)
    return frames, tuple(missing)


def tables(path: str, run_id: str) -> dict[str, pd.DataFrame]:
    """The run's tables (see :func:`load_tables`)."""
    return load_tables(path, run_id)[0]


@st.cache_data(max_entries=512, show_spinner=False)
def load_article(path: str, article_id: str) -> dict[str, Any] | None:
    """One stored article as a dict (title, url, text, ...), or None when it is not stored."""
    with Store(path, readonly=True) as store:
        article = store.article(article_id)
    return article.to_dict() if article else None


@st.cache_data(show_spinner=False)
def load_registry() -> tuple[pd.DataFrame | None, str]:
    """The outlet registry and, when it cannot be read, why (filters are hidden then)."""
    try:
        from corpus.outlets import load_registry as _load
    except ImportError as exc:  # corpus/outlets.py is optional for the dashboard
        return None, f"no outlet registry available ({exc})"
    try:
        return _load(), ""
    except (CorpusError, OSError, ValueError) as exc:
        log.warning("outlet registry unreadable: %s", exc)
        return None, f"outlet registry unreadable: {exc}"


@st.cache_data(max_entries=16, show_spinner=False)
def event_summary(path: str, run_id: str) -> pd.DataFrame:
    """One row per event of the run (see :func:`dashboard.tables.event_summary`)."""
    return tb.event_summary(tables(path, run_id)["events"])


@st.cache_data(max_entries=64, show_spinner=False)
def event_outlets(path: str, run_id: str, event_id: str) -> list[str]:
    """The event's outlets, most articles first."""
    return tb.event_outlets(tables(path, run_id)["events"], event_id)


@st.cache_data(max_entries=64, show_spinner=False)
def first_reports(path: str, run_id: str, event_id: str) -> pd.DataFrame:
    """Who reported the event first and who followed."""
    return tb.first_reports(tables(path, run_id)["events"], event_id)


@st.cache_data(max_entries=64, show_spinner=False)
def timeline(path: str, run_id: str, event_id: str) -> pd.DataFrame:
    """The event's articles with parsed publication times."""
    return tb.timeline(tables(path, run_id)["events"], event_id)


@st.cache_data(max_entries=128, show_spinner="Aligning passages...")
def side_by_side(path: str, run_id: str, event_id: str, outlets: tuple[str, ...]) -> pd.DataFrame:
    """The side-by-side cells for the chosen outlets."""
    return tb.side_by_side(tables(path, run_id), event_id, outlets)


@st.cache_data(max_entries=128, show_spinner=False)
def coverage_matrix(path: str, run_id: str, event_id: str,
                    outlets: tuple[str, ...]) -> pd.DataFrame:
    """topic x outlet similarity matrix (0 = not reported)."""
    return tb.coverage_matrix(tables(path, run_id), event_id, outlets)


@st.cache_data(max_entries=128, show_spinner=False)
def omissions(path: str, run_id: str, event_id: str, outlets: tuple[str, ...]) -> pd.DataFrame:
    """Omitted and unique facts of the chosen outlets."""
    return tb.omissions(tables(path, run_id), event_id, outlets)


@st.cache_data(max_entries=256, show_spinner=False)
def framing_rows(path: str, run_id: str, event_id: str, outlets: tuple[str, ...],
                 signal: str | tuple[str, ...], topic_id: str | None = None) -> pd.DataFrame:
    """Framing rows of one signal (or several)."""
    return tb.framing_rows(tables(path, run_id), event_id, outlets, signal, topic_id)


@st.cache_data(max_entries=128, show_spinner=False)
def tone_matrix(path: str, run_id: str, event_id: str, outlets: tuple[str, ...]) -> pd.DataFrame:
    """topic x outlet mean tone."""
    return tb.tone_matrix(tables(path, run_id), event_id, outlets)


@st.cache_data(max_entries=64, show_spinner="Searching...")
def search(path: str, run_id: str, query: str, event_id: str | None,
           outlets: tuple[str, ...] | None) -> pd.DataFrame:
    """Passages containing ``query`` (case-insensitive)."""
    return tb.search_passages(tables(path, run_id), query, event_id=event_id, outlets=outlets)


def to_bytes(frame: pd.DataFrame, fmt: str, provenance: Mapping[str, Any]) -> bytes:
    """``frame`` as CSV, Parquet or JSONL with its provenance, as ``parallax export`` writes.

    Uses ``compare.export.to_bytes`` when the library offers it; otherwise the small local
    writer below (same layout: rows carry run_id/model/params, Parquet schema metadata carries
    ``parallax.provenance``).

    Raises:
        ValueError: ``fmt`` is not one of csv, parquet, jsonl.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format '{fmt}': choose one of {', '.join(FORMATS)}")
    flat = tb.with_provenance(frame, {k: str(provenance.get(k, "")) for k in
                                      ("run_id", "model", "params")})
    try:
        from compare.export import to_bytes as library_to_bytes
    except ImportError:
        return _to_bytes(flat, fmt, provenance)
    return library_to_bytes(flat, fmt, dict(provenance))


def _to_bytes(frame: pd.DataFrame, fmt: str, provenance: Mapping[str, Any]) -> bytes:
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    if fmt == "jsonl":
        return frame.to_json(orient="records", lines=True, force_ascii=False).encode("utf-8")
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(arrow.schema.metadata or {})
    meta[b"parallax.provenance"] = json.dumps(dict(provenance), default=str).encode("utf-8")
    buffer = io.BytesIO()
    pq.write_table(arrow.replace_schema_metadata(meta), buffer)
    return buffer.getvalue()
