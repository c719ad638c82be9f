"""Result views over the framing signals: coverage and omissions, word choice, tone and
sourcing, and passage search. Charts are plotly; every chart has a caption saying how to read
it. Labels from the data pass through ``markup.plotly_text`` before plotly sees them (plotly
renders a few tags); every other text from the data through ``markup`` or a data frame.
"""
from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboard import markup as mk
from dashboard import widgets as ui
from dashboard.grid import Cell

# Facts drawn in a heatmap: a projected chart stays readable, and plotly stays quick.
HEATMAP_FACTS = 40


def _draw_fact_heatmap(fig: go.Figure, outlets: Sequence[str]) -> None:
    """Draw a facts x outlets heatmap: one row per fact, first fact on top, the outlet names
    above the columns and, on a long list, below them too."""
    n_facts = len(fig.data[0].y)
    fig.update_xaxes(side="top", tickangle=0, automargin=True)
    if n_facts > 12:
        # A transparent copy of the column axis at the bottom repeats the names there.
        fig.add_trace(go.Scatter(x=list(outlets), y=[fig.data[0].y[-1]] * len(outlets),
                                 xaxis="x2", mode="markers", marker={"opacity": 0},
                                 hoverinfo="skip", showlegend=False))
        fig.update_layout(xaxis2={"overlaying": "x", "side": "bottom", "matches": "x",
                                  "tickangle": 0, "automargin": True})
    fig.update_layout(height=140 + 56 * n_facts, yaxis={"autorange": "reversed"},
                      margin={"l": 10, "r": 10, "t": 10, "b": 10})
    st.plotly_chart(fig, width="stretch")


def _name(names: Mapping[str, str], outlet: str) -> str:
    return names.get(outlet, outlet)


def _wrap(label: str, width: int = 44, most: int = 3) -> str:
    """A row label in at most ``most`` lines (a row is 56 px high), cut with an ellipsis."""
    lines = textwrap.wrap(str(label), width)
    if len(lines) > most:
        lines = [*lines[:most - 1], textwrap.shorten(" ".join(lines[most - 1:]), width,
                                                     placeholder=" …")]
    return "<br>".join(mk.plotly_text(line) for line in lines) or "-"


def _columns(outlets: Sequence[str], names: Mapping[str, str]) -> list[str]:
    return [mk.plotly_text(_name(names, o)) for o in outlets]


def render_coverage(matrix: pd.DataFrame, words: pd.DataFrame, n_shared: int,
                    gaps: pd.DataFrame, names: Mapping[str, str]) -> None:
    """Fact x outlet heatmap, then per outlet what it left out and what only it reported."""
    st.subheader("Which outlet reported which fact")
    if matrix.empty:
        st.info("These outlets share no fact in this event.")
    else:
        fig = go.Figure(go.Heatmap(
            z=matrix.to_numpy(), x=_columns(matrix.columns, names),
            y=[_wrap(t) for t in matrix.index],
            text=[[mk.plotly_text(w) for w in row] for row in words.to_numpy()],
            texttemplate="%{text}", textfont={"size": 13},
            colorscale=[[0, "#f2f2f2"], [0.001, "#c6dbef"], [1, "#08306b"]],
            zmin=0, zmax=1, colorbar={"title": "probability"}, xgap=2, ygap=2,
            hovertemplate="%{y}<br>%{x}: %{text}<extra></extra>"))
        _draw_fact_heatmap(fig, list(fig.data[0].x))
        more = (f" The first {len(matrix)} of the {n_shared} facts are drawn; the side by "
                "side lists them all." if n_shared > len(matrix) else "")
        st.caption("Rows are the facts at least two of these outlets report, numbered as in "
                   "the side by side; columns are outlets. A dark cell means the outlet "
                   "reports the fact, and the number is the probability that its passage "
                   "states the same fact (0 to 1; 'weaker': the same fact on average with the "
                   "row, not with every cell). A grey cell is a gap: 'closest' gives the "
                   "probability of the outlet's nearest passage, which is not the same fact."
                   + more)
    st.subheader("Left out, and reported only here")
    if gaps.empty:
        st.info("No omissions: every chosen outlet reported what most others reported, and "
                "none reported a fact alone.")
        return
    shown = gaps.assign(
        Outlet=gaps["outlet"].map(lambda o: _name(names, o)),
        What=gaps["kind"].map({"omitted": "left out (most others reported it)",
                               "unique": "only this outlet reported it",
                               "unique_figure": "a figure only this outlet gives"}
                              ).fillna(gaps["kind"]),
        Reported_by=gaps["n_outlets_reporting"].astype("Int64").astype(str) + " of "
        + gaps["n_outlets_in_event"].astype("Int64").astype(str) + " outlets",
    )
    st.dataframe(shown.rename(columns={"topic_label": "Fact", "Reported_by": "Reported by"}),
                 hide_index=True, width="stretch",
                 column_order=["Outlet", "What", "Fact", "Reported by"])
    st.caption("'Left out' lists facts that more than half of the event's other outlets "
               "reported (and at least two; the analysis setting omission_share) but this "
               "outlet did not. 'Only this outlet' lists facts no other outlet reported.")


