"""Input widgets: each ``*_ui()`` draws its widgets and returns plain values.

Session state keys used across reruns: ``event``, ``view``, ``outlets-<event>-<digest>``,
``classroom``, ``differ``, ``single`` (widgets); ``fact`` (0-based index of the fact shown in
classroom mode, or of the first fact on the side-by-side page), ``fact_scope`` (what the fact
index counts: event, outlets and fact filters), ``open_passage`` ("<row>|<passage id>" open in the
reader), ``link_read`` (the URL was read into the state) and ``link_notice``.

Labels are fixed text or numbers; text from articles or users only appears as an option of a
select box (plain text, never Markdown) or through ``dashboard.markup``.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.links import MAX_OUTLETS, LinkState

WHOLE_EVENT = "Whole event"
# Facts on one page of the side by side: about one screenful at 1280 x 1600.
FACTS_PER_PAGE = 5


def _set(key: str, value: Any) -> None:
    st.session_state[key] = value


def _step(by: int, last: int) -> None:
    """Move the fact index by ``by`` from where it is when the click arrives (two quick presses
    move two facts), within ``0 .. last``."""
    st.session_state["fact"] = min(max(int(st.session_state.get("fact", 0)) + by, 0), last)


def view_ui(titles: Sequence[str]) -> str:
    """The view picker (sidebar)."""
    return str(st.sidebar.radio("View", list(titles), key="view"))


def event_ui(summary: pd.DataFrame) -> str:
    """The event picker (sidebar); returns the chosen event_id."""
    labels = {
        row.event_id: f"{row.event_label or row.event_id} ({row.n_articles} articles, "
                      f"{row.n_outlets} outlets)"
        for row in summary.itertuples()
    }
    return str(st.sidebar.selectbox("Event", list(labels), format_func=labels.__getitem__,
                                    key="event"))


def label_filter_ui(options: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Filters by outlet labels from the registry (label -> its values); none without any."""
    if not options:
        return {}
    chosen: dict[str, list[str]] = {}
    with st.sidebar.expander("Filter outlets by label"):
        for label, values in options.items():
            # A widget label renders Markdown, and the registry's columns are the user's:
            # only letters, digits and spaces reach it.
            shown = " ".join(re.sub(r"[^\w ]+", " ", label.replace("_", " ")).split())
            shown = shown.capitalize()
            chosen[label] = st.multiselect(shown or "Label", list(values), key=f"label-{label}")
    return chosen


def outlets_key(event_id: str, candidates: Sequence[str]) -> str:
    """The outlet picker's key. It follows the candidate list, so a label filter resets the
    choice instead of leaving outlets selected that are no longer offered."""
    digest = hashlib.sha1("\n".join(candidates).encode()).hexdigest()[:8]
    return f"outlets-{event_id}-{digest}"


def outlets_ui(candidates: Sequence[str], names: Mapping[str, str], key: str,
               default: Sequence[str]) -> list[str]:
    """Pick 2 to 5 outlets (``default`` preselected the first time)."""
    if key not in st.session_state:
        st.session_state[key] = [o for o in default if o in candidates]
    return list(st.sidebar.multiselect(
        f"Outlets to compare (2 to {MAX_OUTLETS})", list(candidates),
        max_selections=MAX_OUTLETS, format_func=lambda o: names.get(o, o), key=key,
    ))


def classroom_ui() -> bool:
    """The classroom toggle (sidebar)."""
    return bool(st.sidebar.toggle("Classroom mode", key="classroom",
                                  help="Large type, high contrast, one fact at a time; the "
                                       "left and right arrow keys move between facts."))


def exit_classroom_ui() -> None:
    """A button that leaves classroom mode (the sidebar is hidden there)."""
    st.button("Exit classroom mode", key="exit-classroom", on_click=_set,
              args=("classroom", False))


def fact_index(n_facts: int) -> int:
    """The fact index in the session, within ``0 .. n_facts - 1``."""
    index = min(max(int(st.session_state.get("fact", 0)), 0), max(n_facts - 1, 0))
    st.session_state["fact"] = index
    return index


def fact_nav_ui(index: int, n_facts: int) -> None:
    """Previous / next buttons (also the left and right arrow keys) and "Fact i of n"."""
    left, middle, right = st.columns([1, 2, 1])
    left.button("< Previous", key="fact-prev", disabled=index == 0, on_click=_step,
                args=(-1, n_facts - 1), width="stretch", shortcut="Left")
    middle.html(f"<div class='px-count'>Fact {index + 1} of {n_facts}</div>")
    right.button("Next >", key="fact-next", disabled=index >= n_facts - 1, on_click=_step,
                 args=(1, n_facts - 1), width="stretch", shortcut="Right")


def page_nav_ui(start: int, n_facts: int, key: str) -> None:
    """Previous / next page of facts (also the arrow keys) and which facts are shown."""
    end = min(start + FACTS_PER_PAGE, n_facts)
    left, middle, right = st.columns([1, 2, 1])
    left.button("< Previous facts", key=f"{key}-prev", disabled=start == 0, on_click=_step,
                args=(-FACTS_PER_PAGE, n_facts - 1), width="stretch",
                shortcut="Left" if key == "page-top" else None)
    middle.html(f"<div class='px-count'>Facts {start + 1} to {end} of {n_facts}</div>")
    right.button("Next facts >", key=f"{key}-next", disabled=end >= n_facts, on_click=_step,
                 args=(FACTS_PER_PAGE, n_facts - 1), width="stretch",
                 shortcut="Right" if key == "page-top" else None)


