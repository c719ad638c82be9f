"""Result views: events, side by side, the article reader and classroom mode.

``render_*`` functions draw results they are given. Untrusted text (articles, titles, outlet
names, topic labels, queries) reaches the page only through ``dashboard.markup`` (escaped HTML
via ``st.html``), ``st.text``/``st.code`` or data frames; never through Markdown.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.express as px
import streamlit as st

from compare.export.sidebyside import told_differently
from dashboard import markup as mk
from dashboard import widgets as ui
from dashboard.grid import CLOSEST, NONE, REPORTS, WEAKER, Cell, FactGrid, FactRow

_CLASSROOM_MARK = "/* classroom */"
ReadArticle = Callable[[str], Mapping[str, Any] | None]


@cache
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
    st.html('<h1 class="px-title">Parallax</h1>')
    if status.state == "missing":
        st.html(mk.notice(f"No store at {status.path}. Collect some articles first:"))
    elif status.state == "empty":
        st.html(mk.notice(f"The store {status.path} holds no articles yet. Collect some "
                          "first:"))
    else:
        st.html(mk.notice(f"The store {status.path} holds {status.articles} articles but no "
                          "finished analysis yet. Run:"))
    st.code(status.next_command(), language="bash")
    if status.error:
        st.text(status.error)


def render_header(label: str, run: Mapping[str, Any], missing: Sequence[str]) -> None:
    """The event title and the run it comes from."""
    st.html(f'<h2 class="px-title">{mk.escape_text(label)}</h2>'
            f'<div class="px-run">Analysis {mk.escape_text(run.get("run_id", ""))}, finished '
            f'{mk.escape_text(run.get("finished_at", ""))}</div>')
    if missing:
        st.html(mk.notice("This analysis has no " + ", ".join(missing) + " table; the views "
                          "that need it stay empty. Re-run parallax analyze to fill them."))


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
    order = [mk.plotly_text(_name(names, o)) for o in firsts["outlet"]]
    points = articles.assign(
        Outlet=articles["outlet"].map(lambda o: mk.plotly_text(_name(names, o))),
        Title=articles["title"].map(mk.plotly_text))
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


def _probability(p: float) -> str:
    return "" if np.isnan(p) else f"{p:.2f}"


def cell_html(cell: Cell, outlet_name: str, terms: Sequence[str], n_reporting: int) -> str:
    """One cell in one of its three states: reports it (same fact, or a weaker link), its
    closest passage (not the same fact), or not reported."""
    if cell.state == NONE:
        return mk.missing_card(outlet_name)
    body = mk.highlight_terms(cell.text, terms)
    p = _probability(cell.probability)
    if cell.state == CLOSEST:
        return mk.card(body, css="px-cell px-closest", language=cell.language,
                       flag=("Closest passage, shown in another fact" if cell.elsewhere else
                             "Closest passage, not the same fact"),
                       footer=f"same-fact probability {p}" if p else "")
    longer = "within a longer passage" if cell.within_longer else ""
    if cell.state == WEAKER:
        return mk.card(body, css="px-cell px-weaker", language=cell.language,
                       flag="Weaker link", footer=", ".join(
                           x for x in ("weaker link", longer, f"probability {p}") if x))
    foot = (f"same fact, probability {p}" if p else
            "only this outlet reports it" if n_reporting == 1 else "")
    if longer:
        foot = f"reports it, {longer}" + (f" · {foot}" if foot else "")
    return mk.card(body, language=cell.language, footer=foot)


def heading_html(row: FactRow, names: Mapping[str, str], number: int | None) -> str:
    """The row's heading (a shown outlet's passage, attributed) and how the outlets differ."""
    differ = told_differently([(_name(names, d.outlet_a), _name(names, d.outlet_b), d.relation)
                               for d in row.differences])
    return mk.fact_heading(_short(row.heading.text), _name(names, row.heading.outlet),
                           row.heading.language, differ, number=number)


def _short(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


STATES_CAPTION = (
    "Each row is one fact, headed by one shown outlet's own passage; each column is one "
    "outlet. A cell says one of three things: the outlet's passage for this fact, with the "
    "probability (0 to 1) that it states the same fact (a 'weaker link' is the same fact on "
    "average with the row, not with every other cell); in grey, the outlet's closest passage, "
    "which is not the same fact; or 'not reported'. EN, RU, ... give each passage's language: "
    "passages are shown as written. Highlighted words are the ones this outlet uses far more "
    "than the others.")


def row_html(row: FactRow, number: int | None, names: Mapping[str, str],
             terms: Mapping[str, Sequence[str]], heads: bool = False) -> str:
    """A fact row as one block of HTML: heading, then each outlet's cell."""
    cells = [cell_html(c, _name(names, c.outlet), terms.get(c.outlet, ()), row.n_reporting)
             for c in row.cells]
    return mk.fact_row(heading_html(row, names, number), cells,
                       [_name(names, c.outlet) for c in row.cells] if heads else ())


