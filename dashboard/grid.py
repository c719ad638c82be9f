"""The side by side as data: fact rows x shown outlets, each cell in one of three states.

Pure pandas, no Streamlit. A fact row of the analysis (``topics``) holds at most one passage per
outlet; ``coverage`` says, per fact and outlet, whether the outlet reports it (``same`` or
``weaker``: in the row, verified with every other cell or only on average), or where its closest
passage is (``closest``: a passage that is *not* the same fact), or nothing (``none``).

:func:`event_grid` shapes one event once (every outlet); :func:`fact_grid` picks the facts and
cells of the outlets a viewer shows. Both results are immutable and shared between sessions.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from compare.export.sidebyside import differing_pairs

# What a cell says, from the coverage row's ``covered`` and ``status``.
REPORTS, WEAKER, CLOSEST, NONE = "reports", "weaker", "closest", "none"
# Outlets preselected when a link names none.
DEFAULT_OUTLETS = 4


@dataclass(frozen=True)
class Cell:
    """One outlet's cell in one fact row."""

    outlet: str
    state: str  # REPORTS, WEAKER, CLOSEST or NONE
    probability: float  # same-fact probability (NaN: one-outlet fact, or not reported)
    passage_id: str = ""
    article_id: str = ""
    url: str = ""
    text: str = ""
    language: str = ""
    char_start: int = 0
    char_end: int = 0
    # A closest passage at or above the run's threshold is already another fact's cell (a
    # passage lives in one row): the cell says so rather than "not the same fact".
    elsewhere: bool = False
    # The cell's passage states the fact inside a longer passage: the larger side of a row pair
    # whose relation is ``contains``.
    within_longer: bool = False

    @property
    def has_passage(self) -> bool:
        """Whether the cell shows a passage (reports it, or its closest passage)."""
        return self.state != NONE and bool(self.passage_id)


@dataclass(frozen=True)
class Difference:
    """Two shown outlets whose passages of the fact differ, and how."""

    outlet_a: str
    outlet_b: str
    relation: str


@dataclass(frozen=True)
class FactRow:
    """One fact as shown: its heading (a shown outlet's passage) and one cell per outlet."""

    topic_id: str
    label: str  # the analysis' label (its representative passage), for exports
    heading: Cell  # the passage the row is headed by
    cells: tuple[Cell, ...]  # in the order of the shown outlets
    differences: tuple[Difference, ...]

    @property
    def n_reporting(self) -> int:
        return sum(c.state in (REPORTS, WEAKER) for c in self.cells)


