"""Reading finished analyses for the dashboard: the one module that caches.

Every ``st.cache_data`` / ``st.cache_resource`` lives here. Reads are keyed by the store path
and the analysis ``run_id`` (a hash of inputs, parameters and model), so a click never
recomputes or rereads anything; a new analysis has a new run id and is picked up within
``STATUS_TTL_S`` seconds. The store (a SQLite file or a result folder,
``compare.datasets.folder``) is opened read-only.

What every viewer needs (the run's tables, an event's shaped facts, the facts of a set of
outlets) is cached as a *resource*: one object shared by all sessions, never copied and never
mutated, so a class arriving at once shapes each comparison once. Small per-view frames that a
view may change are cached as data (each reader gets its own copy).
"""
from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import streamlit as st

from compare import export
from compare.datasets.folder import open_readonly
from compare.runs import AnalysisRun, same_fact_threshold
from corpus.errors import CorpusError, StoreError
from corpus.store import DEFAULT_STORE, STORE_ENV
from dashboard import grid as gr
from dashboard import tables as tb

log = logging.getLogger(__name__)

STATUS_TTL_S = 5
MIME = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet",
        "jsonl": "application/x-ndjson",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FORMATS = export.FORMATS  # what ``parallax export`` writes, in its order


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


@st.cache_resource(ttl=STATUS_TTL_S, show_spinner=False)
def store_status(path: str) -> StoreStatus:
    """The store's state and its latest finished analysis run (rechecked every few seconds)."""
    if not Path(path).exists():
        return StoreStatus(path, "missing")
    try:
        with open_readonly(path) as store:
            count = store.article_count()
            run = store.latest_run("analyze")
    except StoreError as exc:
        return StoreStatus(path, "missing", error=str(exc))
    if run is not None:
        return StoreStatus(path, "ready", count, run)
    return StoreStatus(path, "empty" if count == 0 else "no_analysis", count)


@st.cache_resource(max_entries=4, show_spinner="Reading the analysis...")
def load_tables(path: str, run_id: str) -> tuple[dict[str, pd.DataFrame], tuple[str, ...]]:
    """Every result table of one run, typed, and the names of tables the run lacks."""
    frames: dict[str, pd.DataFrame] = {}
    missing: list[str] = []
    with open_readonly(path) as store:
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
    with open_readonly(path) as store:
        article = store.article(article_id)
    return article.to_dict() if article else None


@dataclass(frozen=True)
class Registry:
    """The outlet registry as the dashboard uses it."""

    frame: pd.DataFrame | None
    note: str  # why there is none ("" when there is one)
    names: Mapping[str, str]  # outlet -> display name
    kinds: Mapping[str, str]  # outlet -> kind (wire, western, ...)


@st.cache_resource(show_spinner=False)
def load_registry() -> Registry:
    """The outlet registry and, when it cannot be read, why (filters are hidden then)."""
    try:
        from corpus.outlets import load_registry as _load
    except ImportError as exc:  # corpus/outlets.py is optional for the dashboard
        return Registry(None, f"no outlet registry available ({exc})", {}, {})
    try:
        frame = _load()
    except (CorpusError, OSError, ValueError) as exc:
        log.warning("outlet registry unreadable: %s", exc)
        return Registry(None, f"outlet registry unreadable: {exc}", {}, {})
    kinds = dict(zip(frame["outlet"], frame["kind"], strict=True)) if "kind" in frame else {}
    return Registry(frame, "", tb.display_names(frame), kinds)


@st.cache_resource(max_entries=16, show_spinner=False)
def event_summary(path: str, run_id: str) -> pd.DataFrame:
    """One row per event of the run (see :func:`dashboard.tables.event_summary`)."""
    return tb.event_summary(tables(path, run_id)["events"])


@st.cache_resource(max_entries=16, show_spinner=False)
def event_labels(path: str, run_id: str) -> dict[str, str]:
    """event_id -> its label."""
    summary = event_summary(path, run_id)
    return dict(zip(summary["event_id"], summary["event_label"].fillna("").astype(str),
                    strict=True))


@st.cache_resource(max_entries=64, show_spinner=False)
def event_outlets(path: str, run_id: str, event_id: str) -> tuple[str, ...]:
    """The event's outlets, most articles first."""
    return tuple(tb.event_outlets(tables(path, run_id)["events"], event_id))


@st.cache_resource(max_entries=64, show_spinner=False)
def label_options(path: str, run_id: str, event_id: str) -> dict[str, list[str]]:
    """The registry labels the event's outlets can be filtered by, and their values."""
    return tb.label_options(load_registry().frame, event_outlets(path, run_id, event_id))