def render_fact_row(row: FactRow, number: int | None, names: Mapping[str, str],
                    terms: Mapping[str, Sequence[str]], read_article: ReadArticle,
                    heads: bool = False) -> None:
    """One fact: its heading and cells (one element), "Read in article" under each passage,
    and the reader when one of its passages is open."""
    st.html(row_html(row, number, names, terms, heads))
    for col, cell in zip(st.columns(len(row.cells)), row.cells, strict=True):
        if cell.has_passage:
            with col:
                ui.read_ui(row.topic_id, cell.passage_id,
                           key=f"read-{row.topic_id}-{cell.outlet}")
    opened = ui.open_passage(row.topic_id)
    for cell in row.cells:
        if cell.has_passage and cell.passage_id == opened:
            render_reader(cell, read_article(cell.article_id), names, key=f"close-{row.topic_id}")
            break


def render_side_by_side(grid: FactGrid, start: int, names: Mapping[str, str],
                        terms: Mapping[str, Sequence[str]], read_article: ReadArticle) -> None:
    """One page of the side by side: facts ``start`` to ``start + FACTS_PER_PAGE``."""
    st.caption(STATES_CAPTION)
    ui.page_nav_ui(start, len(grid.rows), key="page-top")
    st.html(mk.outlet_heads([_name(names, o) for o in grid.outlets]))
    for n, row in enumerate(grid.rows[start:start + ui.FACTS_PER_PAGE], start=start + 1):
        render_fact_row(row, n, names, terms, read_article)
    ui.page_nav_ui(start, len(grid.rows), key="page-bottom")


def render_reader(passage: Cell, article: Mapping[str, Any] | None,
                  names: Mapping[str, str], key: str) -> None:
    """The full article with the passage highlighted, and a link to the source."""
    with st.container(border=True):
        if article is None:
            st.html(mk.notice("The article of this passage is no longer in the store."))
            ui.close_reader_ui(key)
            return
        outlet = _name(names, str(article.get("outlet", "")))
        st.html(f'<div class="px-reader-title" dir="auto">'
                f'{mk.escape_text(article.get("title", ""))}</div>'
                f'<div class="px-foot">{mk.language_badge(passage.language)} '
                f'{mk.escape_text(outlet)} · {mk.escape_text(article.get("published", ""))}</div>')
        text = str(article.get("text", ""))
        start, end = mk.passage_span(text, passage.text, passage.char_start, passage.char_end)
        st.html(f'<div class="px-article"{_lang(passage.language)} dir="auto">'
                f'{mk.highlight_passage(text, start, end)}</div>')
        url = str(article.get("url", ""))
        left, right = st.columns([1, 1])
        if mk.safe_url(url):
            left.link_button("Open the source", url)
        else:
            left.caption("No web address recorded for this article.")
        with right:
            ui.close_reader_ui(key)


def _lang(code: str) -> str:
    return f' lang="{code}"' if code.isalpha() and len(code) <= 3 else ""


def handout(grid: FactGrid, names: Mapping[str, str], terms: Mapping[str, Sequence[str]],
            title: str, meta: str) -> str:
    """The printable HTML handout of the side-by-side table (every listed fact)."""
    rows = [(heading_html(row, names, n),
             [cell_html(c, _name(names, c.outlet), terms.get(c.outlet, ()), row.n_reporting)
              for c in row.cells]) for n, row in enumerate(grid.rows, start=1)]
    return mk.handout_html(title, meta, [_name(names, o) for o in grid.outlets], rows)


def render_classroom(grid: FactGrid, index: int, names: Mapping[str, str],
                     terms: Mapping[str, Sequence[str]], title: str,
                     read_article: ReadArticle) -> None:
    """One fact at a time in large type, with Previous / Next (and the arrow keys)."""
    ui.fact_nav_ui(index, len(grid.rows))
    st.html(f'<div class="px-event">{mk.escape_text(title)}</div>')
    render_fact_row(grid.rows[index], None, names, terms, read_article, heads=True)


__all__ = ["CLOSEST", "NONE", "REPORTS", "WEAKER", "cell_html", "handout", "heading_html",
           "render_classroom", "render_css", "render_events", "render_header", "render_reader",
           "render_side_by_side", "render_store_status"]