def _term_bars(words: pd.DataFrame, outlets: Sequence[str], names: Mapping[str, str],
               top: int) -> go.Figure:
    """One small horizontal bar chart per outlet: its top terms by z-score, biggest on top."""
    cols = min(3, len(outlets))
    rows = -(-len(outlets) // cols)
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.16,
                        vertical_spacing=0.3 / rows if rows > 1 else 0.1,
                        subplot_titles=_columns(outlets, names))
    for i, outlet in enumerate(outlets):
        best = words[words["outlet"] == outlet].nlargest(top, "z_score")[::-1]
        fig.add_trace(go.Bar(
            x=best["z_score"], y=[mk.plotly_text(t) for t in best["term"]], orientation="h",
            marker_color=["#1c4e80" if z > 0 else "#9e9e9e" for z in best["z_score"]],
            hovertemplate="%{y}: z = %{x:.1f}<extra></extra>", showlegend=False),
            row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(zeroline=True, zerolinecolor="#444")
    per = int(min(top, words.groupby("outlet").size().max()))
    fig.update_layout(height=80 + rows * (140 + 30 * per), margin={"l": 10, "r": 10, "t": 40},
                      bargap=0.25)
    return fig


def render_word_choice(words: pd.DataFrame, subs: pd.DataFrame, outlets: Sequence[str],
                       names: Mapping[str, str], top: int = 10) -> None:
    """Distinctive terms per outlet (log-odds z-scores) and aligned term substitutions."""
    st.subheader("Each outlet's distinctive words")
    words = words.dropna(subset=["z_score"])
    if words.empty:
        st.info("No word-choice signal for these outlets and this fact.")
    else:
        fig = _term_bars(words, [o for o in outlets if o in set(words["outlet"])], names, top)
        st.plotly_chart(fig, width="stretch")
        st.caption("For each outlet, the words it uses much more often than the other outlets "
                   "do: the horizontal axis is the log-odds z-score against the others. "
                   "Longer bars are more distinctive; a z-score above about 2 is unlikely to "
                   "be chance. Grey bars pointing left are words it avoids.")
    st.subheader("Same fact, different words")
    if subs.empty:
        st.info("No term substitutions found between aligned passages.")
        return
    shown = subs.assign(Outlet=subs["outlet"].map(lambda o: _name(names, o)))
    st.dataframe(shown.rename(columns={"term": "This outlet writes", "detail": "Where others write",
                                       "count": "Times"}),
                 hide_index=True, width="stretch",
                 column_order=["Outlet", "This outlet writes", "Where others write", "Times"])
    st.caption("Pairs of aligned passages about the same fact, where one outlet uses a "
               "different word for the same thing (for example a place name spelled the "
               "Russian or the Ukrainian way).")


WORD_SIGNALS = ("attribution_verb", "hedge", "intensifier")
_SIGNAL_NAMES = {"attribution_verb": "attribution verb", "hedge": "hedge or distancing",
                 "intensifier": "loaded or intensifying word"}


def render_word_signals(rows: pd.DataFrame, names: Mapping[str, str]) -> None:
    """How each outlet attributes claims (says / claims / admits), hedges and intensifies."""
    st.subheader("How each outlet attributes, hedges and intensifies")
    if rows.empty:
        st.info("No attribution verbs, hedges or intensifiers found for these outlets.")
        return
    shown = rows.assign(Outlet=rows["outlet"].map(lambda o: _name(names, o)),
                        Kind=rows["signal"].map(_SIGNAL_NAMES).fillna(rows["signal"]))
    shown = shown.sort_values(["Kind", "Outlet", "count"], ascending=[True, True, False])
    st.dataframe(shown.rename(columns={"term": "Word", "count": "Times", "detail": "Detail"}),
                 hide_index=True, width="stretch",
                 column_order=["Kind", "Outlet", "Word", "Times", "Detail"])
    st.caption("Words that frame a claim: the verb used to attribute it ('said' versus "
               "'claimed' or 'admitted'), hedges that keep a distance ('reportedly', "
               "'allegedly'), and loaded or intensifying words. Compare the same row across "
               "outlets.")


def render_tone_sources(tone: pd.DataFrame, words: pd.DataFrame, sources: pd.DataFrame,
                        names: Mapping[str, str]) -> None:
    """Tone per fact per outlet (heatmap) and who each outlet quotes (table)."""
    st.subheader("Tone of each outlet on each fact")
    if tone.empty:
        st.info("These outlets share no fact in this event.")
    else:
        fig = go.Figure(go.Heatmap(
            z=tone.to_numpy(), x=_columns(tone.columns, names),
            y=[_wrap(t) for t in tone.index], zmin=-1, zmax=1, colorscale="RdBu",
            text=[[mk.plotly_text(w) for w in row] for row in words.to_numpy()],
            texttemplate="%{text}", textfont={"size": 13}, colorbar={"title": "tone"},
            xgap=2, ygap=2,
            hovertemplate="%{y}<br>%{x}: %{text}<extra></extra>"))
        _draw_fact_heatmap(fig, list(fig.data[0].x))
        st.caption("Average sentiment of the outlet's passage on each fact, from -1 (red, "
                   "negative) to +1 (blue, positive); 0 is neutral. Blank: not reported. "
                   "'not measured': the passage is not in English, and the tone tool reads "
                   "English only. Tone scores are rough; read the passages before drawing "
                   "conclusions.")
    st.subheader("Who each outlet quotes")
    if sources.empty:
        st.info("No quoted sources found for these outlets.")
        return
    shown = sources.assign(Outlet=sources["outlet"].map(lambda o: _name(names, o)))
    shown = shown.sort_values(["Outlet", "count"], ascending=[True, False])
    st.dataframe(shown.rename(columns={"term": "Source", "count": "Times quoted",
                                       "detail": "How"}),
                 hide_index=True, width="stretch",
                 column_order=["Outlet", "Source", "Times quoted", "How"])
    st.caption("People and bodies each outlet quotes or cites, and how often. An outlet that "
               "quotes only one side is worth a closer look.")


def render_search(results: pd.DataFrame, query: str, names: Mapping[str, str],
                  read_article: Callable[[str], Mapping[str, Any] | None],
                  render_reader: Callable[..., None], limit: int = 50) -> None:
    """Passages containing the query, with the match highlighted and "Read in article"."""
    if not query.strip():
        st.caption("Type a word or phrase to find every passage that contains it.")
        return
    more = f"; showing the first {limit}." if len(results) > limit else "."
    st.html(f'<div class="px-run">{len(results)} passages contain '
            f'&#39;{mk.escape_text(query.strip())}&#39;{mk.escape_text(more)}</div>')
    pattern = mk.terms_pattern([query], whole_words=False)
    opened = ui.open_passage("search")
    for row in results.head(limit).to_dict("records"):
        spans = [m.span() for m in pattern.finditer(row["text"])] if pattern else []
        head = (f'{mk.language_badge(row.get("language"))} '
                f'{mk.escape_text(_name(names, row["outlet"]))} · '
                f'{mk.escape_text(row.get("title") or "")} · '
                f'{mk.escape_text(row.get("published") or "")}')
        st.html(f'<div class="px-result"><div class="px-foot">{head}</div>'
                f'{mk.mark_spans(row["text"], spans)}</div>')
        ui.read_ui("search", row["passage_id"], key=f"read-search-{row['passage_id']}")
        if row["passage_id"] == opened:
            cell = Cell(outlet=row["outlet"], state="reports", probability=float("nan"),
                        passage_id=row["passage_id"], article_id=row["article_id"],
                        url=row.get("url") or "", text=row["text"],
                        language=row.get("language") or "",
                        char_start=int(row["char_start"] or 0), char_end=int(row["char_end"] or 0))
            render_reader(cell, read_article(row["article_id"]), names,
                          key=f"close-search-{row['passage_id']}")
