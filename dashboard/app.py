"""Parallax dashboard: lays out the views over the latest finished analysis in the store.

Run with ``parallax dashboard --store PATH``, or
``streamlit run dashboard/app.py -- --store PATH`` (or set ``PARALLAX_STORE``).
The store is never taken from the URL. ``?classroom=1`` opens classroom mode.
"""
from __future__ import annotations

import sys

import pandas as pd
import streamlit as st

from dashboard import data, views
from dashboard import tables as tb
from dashboard import views_signals as signals
from dashboard import widgets as ui
from dashboard.tables import display_names, filter_outlets, ordered_topics, provenance


def main() -> None:
    """Lay out the page: sidebar choices, then the chosen view (or classroom mode)."""
    st.set_page_config(page_title="Parallax: how outlets tell the same story", layout="wide")
    path = str(data.store_path_from(sys.argv[1:]))
    status = data.store_status(path)
    if status.state != "ready" or status.run is None:
        views.render_css(False)
        views.render_store_status(status)
        return
    run = status.run
    run_id = str(run["run_id"])
    tables, missing = data.load_tables(path, run_id)
    summary = data.event_summary(path, run_id)
    if summary.empty:
        views.render_css(False)
        st.info(f"The analysis {run_id} found no events. Collect more articles, then run:")
        st.code(status.next_command(), language="bash")
        return

    event_id = ui.event_ui(summary)
    view = ui.view_ui()
    registry, _registry_note = data.load_registry()
    names = display_names(registry)
    all_outlets = data.event_outlets(path, run_id, event_id)
    outlets = ui.outlets_ui(filter_outlets(all_outlets, registry,
                                           ui.label_filter_ui(registry, all_outlets)),
                            names, event_id)
    classroom = ui.classroom_ui()
    views.render_css(classroom)
    label = str(summary.set_index("event_id").at[event_id, "event_label"] or event_id)
    prov = provenance(run)
    chosen = tuple(outlets)

    if classroom:
        _classroom(path, run_id, event_id, chosen, names, label, prov)
        return
    views.render_header(label, run, missing)
    if view == "Events":
        firsts = data.first_reports(path, run_id, event_id)
        views.render_events(summary, firsts, data.timeline(path, run_id, event_id), names)
        ui.export_ui(firsts, "first-reports", prov, key="events")
        return
    if len(all_outlets) < 2 and view != "Search":
        only = names.get(all_outlets[0], all_outlets[0]) if all_outlets else "one outlet"
        st.info(f"Only {only} reported this event, so there is nothing to compare. Pick an "
                "event covered by several outlets (the event list shows those first).")
        return
    if len(chosen) < 2 and view != "Search":
        st.info("Pick at least two outlets in the sidebar to compare them.")
        return
    if view == "Side by side":
        every = data.side_by_side(path, run_id, event_id, chosen)
        n_shared = tb.shared_facts(every)["topic_id"].nunique()
        include_single, limit = ui.facts_ui(n_shared, every["topic_id"].nunique())
        cells = tb.first_facts(tb.shared_facts(every, include_single), limit)
        if cells.empty:
            st.info("These outlets share no fact in this event. Turn on the switch above to see "
                    "what each reports alone, or pick other outlets.")
        views.render_side_by_side(cells, chosen, names,
                                  lambda article_id: data.load_article(path, article_id))
        ui.export_ui(cells, "side-by-side", prov, key="sbs")
        ui.handout_ui(lambda: views.handout(cells, chosen, names, label, _meta(prov)), "sbs")
    elif view == "Coverage and omissions":
        gaps = data.omissions(path, run_id, event_id, chosen)
        signals.render_coverage(data.coverage_matrix(path, run_id, event_id, chosen), gaps,
                                names)
        ui.export_ui(data.side_by_side(path, run_id, event_id, chosen), "coverage", prov,
                     key="cov")
    elif view == "Word choice":
        topic_id = ui.topic_ui(ordered_topics(tables["topics"], event_id), key="wc-topic")
        words = data.framing_rows(path, run_id, event_id, chosen, "word_choice", topic_id)
        subs = data.framing_rows(path, run_id, event_id, chosen, "substitution")
        framed = data.framing_rows(path, run_id, event_id, chosen, signals.WORD_SIGNALS)
        signals.render_word_choice(words, subs, chosen, names)
        signals.render_word_signals(framed, names)
        ui.export_ui(pd.concat([words, subs, framed], ignore_index=True), "word-choice", prov,
                     key="wc")
    elif view == "Tone and sourcing":
        sources = data.framing_rows(path, run_id, event_id, chosen, "source")
        signals.render_tone_sources(data.tone_matrix(path, run_id, event_id, chosen), sources,
                                    names)
        ui.export_ui(data.framing_rows(path, run_id, event_id, chosen, "tone"), "tone", prov,
                     key="tone")
    else:
        query, only_event = ui.search_ui()
        results = data.search(path, run_id, query, event_id if only_event else None,
                              chosen if only_event and chosen else None)
        signals.render_search(results, query, names)
        ui.export_ui(results, "search", prov, key="search")


def _meta(prov: dict[str, str]) -> str:
    return f"Parallax analysis {prov['run_id']} (model {prov['model'] or 'unknown'})"


def _classroom(path: str, run_id: str, event_id: str, outlets: tuple[str, ...],
               names: dict[str, str], label: str, prov: dict[str, str]) -> None:
    """Classroom mode: one fact at a time, large type, handout and exit at the bottom."""
    if len(outlets) < 2:
        st.info("Pick at least two outlets before starting classroom mode.")
        ui.exit_classroom_ui()
        return
    every = data.side_by_side(path, run_id, event_id, outlets)
    shared = tb.shared_facts(every)
    # A class follows the facts these outlets share (single-outlet facts are listed under
    # Coverage and omissions); all facts when they share none.
    cells = shared if not shared.empty else every
    shown = views.render_classroom(cells, outlets, names, label)
    st.divider()
    left, right = st.columns([1, 1])
    with left:
        ui.exit_classroom_ui()
    with right:
        ui.handout_ui(lambda: views.handout(cells, outlets, names, label, _meta(prov)), "room")
    ui.export_ui(shown, "classroom-fact", prov, key="room")


main()