@st.cache_resource(max_entries=256, show_spinner=False)
def candidates(path: str, run_id: str, event_id: str,
               selections: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[str, ...]:
    """The event's outlets whose registry labels match the selections (label, values)."""
    return tuple(tb.filter_outlets(event_outlets(path, run_id, event_id),
                                   load_registry().frame, dict(selections)))


@st.cache_resource(max_entries=256, show_spinner=False)
def default_outlets(path: str, run_id: str, event_id: str,
                    candidates: tuple[str, ...]) -> tuple[str, ...]:
    """The outlets preselected for the event (:func:`dashboard.grid.default_outlets`)."""
    frames = tables(path, run_id)
    return tuple(gr.default_outlets(candidates, gr.shared_counts(frames["topics"], event_id),
                                    load_registry().kinds,
                                    articles=gr.article_counts(frames["events"], event_id)))


@st.cache_resource(max_entries=16, show_spinner="Reading the facts...")
def event_grid(path: str, run_id: str, event_id: str) -> gr.EventGrid:
    """One event's facts and cells for every outlet."""
    return gr.event_grid(tables(path, run_id), event_id, threshold=run_threshold(path, run_id))


@st.cache_resource(max_entries=16, show_spinner=False)
def run_threshold(path: str, run_id: str) -> float:
    """The same-fact threshold the run linked passages at (its provenance says which)."""
    with open_readonly(path) as store:
        run = next((r for r in store.runs("analyze") if r["run_id"] == run_id), None)
    return same_fact_threshold(dict((run or {}).get("params") or {}))


@st.cache_resource(max_entries=256, show_spinner=False)
def fact_grid(path: str, run_id: str, event_id: str, outlets: tuple[str, ...],
              include_single: bool = False, differ_first: bool = False) -> gr.FactGrid:
    """The facts the shown outlets report, in display order (shared by every viewer)."""
    return gr.fact_grid(event_grid(path, run_id, event_id), outlets,
                        include_single=include_single, differ_first=differ_first)


@st.cache_data(max_entries=64, show_spinner=False)
def first_reports(path: str, run_id: str, event_id: str) -> pd.DataFrame:
    """Who reported the event first and who followed."""
    return tb.first_reports(tables(path, run_id)["events"], event_id)


@st.cache_data(max_entries=64, show_spinner=False)
def timeline(path: str, run_id: str, event_id: str) -> pd.DataFrame:
    """The event's articles with parsed publication times."""
    return tb.timeline(tables(path, run_id)["events"], event_id)


@st.cache_data(max_entries=128, show_spinner=False)
def coverage_matrix(path: str, run_id: str, event_id: str, outlets: tuple[str, ...],
                    limit: int) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Fact x outlet probabilities and cell words of the first ``limit`` shared facts, and how
    many shared facts there are."""
    return tb.coverage_matrix(fact_grid(path, run_id, event_id, outlets), limit)


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
def tone_matrix(path: str, run_id: str, event_id: str, outlets: tuple[str, ...],
                limit: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fact x outlet mean tone of the first ``limit`` shared facts, and each cell's words."""
    return tb.tone_matrix(tables(path, run_id), fact_grid(path, run_id, event_id, outlets),
                          limit)


@st.cache_data(max_entries=64, show_spinner="Searching...")
def search(path: str, run_id: str, query: str, event_id: str | None,
           outlets: tuple[str, ...] | None) -> pd.DataFrame:
    """Passages containing ``query`` (case-insensitive)."""
    return tb.search_passages(tables(path, run_id), query, event_id=event_id, outlets=outlets)


def side_by_side_export(path: str, run_id: str, provenance: Mapping[str, Any], event_id: str,
                        outlets: Sequence[str], include_single: bool) -> pd.DataFrame:
    """The side by side as ``parallax export side-by-side`` writes it (one row per fact), with
    the run id first as in every export. Built when the download is clicked."""
    from compare.export.sidebyside import side_by_side_table

    run = AnalysisRun(run_id, dict(provenance), tables(path, run_id))
    frame = side_by_side_table(run, event_id=event_id, outlets=list(outlets),
                               include_single=include_single)
    frame.insert(0, "run_id", run_id)
    return frame


def to_bytes(frame: pd.DataFrame, fmt: str, provenance: Mapping[str, Any]) -> bytes:
    """``frame`` in ``fmt`` exactly as ``parallax export`` writes it (``compare.export``).

    Raises:
        ValueError: ``fmt`` is not a format the exporter writes.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format '{fmt}': choose one of {', '.join(FORMATS)}")
    return export.to_bytes(frame, fmt, dict(provenance))


def view_bytes(frame: pd.DataFrame, fmt: str, provenance: Mapping[str, str]) -> bytes:
    """A view's rows with the provenance as leading columns (run id, model, parameters)."""
    return to_bytes(tb.with_provenance(frame, provenance), fmt, provenance)