@dataclass(frozen=True)
class EventGrid:
    """One event's facts and cells for every outlet, shaped once.

    ``facts``: index ``topic_id``; ``topic_label, n_outlets, n_passages, rep_passage_id, rank``.
    ``cells``: one row per (fact, outlet) of the event with the cell's state and its passage.
    ``differences``: pairs of outlets whose passages of a fact differ (relation other than same).
    ``terms``: per outlet, its distinctive words in the event (to highlight).
    ``languages``: per outlet, the language most of its passages in the event are in.
    """

    event_id: str
    facts: pd.DataFrame
    cells: pd.DataFrame
    differences: pd.DataFrame
    terms: Mapping[str, tuple[str, ...]]
    languages: Mapping[str, str]

    def terms_among(self, outlets: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """The distinctive words to highlight when ``outlets`` are shown side by side: an
        outlet's words only when another shown outlet writes in its language (words are
        distinctive against outlets of one language; across languages every word would be)."""
        langs = [self.languages.get(o, "") for o in outlets]
        return {o: self.terms.get(o, ()) for o, lang in zip(outlets, langs, strict=True)
                if langs.count(lang) > 1}


@dataclass(frozen=True)
class FactGrid:
    """The facts a set of shown outlets reports, in display order."""

    outlets: tuple[str, ...]
    rows: tuple[FactRow, ...]
    n_shared: int  # facts at least two shown outlets report
    n_single: int  # facts exactly one shown outlet reports


def _cell_frame(tables: Mapping[str, pd.DataFrame], event_id: str, threshold: float
                ) -> pd.DataFrame:
    cov = tables["coverage"]
    cov = cov[cov["event_id"] == event_id]
    state = np.select(
        [cov["covered"] & cov["status"].eq("weaker"), cov["covered"],
         cov["status"].eq("closest") & cov["closest_passage_id"].ne("")],
        [WEAKER, REPORTS, CLOSEST], NONE)
    shown = np.where(cov["covered"], cov["best_passage_id"],
                     np.where(state == CLOSEST, cov["closest_passage_id"], ""))
    cells = pd.DataFrame({"topic_id": cov["topic_id"].to_numpy(),
                          "outlet": cov["outlet"].to_numpy(), "state": state,
                          "probability": cov["probability"].to_numpy(dtype=float),
                          "passage_id": shown})
    cells["elsewhere"] = (cells["state"] == CLOSEST) & (cells["probability"] >= threshold)
    cells["within_longer"] = cells["state"].isin([REPORTS, WEAKER]) & pd.Series(
        list(zip(cells["topic_id"], cells["passage_id"], strict=True))).isin(
        _longer_passages(tables["alignments"], event_id)).to_numpy()
    pas = tables["passages"]
    pas = pas[pas["event_id"] == event_id][["passage_id", "article_id", "url", "text", "language",
                                            "char_start", "char_end"]]
    cells = cells.merge(pas.drop_duplicates("passage_id"), on="passage_id", how="left")
    # Passages of older runs carry no language: take the article's.
    langs = tables["events"].drop_duplicates("article_id").set_index("article_id")["language"]
    missing = cells["language"].fillna("").eq("")
    cells.loc[missing, "language"] = cells.loc[missing, "article_id"].map(langs)
    for col in ("article_id", "url", "text", "language"):
        cells[col] = cells[col].fillna("").astype(str)
    for col in ("char_start", "char_end"):
        cells[col] = cells[col].fillna(0).astype("int64")
    # A cell whose passage is gone from the passages table cannot show it.
    lost = (cells["state"] != NONE) & (cells["text"] == "")
    cells.loc[lost, "state"] = NONE
    return cells.set_index(["topic_id", "outlet"]).sort_index()


def _longer_passages(alignments: pd.DataFrame, event_id: str) -> set[tuple[str, str]]:
    """(fact, passage) of each passage that is the larger side of a ``contains`` pair of its
    fact row (runs made before the relation existed have none)."""
    if "larger" not in alignments:
        return set()
    pairs = alignments[(alignments["event_id"] == event_id) & (alignments["topic_id"] != "")
                       & (alignments["relation"] == "contains")]
    larger = np.where(pairs["larger"] == "b", pairs["passage_id_b"], pairs["passage_id_a"])
    return set(zip(pairs["topic_id"], larger, strict=True))


def _terms(framing: pd.DataFrame, event_id: str, limit: int = 8) -> dict[str, tuple[str, ...]]:
    rows = framing[(framing["event_id"] == event_id) & (framing["signal"] == "word_choice")
                   & (framing["topic_id"] == "") & (framing["z_score"] > 0)]
    rows = rows.sort_values(["outlet", "z_score"], ascending=[True, False], kind="mergesort")
    return {str(o): tuple(g["term"].head(limit)) for o, g in rows.groupby("outlet", sort=False)}


def event_grid(tables: Mapping[str, pd.DataFrame], event_id: str, *, threshold: float
               ) -> EventGrid:
    """Shape one event of a run's tables (see :class:`EventGrid`); ``threshold`` is the run's
    same-fact threshold (:func:`compare.runs.same_fact_threshold`)."""
    topics = tables["topics"]
    topics = topics[topics["event_id"] == event_id]
    facts = pd.DataFrame({
        "topic_label": topics["topic_label"].to_numpy(),
        "n_outlets": topics["n_outlets"].to_numpy(), "n_passages": topics["n_passages"].to_numpy(),
        "rep_passage_id": topics["representative_passage_id"].to_numpy(),
        # The analysis' own order (rows by first appearance) breaks ties, so fact numbers are
        # stable for one run.
        "rank": np.arange(len(topics)),
    }, index=pd.Index(topics["topic_id"].to_numpy(), name="topic_id"))
    pairs = differing_pairs(tables["alignments"], event_id)
    pas = tables["passages"]
    pas = pas[(pas["event_id"] == event_id) & (pas["language"] != "")]
    languages = pas.groupby("outlet")["language"].agg(lambda s: s.value_counts().index[0])
    return EventGrid(event_id, facts, _cell_frame(tables, event_id, threshold),
                     pairs[["topic_id", "outlet_a", "outlet_b", "relation"]].reset_index(drop=True),
                     _terms(tables["framing"], event_id), languages.to_dict())


def _cells_of(grid: EventGrid, outlets: Sequence[str]) -> pd.DataFrame:
    """Every (fact, shown outlet) cell, one row each; outlets with no coverage row say none."""
    full = pd.MultiIndex.from_product([grid.facts.index, list(outlets)],
                                      names=["topic_id", "outlet"])
    cells = grid.cells.reindex(full)
    cells["state"] = cells["state"].fillna(NONE)
    for col in ("passage_id", "article_id", "url", "text", "language"):
        cells[col] = cells[col].fillna("")
    for col in ("char_start", "char_end"):
        cells[col] = cells[col].fillna(0).astype("int64")
    cells["elsewhere"] = cells["elsewhere"].fillna(False).astype(bool)
    cells["within_longer"] = cells["within_longer"].fillna(False).astype(bool)
    return cells


def _heading(cells: Sequence[Cell], rep_passage_id: str) -> Cell:
    """The representative passage when its outlet is shown, else the shown reporting cell with
    the highest probability (the first shown reporting cell when none has one)."""
    reporting = [c for c in cells if c.state in (REPORTS, WEAKER)]
    for cell in reporting:
        if cell.passage_id == rep_passage_id:
            return cell
    return max(reporting, key=lambda c: -1.0 if np.isnan(c.probability) else c.probability)


def fact_grid(grid: EventGrid, outlets: Sequence[str], *, include_single: bool = False,
              differ_first: bool = False) -> FactGrid:
    """The facts the shown ``outlets`` report, in display order.

    Facts at least two shown outlets report come first by how many of them do, then by how many
    outlets of the event do, then by the mean same-fact probability of the shown cells (the
    surest first: the first rows a class sees are the ones the verifier is surest of), then in
    the analysis' order; with ``include_single`` the facts one
    shown outlet reports alone follow. ``differ_first`` puts the facts whose shown outlets'
    passages differ (:class:`Difference`) before all others, keeping that order within each.
    """
    outlets = tuple(outlets)
    cells = _cells_of(grid, outlets)
    is_reporting = cells["state"].isin([REPORTS, WEAKER])
    reporting = is_reporting.groupby(level="topic_id").sum()
    sureness = cells["probability"].where(is_reporting).groupby(level="topic_id").mean()
    facts = grid.facts.assign(shown=reporting.reindex(grid.facts.index).fillna(0).astype(int),
                              sureness=sureness.reindex(grid.facts.index).fillna(0.0))
    diffs = grid.differences
    diffs = diffs[diffs["outlet_a"].isin(outlets) & diffs["outlet_b"].isin(outlets)]
    diff_of: dict[str, list[Difference]] = {}
    for t, a, b, r in diffs.itertuples(index=False):
        diff_of.setdefault(t, []).append(Difference(a, b, r))
    facts = facts[facts["shown"] >= (1 if include_single else 2)].assign(
        differ=lambda f: f.index.isin(list(diff_of)))
    keys = (["differ"] if differ_first else []) + ["shown", "n_outlets", "sureness", "rank"]
    facts = facts.sort_values(keys, ascending=[False] * (len(keys) - 1) + [True],
                              kind="mergesort")
    ordered = cells.reindex(pd.MultiIndex.from_product([facts.index, list(outlets)],
                                                       names=["topic_id", "outlet"]))
    records = ordered.reset_index().to_dict("records")
    rows = []
    n = len(outlets)
    for k, (topic_id, fact) in enumerate(facts.iterrows()):
        row_cells = tuple(_cell(r) for r in records[k * n:(k + 1) * n])
        rows.append(FactRow(str(topic_id), str(fact["topic_label"]),
                            _heading(row_cells, str(fact["rep_passage_id"])), row_cells,
                            tuple(diff_of.get(str(topic_id), ()))))
    return FactGrid(outlets, tuple(rows), int((reporting >= 2).sum()),
                    int((reporting == 1).sum()))


def _cell(record: Mapping[str, object]) -> Cell:
    return Cell(outlet=str(record["outlet"]), state=str(record["state"]),
                probability=float(record["probability"]),  # type: ignore[arg-type]
                passage_id=str(record["passage_id"]), article_id=str(record["article_id"]),
                url=str(record["url"]), text=str(record["text"]),
                language=str(record["language"]),
                char_start=int(record["char_start"]),  # type: ignore[call-overload]
                char_end=int(record["char_end"]),  # type: ignore[call-overload]
                elsewhere=bool(record["elsewhere"]),
                within_longer=bool(record["within_longer"]))


def shared_counts(topics: pd.DataFrame, event_id: str) -> pd.Series:
    """Per outlet of the event, how many facts it reports together with another outlet."""
    rows = topics[(topics["event_id"] == event_id) & (topics["n_outlets"] >= 2)]
    return rows["outlets"].explode().value_counts()


def article_counts(events: pd.DataFrame, event_id: str) -> pd.Series:
    """Per outlet of the event, its articles."""
    return events[events["event_id"] == event_id]["outlet"].value_counts()


def default_outlets(candidates: Sequence[str], shared: pd.Series,
                    kinds: Mapping[str, str], limit: int = DEFAULT_OUTLETS,
                    articles: pd.Series | None = None) -> list[str]:
    """The outlets preselected for an event: those that share the most facts with others for
    the articles they wrote, one per registry ``kind`` first (wire, western, russian_state,
    official, opinion, ...).

    The rule: rank the candidates by the facts they share with another outlet, per
    ``1 + ln(articles)`` when the article counts are given (each further article counts less:
    an outlet writing many articles shares more facts by volume alone); take the best-ranked
    outlet of each kind in rank order, until ``limit``; fill the remaining places by rank. An
    outlet the registry does not list is a kind of its own. The chosen outlets are shown by the
    facts they share (ties: fewer articles, then the given order).

    So a lone article that shares nearly as many facts as an outlet writing many is shown
    instead of it. On the Istanbul demo the seed outlet (Global Research: 6 shared facts from
    one article, 6.0) joins The New York Times (25 from 11, 7.4), Lenta.ru (26 from 64, 5.0)
    and the President of Ukraine (17 from 12, 4.9), ahead of Ukrinform (7 from 9, 2.2) and the
    Kremlin (7 from 4, 2.9). Ranked by the count alone, the fourth place went to whichever of
    them shared one fact more, and changed with every change to the verifier.

    Args:
        candidates: the event's outlets (after any label filter), most articles first.
        shared: per outlet, the facts it shares (:func:`shared_counts`).
        kinds: outlet -> registry kind.
        articles: per outlet, its articles in the event (:func:`article_counts`); without it,
            outlets are ranked by the count alone, ties in the given order.
    """
    def facts(outlet: str) -> int:
        return int(shared.get(outlet, 0))

    def written(outlet: str) -> int:
        return 0 if articles is None else int(articles.get(outlet, 0))

    def rate(outlet: str) -> float:
        return facts(outlet) / (1.0 + math.log(max(written(outlet), 1)))

    order = sorted(range(len(candidates)), key=lambda i: (-rate(candidates[i]), i))
    ranked = [candidates[i] for i in order]
    chosen: list[str] = []
    seen: set[str] = set()
    for outlet in ranked:
        kind = kinds.get(outlet) or f"outlet:{outlet}"
        if kind not in seen and int(shared.get(outlet, 0)) > 0 and len(chosen) < limit:
            chosen.append(outlet)
            seen.add(kind)
    chosen += [o for o in ranked if o not in chosen][:max(0, limit - len(chosen))]
    shown = sorted(range(len(candidates)), key=lambda i: (
        -facts(candidates[i]), written(candidates[i]), i))
    return [candidates[i] for i in shown if candidates[i] in chosen]
