"""Figures: the numbers an outlet states (casualties, distances, sums) that no other outlet in
the event states.

A topic groups passages about the same sub-topic ("people were killed"), so an outlet's
distinctive figure (14,000 civilians killed, where another outlet reports 8 killed) can share
a topic with other outlets and still be a claim only it makes. This module finds such figures:
a number with the word it counts, compared by value across the event's outlets.

Limits: regular expressions, English only; spelled-out numbers are read from "two" to "ninety" and the
round words (hundred, thousand, million, billion); dates, years and clock times are skipped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from compare.text.details import ENGLISH_MONTHS, SPELLED_NUMBERS

# Spelled-out counts as the details read them, and the vague plurals as rough figures.
_WORDS = {**SPELLED_NUMBERS, "dozens": 24, "hundreds": 200, "thousands": 2000}
_WORD_ALT = "|".join(sorted(_WORDS, key=len, reverse=True))  # "sixteen" before "six"
_SCALE = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_MONTHS = "|".join(name for names in ENGLISH_MONTHS.values() for name in names)
_FIGURE = re.compile(
    rf"(?<![\w.,/:-])(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?|{_WORD_ALT})"
    rf"(?:\s+(?P<scale>{'|'.join(_SCALE)}))?"
    r"(?P<pct>\s*(?:%|percent|per cent))?"
    rf"(?:\s+(?P<noun>(?!(?:{_MONTHS})\b)[a-z][a-z-]+))?",
    re.IGNORECASE,
)
_MONTH_BEFORE = re.compile(rf"\b(?:{_MONTHS})\.?\s*$", re.IGNORECASE)
# Words after a number that make it a date, time, rank or label rather than a count.
_NOT_COUNTS = {"am", "pm", "a", "p", "th", "st", "nd", "rd", "o", "and", "or", "to", "of"}


@dataclass(frozen=True)
class Figure:
    """A number stated in a passage, with the word it counts."""

    value: float
    text: str
    noun: str


def find_figures(text: str) -> list[Figure]:
    """The counted numbers of a passage (years, dates and clock times left out)."""
    found = []
    for m in _FIGURE.finditer(text):
        raw, noun = m.group("num"), (m.group("noun") or "").lower()
        if _MONTH_BEFORE.search(text[: m.start()]) or noun in _NOT_COUNTS:
            continue
        if noun in ENGLISH_STOP_WORDS:
            noun = ""  # "$2.5 billion in aid": the number stands, its noun is not next to it
        if text[m.end() : m.end() + 1] == ":" or re.match(r"\.\d", text[m.end() :]):
            continue  # a time (18:44) or a date (29.03.22)
        value = float(_WORDS.get(raw.lower(), 0) or raw.replace(",", ""))
        if m.group("scale"):
            value *= _SCALE[m.group("scale").lower()]
        if re.fullmatch(r"(19|20)\d\d", raw):
            continue  # a year
        if value < 2 or (not noun and not m.group("pct") and not m.group("scale")):
            continue  # "one", bare numbers without what they count
        shown = m.group(0).strip() if noun else text[m.start("num") : m.end("pct") if m.group(
            "pct") else m.end("scale") if m.group("scale") else m.end("num")]
        found.append(Figure(value, shown, noun))
    return found


def unique_figures(passages: pd.DataFrame, topics: pd.DataFrame) -> pd.DataFrame:
    """Omission rows of kind ``unique_figure``: a figure only one outlet of the event states.

    Args:
        passages: ``passage_id, event_id, topic_id, outlet, text``.
        topics: the run's topics (for n_outlets_in_event context only).

    Returns:
        Rows with the omissions columns; ``topic_label`` names the figure and its passage.
    """
    rows = []
    for event_id, event in passages.groupby("event_id", sort=True):
        n_outlets = event["outlet"].nunique()
        if n_outlets < 2:
            continue
        stated: dict[float, set[str]] = {}
        mentions = []
        for row in event.itertuples(index=False):
            for fig in find_figures(row.text):
                stated.setdefault(fig.value, set()).add(row.outlet)
                mentions.append((row, fig))
        seen: set[tuple[str, float]] = set()
        for row, fig in mentions:
            if len(stated[fig.value]) > 1 or (row.outlet, fig.value) in seen:
                continue
            seen.add((row.outlet, fig.value))
            rows.append({
                "event_id": event_id, "outlet": row.outlet, "topic_id": row.topic_id,
                "topic_label": f"{fig.text}: {row.text}", "kind": "unique_figure",
                "n_outlets_reporting": 1, "n_outlets_in_event": n_outlets,
            })
    return pd.DataFrame(rows, columns=["event_id", "outlet", "topic_id", "topic_label", "kind",
                                       "n_outlets_reporting", "n_outlets_in_event"])
