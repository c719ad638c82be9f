"""Result views: events, side by side, the article reader and classroom mode.

``render_*`` functions draw results they are given. Untrusted text (articles, titles, outlet
names, topic labels) reaches the page only through ``dashboard.markup`` (escaped HTML via
``st.html``), ``st.text`` or data frames; never through Markdown.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import markup as mk
from dashboard import widgets as ui

_CLASSROOM_MARK = "/* classroom */"


def _css() -> tuple[str, str]:
    text = Path(__file__).with_name("style.css").read_text(encoding="utf-8")
    base, _, classroom = text.partition(_CLASSROOM_MARK)
    return base, classroom


def render_css(classroom: bool) -> None:
    """The dashboard's styles; classroom mode adds large type, high contrast, no chrome."""
    base, room = _css()
    st.html(f"<style>{base}{room if classroom else ''}</style>")


def render_store_status(status: Any) -> None:
    """Explains why there is nothing to show and gives the one command to run."""
    st.title("Parallax")
    if status.state == "missing":
        st.warning(f"No store at {status.path}. Collect some articles first:")
    elif status.state == "empty":
        st.warning(f"The store {status.path} holds no articles yet. Collect some first:")
    else:
        st.info(f"The store {status.path} holds {status.articles} articles but no finished "
                "analysis yet. Run:")
    st.code(status.next_command(), language="bash")
    if status.error:
        st.caption(status.error)


def render_header(label: str, run: Mapping[str, Any], missing: Sequence[str]) -> None:
    """The event title and the run it comes from."""
    st.html(f'<h2 class="px-title">{mk.escape_text(label)}</h2>')
    st.caption(f"Analysis {run.get('run_id', '')}, finished {run.get('finished_at', '')}")
    if missing:
        st.warning("This analysis has no " + ", ".join(missing) + " table; the views that need "
                   "it stay empty. Re-run `parallax analyze` to fill them.")


def _name(names: Mapping[str, str], outlet: str) -> str:
    return names.get(outlet, outlet)


def render_events(summary: pd.DataFrame, firsts: pd.DataFrame, articles: pd.DataFrame,
                  names: Mapping[str, str]) -> None:
    """The event list, and for the chosen event a timeline of who reported first."""
    st.subheader("Events")
    st.caption("Each event groups articles from several outlets about the same happening. "
               "Pick one in the sidebar.")
    table = summary.rename(columns={
        "event_label": "Event", "n_articles": "Articles", "n_outlets": "Outlets",
        "first_published": "First published", "last_published": "Last published",
        "outlets": "Outlets (most articles first)"}).drop(columns=["event_id"])
    st.dataframe(table, hide_index=True, width="stretch")
    st.subheader("Who reported first, who followed")
    if articles.empty:
        st.info("No publication times are known for this event's articles.")
        return
    # Plotly renders a few HTML tags in labels, so data reaches it escaped.
    order = [html.escape(_name(names, o)) for o in firsts["outlet"]]
    points = articles.assign(Outlet=articles["outlet"].map(lambda o: html.escape(_name(names, o))),
                             Title=articles["title"].map(html.escape))
    fig = px.scatter(points, x="when", y="Outlet", hover_data={"Title": True, "when": True},
                     category_orders={"Outlet": order}, height=120 + 40 * len(order))
    fig.update_traces(marker={"size": 14, "line": {"width": 1, "color": "#000"}})
    fig.update_layout(xaxis_title="Published (UTC)", yaxis_title="", margin={"l": 10, "r": 10})
    st.plotly_chart(fig, width="stretch")
    st.caption("Each dot is one article, placed at its publication time. Outlets are listed "
               "top to bottom in the order they first reported; the table gives the delay "
               "after the first report in hours.")
    shown = firsts.assign(outlet=firsts["outlet"].map(lambda o: _name(names, o)))
    st.dataframe(shown.rename(columns={"order": "#", "outlet": "Outlet", "articles": "Articles",
                                       "first": "First report",
                                       "hours_after_first": "Hours after first"}),
                 hide_index=True, width="stretch",
                 column_order=["#", "Outlet", "Articles", "First report", "Hours after first"])


def _cell_html(row: Mapping[str, Any], outlet_name: str) -> str:
    if not row["covered"]:
        return mk.missing_card(outlet_name)
    sim = row.get("similarity")
    foot = f"similarity {sim:.2f}" if pd.notna(sim) else ""
    return mk.card(mk.highlight_terms(row["text"], row["terms"]), footer=foot)


