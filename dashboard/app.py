"""Parallax dashboard: lays out the views over the latest finished analysis in the store.

Run with ``parallax dashboard --store PATH``, or
``streamlit run dashboard/app.py -- --store PATH`` (or set ``PARALLAX_STORE``).
The store is never taken from the URL. The URL carries what is shown (see
``dashboard.links``): ``?event=...&outlets=A,B&view=side-by-side&fact=3&classroom=1``.

Each view is one function in ``VIEWS`` that loads only what it draws.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, links, views
from dashboard import markup as mk
from dashboard import views_signals as signals
from dashboard import widgets as ui
from dashboard.tables import ordered_topics, provenance


@dataclass(frozen=True)
class Page:
    """What every view is given: the run, the event, the shown outlets and how to name them."""

    path: str
    run: Mapping[str, Any]
    run_id: str
    event_id: str
    label: str
    outlets: tuple[str, ...]
    names: Mapping[str, str]
    prov: dict[str, str]
    summary: pd.DataFrame

    def read_article(self, article_id: str) -> Mapping[str, Any] | None:
        return data.load_article(self.path, article_id)

    def meta(self) -> str:
        return f"Parallax analysis {self.prov['run_id']} (model {self.prov['model'] or 'unknown'})"


@dataclass(frozen=True)
class View:
    """One entry of the view picker."""

    slug: str  # its name in links (?view=...)
    title: str
    render: Callable[[Page], None]
    compares: bool = True  # needs two outlets


def _terms(page: Page) -> Mapping[str, tuple[str, ...]]:
    return data.event_grid(page.path, page.run_id, page.event_id).terms_among(page.outlets)


def events_view(page: Page) -> None:
    """The event list and who reported first."""
    firsts = data.first_reports(page.path, page.run_id, page.event_id)
    views.render_events(page.summary, firsts, data.timeline(page.path, page.run_id,
                                                            page.event_id), page.names)
    ui.export_ui(partial(data.view_bytes, firsts, provenance=page.prov), "first-reports",
                 data.FORMATS, data.MIME, f"this table ({len(firsts)} rows)", key="events")


def side_by_side_view(page: Page) -> None:
    """Facts as rows, outlets as columns; a page of facts at a time."""
    base = data.fact_grid(page.path, page.run_id, page.event_id, page.outlets)
    single, differ = ui.facts_ui(base.n_single, sum(bool(r.differences) for r in base.rows))
    grid = data.fact_grid(page.path, page.run_id, page.event_id, page.outlets, single, differ)
    ui.check_link_fact(len(grid.rows))
    if not grid.rows:
        st.info("These outlets share no fact in this event. Turn on the switch above to see "
                "what each reports alone, or pick other outlets.")
        return
    start = ui.fact_index(len(grid.rows)) // ui.FACTS_PER_PAGE * ui.FACTS_PER_PAGE
    st.session_state["fact"] = start
    views.render_side_by_side(grid, start, page.names, _terms(page), page.read_article)
    ui.link_ui(_link(page, start + 1), "Link to this page of facts (copy it to share):")
    build = partial(data.side_by_side_export, page.path, page.run_id, page.prov, page.event_id,
                    page.outlets, single)
    ui.export_ui(lambda fmt: data.to_bytes(build(), fmt, page.prov), "side-by-side",
                 data.FORMATS, data.MIME, "the side by side (as parallax export side-by-side)",
                 key="sbs")
    ui.handout_ui(lambda: views.handout(grid, page.names, _terms(page), page.label,
                                        page.meta()), "sbs")


def coverage_view(page: Page) -> None:
    """Which outlet reports which fact, what each left out and what only it reported."""
    matrix, words, n_shared = data.coverage_matrix(page.path, page.run_id, page.event_id,
                                                   page.outlets, signals.HEATMAP_FACTS)
    gaps = data.omissions(page.path, page.run_id, page.event_id, page.outlets)
    signals.render_coverage(matrix, words, n_shared, gaps, page.names)
    ui.export_ui(partial(data.view_bytes, gaps, provenance=page.prov), "omissions",
                 data.FORMATS, data.MIME, f"the omissions ({len(gaps)} rows)", key="cov")


def word_choice_view(page: Page) -> None:
    """Distinctive words, substitutions, attribution verbs, hedges and intensifiers."""
    topics = ordered_topics(data.tables(page.path, page.run_id)["topics"], page.event_id)
    topic_id = ui.topic_ui(topics, key="wc-topic")
    read = partial(data.framing_rows, page.path, page.run_id, page.event_id, page.outlets)
    words, subs, framed = (read("word_choice", topic_id), read("substitution"),
                           read(signals.WORD_SIGNALS))
    signals.render_word_choice(words, subs, page.outlets, page.names)
    signals.render_word_signals(framed, page.names)
    rows = pd.concat([words, subs, framed], ignore_index=True)
    ui.export_ui(partial(data.view_bytes, rows, provenance=page.prov), "word-choice",
                 data.FORMATS, data.MIME, f"these signals ({len(rows)} rows)", key="wc")


def tone_view(page: Page) -> None:
    """Tone per fact and outlet, and who each outlet quotes."""
    tone, words = data.tone_matrix(page.path, page.run_id, page.event_id, page.outlets,
                                   signals.HEATMAP_FACTS)
    sources = data.framing_rows(page.path, page.run_id, page.event_id, page.outlets, "source")
    signals.render_tone_sources(tone, words, sources, page.names)
    rows = data.framing_rows(page.path, page.run_id, page.event_id, page.outlets, "tone")
    ui.export_ui(partial(data.view_bytes, rows, provenance=page.prov), "tone", data.FORMATS,
                 data.MIME, f"the tone rows ({len(rows)} rows)", key="tone")


def search_view(page: Page) -> None:
    """Passages containing a word or phrase, each one click from its article."""
    query, only_event = ui.search_ui()
    results = data.search(page.path, page.run_id, query, page.event_id if only_event else None,
                          page.outlets if only_event and page.outlets else None)
    signals.render_search(results, query, page.names, page.read_article, views.render_reader)
    ui.export_ui(partial(data.view_bytes, results, provenance=page.prov), "search",
                 data.FORMATS, data.MIME, f"these passages ({len(results)} rows)", key="search")


VIEWS = (
    View("events", "Events", events_view, compares=False),
    View("side-by-side", "Side by side", side_by_side_view),
    View("coverage", "Coverage and omissions", coverage_view),
    View("word-choice", "Word choice", word_choice_view),
    View("tone", "Tone and sourcing", tone_view),
    View("search", "Search", search_view, compares=False),
)
BY_SLUG = {v.slug: v for v in VIEWS}
BY_TITLE = {v.title: v for v in VIEWS}
DEFAULT_VIEW = "side-by-side"


def classroom(page: Page) -> None:
    """Classroom mode: one fact at a time, large type; link, handout and exit at the bottom."""
    if len(page.outlets) < 2:
        st.info("Pick at least two outlets before starting classroom mode.")
        ui.exit_classroom_ui()
        return
    differ = bool(st.session_state.get("differ"))
    grid = data.fact_grid(page.path, page.run_id, page.event_id, page.outlets,
                          bool(st.session_state.get("single")), differ)
    if not grid.rows:  # a class follows shared facts; all facts when these outlets share none
        grid = data.fact_grid(page.path, page.run_id, page.event_id, page.outlets, True, differ)
    ui.check_link_fact(len(grid.rows))
    if not grid.rows:
        st.info("This event has no facts to compare.")
        ui.exit_classroom_ui()
        return
    index = ui.fact_index(len(grid.rows))
    views.render_classroom(grid, index, page.names, _terms(page), page.label, page.read_article)
    st.divider()
    left, right = st.columns([1, 1])
    with left:
        ui.exit_classroom_ui()
    with right:
        ui.handout_ui(lambda: views.handout(grid, page.names, _terms(page), page.label,
                                            page.meta()), "room")
    ui.link_ui(_link(page, index + 1), "Copy link to this fact:")


def _state(page: Page, fact: int) -> links.LinkState:
    view = BY_TITLE[str(st.session_state.get("view", BY_SLUG[DEFAULT_VIEW].title))].slug
    return links.LinkState(page.event_id, page.outlets, view, fact,
                           bool(st.session_state.get("classroom")),
                           bool(st.session_state.get("differ")),
                           bool(st.session_state.get("single")))


def _link(page: Page, fact: int) -> str:
    return links.link(str(st.context.url or "http://127.0.0.1:8501/"), _state(page, fact))


def _sidebar(path: str, run: Mapping[str, Any], summary: pd.DataFrame) -> Page:
    """The sidebar's choices (after a link, on a session's first run, has set them)."""
    run_id = str(run["run_id"])
    registry = data.load_registry()
    ui.read_link_once(
        partial(links.read_link, events=list(summary["event_id"]),
                outlets_of=lambda e: data.event_outlets(path, run_id, e),
                default_outlets=lambda e: data.default_outlets(
                    path, run_id, e, data.event_outlets(path, run_id, e)),
                views=list(BY_SLUG), default_view=DEFAULT_VIEW),
        lambda e: ui.outlets_key(e, data.event_outlets(path, run_id, e)),
        {v.slug: v.title for v in VIEWS})
    event_id = ui.event_ui(summary)
    ui.view_ui([v.title for v in VIEWS])
    chosen = ui.label_filter_ui(data.label_options(path, run_id, event_id))
    candidates = data.candidates(path, run_id, event_id,
                                 tuple((k, tuple(v)) for k, v in chosen.items() if v))
    outlets = ui.outlets_ui(candidates, registry.names, ui.outlets_key(event_id, candidates),
                            data.default_outlets(path, run_id, event_id, candidates))
    ui.classroom_ui()
    ui.follow_fact_scope(event_id, outlets)
    label = data.event_labels(path, run_id).get(event_id) or event_id
    return Page(path, run, run_id, event_id, label, tuple(outlets), registry.names,
                provenance(run), summary)


def _render(page: Page) -> None:
    view = BY_TITLE[str(st.session_state["view"])]
    if st.session_state.get("classroom"):
        classroom(page)
        return
    views.render_header(page.label, page.run, data.load_tables(page.path, page.run_id)[1])
    every = data.event_outlets(page.path, page.run_id, page.event_id)
    if view.compares and len(every) < 2:
        only = page.names.get(every[0], every[0]) if every else "one outlet"
        st.html(mk.notice(f"Only {only} reported this event, so there is nothing to compare. "
                          "Pick an event covered by several outlets (the event list shows "
                          "those first)."))
    elif view.compares and len(page.outlets) < 2:
        st.info("Pick at least two outlets in the sidebar to compare them.")
    else:
        view.render(page)


def main() -> None:
    """Lay out the page: sidebar choices, then the chosen view (or classroom mode)."""
    st.set_page_config(page_title="Parallax: how outlets tell the same story", layout="wide")
    path = str(data.store_path_from(sys.argv[1:]))
    status = data.store_status(path)
    if status.state != "ready" or status.run is None:
        views.render_css(False)
        views.render_store_status(status)
        return
    summary = data.event_summary(path, str(status.run["run_id"]))
    if summary.empty:
        views.render_css(False)
        st.html(mk.notice(f"The analysis {status.run['run_id']} found no events. Collect more "
                          "articles, then run:"))
        st.code(status.next_command(), language="bash")
        return
    page = _sidebar(path, status.run, summary)
    views.render_css(bool(st.session_state.get("classroom")))
    slot = st.empty()
    _render(page)
    st.session_state.pop("link_fact", None)
    state = _state(page, int(st.session_state.get("fact", 0)) + 1)
    ui.write_link(state)
    notice = st.session_state.get("link_notice", "")
    if notice and st.session_state.setdefault("link_notice_for", state) == state:
        slot.html(mk.notice(notice))
    elif notice:
        st.session_state["link_notice"] = ""  # the viewer moved on from the link


main()
