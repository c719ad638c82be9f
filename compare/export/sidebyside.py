"""The side by side as a table: one row per fact, for each outlet its passage and probability.

The same table for ``parallax export side-by-side`` and the dashboard's download. Light on
purpose (pandas only): built from a finished run's ``events``, ``topics``, ``coverage`` and
``passages``.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from compare import schema
from compare.errors import CompareError
from compare.runs import AnalysisRun

FACT_COLUMNS = ("event_id", "event_label", "fact_id", "fact_label", "n_outlets")
PROBABILITY = " probability"  # the suffix of each outlet's probability column
# The last column: which shown outlets tell the fact differently, and how (told_differently).
TOLD_DIFFERENTLY = "told_differently"
# How two outlets' passages of one fact differ (alignments.relation), in words.
RELATION_TEXT = {"number": "differ on the number", "negation": "one denies it",
                 "date": "different date", "actor": "a different actor"}


def side_by_side_table(run: AnalysisRun, *, event_id: str | None = None,
                       outlets: Sequence[str] | None = None,
                       include_single: bool = True) -> pd.DataFrame:
    """One row per fact of the event (every event when None), the outlets side by side.

    Args:
        run: a finished analysis.
        event_id: only this event's facts.
        outlets: the outlets to show, in this order (default: every outlet, those reporting
            the most facts first).
        include_single: keep facts only one of the shown outlets reports.

    Returns:
        Columns ``event_id, event_label, fact_id, fact_label, n_outlets`` (how many of the
        shown outlets report the fact), then per outlet ``<outlet>`` (its passage's text, ``""``
        where it does not report the fact) and ``<outlet> probability`` (the coverage
        probability, empty where it does not report the fact), and last ``told_differently``:
        how the shown outlets' passages of the fact differ (:func:`told_differently`, lines
        joined by "; "; empty where none do). Events with the most outlets first; within an
        event, facts reported by more outlets first. Facts none of the shown outlets reports
        are left out.

    Raises:
        CompareError: ``event_id`` is not an event of the run.
    """
    if event_id is not None:
        known_event(run, event_id)
    cells = _reported(run, event_id)
    shown = list(dict.fromkeys(outlets)) if outlets is not None else _most_facts_first(cells)
    cells = cells[cells["outlet"].isin(shown)]
    facts = _facts(run, event_id, cells, include_single)
    lookup = {(e, t, o): (text, p) for e, t, o, text, p in zip(
        cells["event_id"], cells["topic_id"], cells["outlet"], cells["text"],
        cells["probability"], strict=True)}
    keys = list(zip(facts["event_id"], facts["fact_id"], strict=True))
    columns: dict[str, Any] = {name: facts[name].to_numpy() for name in FACT_COLUMNS}
    for outlet in shown:
        found = [lookup.get((e, t, outlet)) for e, t in keys]
        columns[outlet] = [c[0] if c else "" for c in found]
        columns[f"{outlet}{PROBABILITY}"] = pd.array(
            [c[1] if c else math.nan for c in found], dtype="float64")
    differ = _differences(run, event_id, shown)
    columns[TOLD_DIFFERENTLY] = ["; ".join(told_differently(differ.get(k, ()))) for k in keys]
    return pd.DataFrame(columns, columns=[*FACT_COLUMNS, *_interleave(shown), TOLD_DIFFERENTLY])


def relation_text(relation: str) -> str:
    """How two passages of one fact differ, in words (``alignments.relation``)."""
    return RELATION_TEXT.get(relation, f"differ ({relation})")


def told_differently(pairs: Iterable[tuple[str, str, str]]) -> list[str]:
    """Lines saying which outlets tell a fact differently and how, from ``(outlet_a, outlet_b,
    relation)`` pairs: "Told differently by A and B: one denies it".

    An outlet that differs from several others in the same way is one line ("Told differently
    by A, against B and C: differ on the number"), not one line per pair: one outlet with
    another casualty count than three others is one difference, and a projected row should
    say it once. Within a relation the outlet in the most pairs is taken first (ties: the
    first named); relations keep the order they first appear in.
    """
    by_relation: dict[str, dict[frozenset[str], tuple[str, str]]] = {}
    for a, b, relation in pairs:  # each pair of outlets once per relation, either way round
        by_relation.setdefault(relation, {}).setdefault(frozenset((a, b)), (a, b))
    lines = []
    for relation, kept in by_relation.items():
        left = list(kept.values())
        while left:
            named = [o for pair in left for o in pair]
            odd = max(dict.fromkeys(named), key=named.count)
            others = [b if a == odd else a for a, b in left if odd in (a, b)]
            left = [pair for pair in left if odd not in pair]
            who = (f"{odd} and {others[0]}" if len(others) == 1
                   else f"{odd}, against {_and(others)}")
            lines.append(f"Told differently by {who}: {relation_text(relation)}")
    return lines


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def differing_pairs(alignments: pd.DataFrame, event_id: str | None = None) -> pd.DataFrame:
    """The pairs of a fact row whose passages differ (a relation other than ``same`` or
    ``contains``: one passage stating the fact inside a longer one differs on nothing), of one
    event or of all: ``event_id, topic_id, outlet_a, outlet_b, relation``. The dashboard's row
    and the export's ``told_differently`` both read them."""
    if event_id is not None:
        alignments = alignments[alignments["event_id"] == event_id]
    relation = alignments["relation"].fillna("")
    pairs = alignments[(alignments["topic_id"] != "") & ~relation.isin(schema.SAME_RELATIONS)]
    return pairs[["event_id", "topic_id", "outlet_a", "outlet_b", "relation"]].reset_index(
        drop=True)


def _differences(run: AnalysisRun, event_id: str | None, shown: Sequence[str]
                 ) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """Per (event, fact): the pairs of shown outlets whose passages differ, with the relation."""
    pairs = differing_pairs(run.frames["alignments"], event_id)
    pairs = pairs[pairs["outlet_a"].isin(shown) & pairs["outlet_b"].isin(shown)]
    out: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for e, t, a, b, r in zip(pairs["event_id"], pairs["topic_id"], pairs["outlet_a"],
                             pairs["outlet_b"], pairs["relation"], strict=True):
        out.setdefault((e, t), []).append((str(a), str(b), str(r)))
    return out


def known_event(run: AnalysisRun, event_id: str) -> None:
    """Raise a readable error when ``event_id`` is not an event of ``run``.

    Raises:
        CompareError: the run has no such event.
    """
    if event_id not in set(run.frames["events"]["event_id"]):
        raise CompareError(f"no event '{event_id}' in analysis {run.run_id}: see the event ids "
                           "with `parallax export events`")


def _reported(run: AnalysisRun, event_id: str | None) -> pd.DataFrame:
    """The coverage cells where an outlet reports a fact, with the passage's text."""
    coverage = run.frames["coverage"]
    if event_id is not None:
        coverage = coverage[coverage["event_id"] == event_id]
    cells = coverage[coverage["covered"] & (coverage["best_passage_id"] != "")]
    texts = run.frames["passages"].drop_duplicates("passage_id").set_index("passage_id")["text"]
    cells = cells[["event_id", "topic_id", "outlet", "best_passage_id", "probability"]].copy()
    cells["text"] = cells["best_passage_id"].map(texts).fillna("").astype(str)
    return cells


def _most_facts_first(cells: pd.DataFrame) -> list[str]:
    counts = cells.groupby("outlet")["topic_id"].size()
    return sorted(counts.index, key=lambda o: (-int(counts[o]), str(o)))


def _facts(run: AnalysisRun, event_id: str | None, cells: pd.DataFrame,
           include_single: bool) -> pd.DataFrame:
    """The facts to show, in order, with their event's label and shown outlets' count."""
    topics = run.frames["topics"][["event_id", "topic_id", "topic_label", "n_passages"]]
    if event_id is not None:
        topics = topics[topics["event_id"] == event_id]
    counts = cells.groupby(["event_id", "topic_id"]).size().rename("n_outlets").reset_index()
    facts = topics.merge(counts, on=["event_id", "topic_id"], how="inner")
    facts = facts[facts["n_outlets"] >= (1 if include_single else 2)]
    events = _event_order(run.frames["events"])
    facts = facts.assign(event_label=facts["event_id"].map(events["event_label"]).fillna(""),
                         _rank=facts["event_id"].map(events["rank"]).fillna(len(events)))
    facts = facts.sort_values(
        ["_rank", "event_id", "n_outlets", "n_passages", "topic_label", "topic_id"],
        ascending=[True, True, False, False, True, True], kind="mergesort")
    return facts.rename(columns={"topic_id": "fact_id", "topic_label": "fact_label"}
                        ).reset_index(drop=True)


def _event_order(events: pd.DataFrame) -> pd.DataFrame:
    """Per event: its label and rank (more outlets, more articles, earlier first), as the
    dashboard lists events."""
    grouped = events.groupby("event_id")
    order = pd.DataFrame({"event_label": grouped["event_label"].first(),
                          "n_outlets": grouped["outlet"].nunique(),
                          "n_articles": grouped.size(),
                          "first": grouped["published"].min()}).reset_index()
    order = order.sort_values(["n_outlets", "n_articles", "first", "event_id"],
                              ascending=[False, False, True, True], kind="mergesort")
    order["rank"] = range(len(order))
    return order.set_index("event_id")


def _interleave(outlets: Sequence[str]) -> list[str]:
    return [name for outlet in outlets for name in (outlet, f"{outlet}{PROBABILITY}")]
