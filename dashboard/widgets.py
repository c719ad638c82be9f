"""Input widgets: each ``*_ui()`` draws its widgets and returns plain values.

Session state keys used across reruns: ``classroom`` (bool), ``fact`` (index of the fact shown
in classroom mode), ``open_passage`` (passage id open in the reader).
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.tables import label_columns

VIEWS = ("Events", "Side by side", "Coverage and omissions", "Word choice",
         "Tone and sourcing", "Search")
MAX_OUTLETS = 5
WHOLE_EVENT = "Whole event"
_TRUE = ("1", "true", "yes", "on")


def view_ui() -> str:
    """The view picker (sidebar)."""
    return str(st.sidebar.radio("View", VIEWS, index=1, key="view"))


def event_ui(summary: pd.DataFrame) -> str:
    """The event picker (sidebar); returns the chosen event_id."""
    labels = {
        row.event_id: f"{row.event_label or row.event_id} ({row.n_articles} articles, "
                      f"{row.n_outlets} outlets)"
        for row in summary.itertuples()
    }
    return str(st.sidebar.selectbox("Event", list(labels), format_func=labels.__getitem__,
                                    key="event"))


def label_filter_ui(registry: pd.DataFrame | None, outlets: Sequence[str]) -> dict[str, list[str]]:
    """Filters by outlet labels from the registry; nothing is drawn without a registry."""
    labels = label_columns(registry)
    if registry is None or not labels:
        return {}
    rows = registry[registry["outlet"].isin(outlets)]
    chosen: dict[str, list[str]] = {}
    with st.sidebar.expander("Filter outlets by label"):
        for label in labels:
            values = sorted({str(v) for v in rows[label] if str(v)})
            if len(values) > 1:
                chosen[label] = st.multiselect(label.replace("_", " ").capitalize(), values,
                                               key=f"label-{label}")
    return chosen


def outlets_ui(candidates: Sequence[str], names: Mapping[str, str], event_id: str) -> list[str]:
    """Pick 2 to 5 outlets; the most prolific ones are preselected."""
    # The key follows the candidate list, so a label filter resets the choice instead of
    # leaving outlets selected that are no longer offered.
    digest = hashlib.sha1("\n".join(candidates).encode()).hexdigest()[:8]
    key = f"outlets-{event_id}-{digest}"
    return list(st.sidebar.multiselect(
        f"Outlets to compare (2 to {MAX_OUTLETS})", list(candidates),
        default=list(candidates[:min(4, len(candidates))]), max_selections=MAX_OUTLETS,
        format_func=lambda o: names.get(o, o), key=key,
    ))


def _set(key: str, value: Any) -> None:
    st.session_state[key] = value


def classroom_ui() -> bool:
    """The classroom toggle, kept in sync with the ``?classroom=1`` URL parameter."""
    if "classroom" not in st.session_state:
        st.session_state["classroom"] = str(st.query_params.get("classroom", "")).lower() in _TRUE
    on = bool(st.sidebar.toggle("Classroom mode", key="classroom",
                                help="Large type, high contrast, one fact at a time."))
    if on:
        st.query_params["classroom"] = "1"
    elif "classroom" in st.query_params:
        del st.query_params["classroom"]
    return on


def exit_classroom_ui() -> None:
    """A button that leaves classroom mode (the sidebar is hidden there)."""
    st.button("Exit classroom mode", key="exit-classroom", on_click=_set,
              args=("classroom", False))


def fact_nav_ui(n_facts: int) -> int:
    """Previous / next buttons; returns the index of the fact to show."""
    index = min(max(int(st.session_state.get("fact", 0)), 0), max(n_facts - 1, 0))
    st.session_state["fact"] = index
    left, middle, right = st.columns([1, 2, 1])
    left.button("< Previous", key="fact-prev", disabled=index == 0, on_click=_set,
                args=("fact", index - 1), width="stretch")
    middle.markdown(f"<div class='px-count'>Fact {index + 1} of {n_facts}</div>",
                    unsafe_allow_html=True)
    right.button("Next >", key="fact-next", disabled=index >= n_facts - 1, on_click=_set,
                 args=("fact", index + 1), width="stretch")
    return index


def facts_ui(n_shared: int, n_all: int) -> tuple[bool, int | None]:
    """Which facts the side by side shows: shared ones only (default), how many at once."""
    left, right = st.columns([2, 1])
    single = left.toggle(
        f"Also show facts only one of these outlets reports ({n_all - n_shared} more)",
        key="facts-single", help="They are listed per outlet in 'Coverage and omissions' too.")
    size = right.selectbox("Facts shown", ["20", "50", "all"], key="facts-limit")
    return single, None if size == "all" else int(size)


def read_ui(passage_id: str, key: str) -> None:
    """A button under a passage that opens it in the full article."""
    st.button("Read in article", key=key, on_click=_set, args=("open_passage", passage_id),
              help="Show the whole article with this passage highlighted.")


def close_reader_ui(key: str) -> None:
    """Closes the article reader."""
    st.button("Close article", key=key, on_click=_set, args=("open_passage", ""))


def open_passage() -> str:
    """The passage id open in the reader, or ``""``."""
    return str(st.session_state.get("open_passage", ""))


def topic_ui(topics: pd.DataFrame, key: str) -> str:
    """A topic picker with a whole-event option; returns topic_id ("" = whole event)."""
    labels = {"": WHOLE_EVENT, **dict(zip(topics["topic_id"], topics["topic_label"],
                                          strict=True))}
    return str(st.selectbox("Fact", list(labels), format_func=labels.__getitem__, key=key))


def search_ui() -> tuple[str, bool]:
    """The search box; returns (query, only this event)."""
    left, right = st.columns([3, 1])
    query = left.text_input("Search passages (case-insensitive)", key="query",
                            placeholder="e.g. neutrality, Medinsky, Crimea")
    only_event = right.checkbox("Only this event", value=True, key="query-event")
    return str(query), bool(only_event)


def export_ui(frame: pd.DataFrame, name: str, provenance: Mapping[str, Any], key: str) -> None:
    """Download buttons for ``frame`` as CSV, Parquet and JSONL (built only when clicked)."""
    st.caption(f"Download this view ({len(frame)} rows, with run id, model and parameters):")
    cols = st.columns(len(data.FORMATS))
    for col, fmt in zip(cols, data.FORMATS, strict=True):
        build: Callable[[], bytes] = functools.partial(data.to_bytes, frame, fmt, provenance)
        col.download_button(f"{fmt.upper()}", build, file_name=f"parallax-{name}.{fmt}",
                            mime=data.MIME[fmt], key=f"dl-{key}-{fmt}", on_click="ignore")


def handout_ui(build: Callable[[], str], key: str) -> None:
    """A download button for the printable handout (HTML, built only when clicked)."""
    st.download_button("Printable handout (HTML)", lambda: build().encode("utf-8"),
                       file_name="parallax-handout.html", mime="text/html",
                       key=f"handout-{key}", on_click="ignore")