def render_side_by_side(cells: pd.DataFrame, outlets: Sequence[str],
                        names: Mapping[str, str], read_article: Any) -> None:
    """Rows are facts, columns outlets; each cell the outlet's passage or a plain notice.

    Args:
        cells: from ``data.side_by_side``.
        read_article: ``article_id -> dict | None`` (cached store read) for the reader.
    """
    st.caption("Each row is one fact the outlets report; each column is one outlet. A cell "
               "shows the outlet's passage that best matches the fact, with its similarity "
               "(0 to 1, higher is closer). Highlighted words are the ones this outlet uses "
               "far more than the others. 'Read in article' shows the passage in context.")
    header = st.columns(len(outlets))
    for col, outlet in zip(header, outlets, strict=True):
        col.html(f'<div class="px-outlet-head">{mk.escape_text(_name(names, outlet))}</div>')
    opened = ui.open_passage()
    for topic_id, rows in cells.groupby("topic_id", sort=False):
        st.html(f'<div class="px-topic">{mk.escape_text(rows["topic_label"].iloc[0])}</div>')
        by_outlet = {r["outlet"]: r for r in rows.to_dict("records")}
        for col, outlet in zip(st.columns(len(outlets)), outlets, strict=True):
            row = by_outlet[outlet]
            with col:
                st.html(_cell_html(row, _name(names, outlet)))
                if row["covered"]:
                    ui.read_ui(row["passage_id"], key=f"read-{topic_id}-{outlet}")
        open_rows = [r for r in by_outlet.values() if r["covered"] and r["passage_id"] == opened]
        if open_rows:
            render_reader(open_rows[0], read_article(open_rows[0]["article_id"]), names,
                          key=f"close-{topic_id}")


def render_reader(passage: Mapping[str, Any], article: Mapping[str, Any] | None,
                  names: Mapping[str, str], key: str) -> None:
    """The full article with the passage highlighted, and a link to the source."""
    with st.container(border=True):
        if article is None:
            st.warning("The article of this passage is no longer in the store.")
            ui.close_reader_ui(key)
            return
        outlet = _name(names, str(article.get("outlet", "")))
        st.html(f'<div class="px-reader-title">{mk.escape_text(article.get("title", ""))}</div>'
                f'<div class="px-foot">{mk.escape_text(outlet)} · '
                f'{mk.escape_text(article.get("published", ""))}</div>')
        text = str(article.get("text", ""))
        start, end = mk.passage_span(text, passage["text"], int(passage["char_start"] or 0),
                                     int(passage["char_end"] or 0))
        st.html(f'<div class="px-article">{mk.highlight_passage(text, start, end)}</div>')
        url = str(article.get("url", ""))
        left, right = st.columns([1, 1])
        if mk.safe_url(url):
            left.link_button("Open the source", url)
        else:
            left.caption("No web address recorded for this article.")
        with right:
            ui.close_reader_ui(key)


def handout(cells: pd.DataFrame, outlets: Sequence[str], names: Mapping[str, str],
            title: str, meta: str) -> str:
    """The printable HTML handout of the side-by-side table."""
    rows = []
    for _, group in cells.groupby("topic_id", sort=False):
        by_outlet = {r["outlet"]: r for r in group.to_dict("records")}
        row_cells = []
        for outlet in outlets:
            r = by_outlet[outlet]
            sim = r.get("similarity")
            row_cells.append(
                (mk.highlight_terms(r["text"], r["terms"]),
                 f"similarity {sim:.2f}" if pd.notna(sim) else "") if r["covered"] else ("", ""))
        rows.append((str(group["topic_label"].iloc[0]), row_cells))
    return mk.handout_html(title, meta, [_name(names, o) for o in outlets], rows)


def render_classroom(cells: pd.DataFrame, outlets: Sequence[str], names: Mapping[str, str],
                     title: str) -> pd.DataFrame:
    """One fact at a time in large type; returns the rows of the fact shown (for export)."""
    topic_ids = list(dict.fromkeys(cells["topic_id"]))
    if not topic_ids:
        st.info("This event has no facts to compare.")
        return cells
    index = ui.fact_nav_ui(len(topic_ids))
    rows = cells[cells["topic_id"] == topic_ids[index]]
    st.html(f'<div class="px-event">{mk.escape_text(title)}</div>'
            f'<div class="px-topic">{mk.escape_text(rows["topic_label"].iloc[0])}</div>')
    by_outlet = {r["outlet"]: r for r in rows.to_dict("records")}
    for col, outlet in zip(st.columns(len(outlets)), outlets, strict=True):
        with col:
            st.html(f'<div class="px-outlet-head">{mk.escape_text(_name(names, outlet))}</div>'
                    + _cell_html(by_outlet[outlet], _name(names, outlet)))
    return rows