def facts_ui(n_single: int, n_differ: int) -> tuple[bool, bool]:
    """Which facts the side by side lists: (also single-outlet facts, told-differently first)."""
    left, right = st.columns([1, 1])
    differ = right.toggle(
        f"Facts told differently first ({n_differ})", key="differ",
        help="Facts where two of these outlets' passages differ on a number, a date, who did "
             "it, or where one denies it.")
    single = left.toggle(
        f"Also facts one outlet reports alone ({n_single} more)", key="single",
        help="Facts only one of these outlets reports. They are listed per outlet in "
             "'Coverage and omissions' too.")
    return bool(single), bool(differ)


def read_ui(where: str, passage_id: str, key: str) -> None:
    """A button under a passage that opens it in the full article, below ``where`` (a fact
    row or the search results: one passage can be shown in several places)."""
    st.button("Read in article", key=key, on_click=_set,
              args=("open_passage", f"{where}|{passage_id}"),
              help="Show the whole article with this passage highlighted.")


def close_reader_ui(key: str) -> None:
    """Closes the article reader."""
    st.button("Close article", key=key, on_click=_set, args=("open_passage", ""))


def open_passage(where: str) -> str:
    """The passage id open in the reader below ``where``, or ``""``."""
    opened, _, passage_id = str(st.session_state.get("open_passage", "")).partition("|")
    return passage_id if opened == where else ""


def topic_ui(topics: pd.DataFrame, key: str) -> str:
    """A fact picker with a whole-event option; returns topic_id ("" = whole event)."""
    labels = {"": WHOLE_EVENT, **dict(zip(topics["topic_id"], topics["topic_label"],
                                          strict=True))}
    return str(st.selectbox("Fact", list(labels), format_func=labels.__getitem__, key=key))


def search_ui() -> tuple[str, bool]:
    """The search box; returns (query, only this event)."""
    left, right = st.columns([3, 1])
    query = left.text_input("Search passages (case-insensitive)", key="query",
                            placeholder="e.g. neutrality, Medinsky, Crimea")
    only_event = right.checkbox("Only this event", value=True, key="query-event")
    return str(query or ""), bool(only_event)


def export_ui(build: Callable[[str], bytes], name: str, formats: Sequence[str],
              mime: Mapping[str, str], what: str, key: str) -> None:
    """Download buttons, one per format; ``build(fmt)`` runs only when one is clicked."""
    st.caption(f"Download {what}:")
    for col, fmt in zip(st.columns(len(formats)), formats, strict=True):
        col.download_button(fmt.upper(), lambda fmt=fmt: build(fmt),  # type: ignore[misc]
                            file_name=f"parallax-{name}.{fmt}", mime=mime[fmt],
                            key=f"dl-{key}-{fmt}", on_click="ignore")


def handout_ui(build: Callable[[], str], key: str) -> None:
    """A download button for the printable handout (HTML, built only when clicked)."""
    st.download_button("Printable handout (HTML)", lambda: build().encode("utf-8"),
                       file_name="parallax-handout.html", mime="text/html",
                       key=f"handout-{key}", on_click="ignore")


def link_ui(url: str, label: str) -> None:
    """The full link to what is shown, to copy (the box has a copy button) and send."""
    st.caption(label)
    st.code(url, language=None, wrap_lines=True)


def read_link_once(read: Callable[[dict[str, str]], tuple[LinkState, str]],
                   key_of: Callable[[str], str], titles: Mapping[str, str]) -> None:
    """On a session's first run, put the URL's view into the widgets' state.

    Args:
        read: query parameters -> (state, notice) (:func:`dashboard.links.read_link`).
        key_of: event id -> the outlet picker's key.
        titles: view slug -> the view picker's title.
    """
    if st.session_state.get("link_read"):
        return
    st.session_state["link_read"] = True
    state, notice = read({k: str(st.query_params.get(k, "")) for k in st.query_params})
    st.session_state.update({
        "event": state.event, "view": titles[state.view], key_of(state.event): list(state.outlets),
        "classroom": state.classroom, "differ": state.differ, "single": state.single,
        "fact": state.fact - 1, "link_fact": state.fact,
        "fact_scope": (state.event, state.outlets, state.differ, state.single),
        "link_notice": notice,
    })


def follow_fact_scope(event_id: str, outlets: Sequence[str]) -> None:
    """Start again at the first fact when the event, the outlets or the fact filters change."""
    scope = (event_id, tuple(outlets), bool(st.session_state.get("differ")),
             bool(st.session_state.get("single")))
    if st.session_state.get("fact_scope") != scope:
        st.session_state["fact_scope"] = scope
        st.session_state["fact"] = 0


def check_link_fact(n_facts: int) -> None:
    """When this run opened a link, say so if its fact number is beyond the facts shown."""
    asked = st.session_state.pop("link_fact", None)
    if asked is not None and asked > max(n_facts, 1):
        problem = (f"fact {asked} does not exist, these outlets share {n_facts} (showing "
                   "fact 1)")
        notice = st.session_state.get("link_notice", "")
        st.session_state["link_notice"] = (
            f"{notice[:-1]}; {problem}." if notice else
            f"This link could not be opened exactly: {problem}.")
        st.session_state["fact"] = 0


def write_link(state: LinkState) -> None:
    """Keep the URL on what is shown, so the address bar is always a link to this view."""
    wanted = state.params()
    if {k: str(st.query_params.get(k, "")) for k in st.query_params} != wanted:
        st.query_params.from_dict(wanted)
