"""Lexicon signals of the framing table: hedges, loaded words, attribution verbs, sources.

Each passage's hits are found once (``find_hedges``, ``find_intensifiers``, the quotes module's
verbs and speakers); ``lexicon_uses`` counts them per outlet and term in one pass over an
event's passages, with the passages behind every count.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Hedges and distancing markers: Hyland (2005) "Metadiscourse" hedges list, trimmed to news
# use, plus the newsroom formulas for unverified claims. "may" is matched in lower case only
# so the month is not counted.
HEDGES = (
    "reportedly", "allegedly", "purportedly", "apparently", "appeared to", "appears to",
    "appear to", "seemed to", "seems to", "may", "might", "could", "possibly", "perhaps",
    "likely", "unlikely", "so-called", "unconfirmed", "unverified", "it is believed",
    "is believed to", "are believed to", "is thought to", "are thought to", "is said to",
    "are said to", "could not be independently verified", "not independently verified",
    "could not immediately verify", "purported",
)
# Loaded intensifiers and evaluative labels, curated by hand for this project from Wikipedia
# MOS:LABEL / MOS:EDITORIAL ("Words to watch"), the bias lexicon of Recasens,
# Danescu-Niculescu-Mizil & Jurafsky (2013, "Linguistic Models for Analyzing and Detecting
# Biased Language") and labels common in Russia-Ukraine war coverage (regime, junta, neo-Nazi).
INTENSIFIERS = (
    "brutal", "brutally", "bizarre", "contemptuously", "mysteriously", "heinous", "barbaric",
    "unprovoked", "so-called", "savage", "atrocious", "horrific", "horrifying", "shocking",
    "outrageous", "cynical", "cynically", "blatant", "blatantly", "flagrant", "shameless",
    "shamelessly", "ruthless", "vicious", "reckless", "absurd", "ridiculous", "notorious",
    "sinister", "grotesque", "monstrous", "tepid", "hysteria", "hysterical", "russophobia",
    "russophobic", "propaganda", "puppet", "regime", "junta", "neo-nazi", "neo-nazis",
    "aggressor", "provocation", "staged", "fake", "desperate", "desperately", "humiliating",
    "disastrous", "catastrophic", "infamous", "senseless", "genocidal", "terrorist",
    "terrorists", "butcher", "thugs", "tyrant", "dictator",
)


def _lexicon_pattern(terms: Sequence[str]) -> re.Pattern[str]:
    alts = sorted((t for t in terms if t != "may"), key=len, reverse=True)
    body = "|".join(re.escape(t) for t in alts) + ("|(?-i:may)" if "may" in terms else "")
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


_HEDGE_RE = _lexicon_pattern(HEDGES)
_INTENSIFIER_RE = _lexicon_pattern(INTENSIFIERS)


def find_hedges(text: str) -> list[str]:
    """Hedging markers in a text, lower case, in order, with repeats."""
    return [m.group().lower() for m in _HEDGE_RE.finditer(text)]


def find_intensifiers(text: str) -> list[str]:
    """Loaded intensifiers and evaluative labels in a text, lower case, with repeats."""
    return [m.group().lower() for m in _INTENSIFIER_RE.finditer(text)]


def proportion_z(k1: int, n1: int, k2: int, n2: int) -> float:
    """z of the log odds ratio of k1/n1 against k2/n2, with 0.5 added to every cell.

    The Haldane-Anscombe correction keeps one use against none from looking decisive: for 1
    of 14 passages against 0 of 300 a pooled two-proportion z says 4.6, this 2.5 (Fisher's
    exact p = 0.045, so single uses still deserve a look at the passage). NaN: a group is empty.
    """
    if not n1 or not n2:
        return math.nan
    cells = [k1 + 0.5, n1 - k1 + 0.5, k2 + 0.5, n2 - k2 + 0.5]
    log_or = math.log(cells[0] / cells[1]) - math.log(cells[2] / cells[3])
    return log_or / math.sqrt(sum(1.0 / c for c in cells))


@dataclass(frozen=True)
class LexiconUse:
    """One outlet's use of one lexicon term (or "(any)" of them) in an event."""

    outlet: str
    term: str
    count: int  # occurrences, repeats included
    passages: list[int]  # positions of the outlet's passages that use it, in order
    others: int  # passages of the other outlets that use it
    size: int  # the outlet's passages
    rest: int  # the other outlets' passages


def lexicon_uses(found: Sequence[list[str]], outlets: Sequence[str]) -> list[LexiconUse]:
    """Every (outlet, term) with a use, sorted; an "(any)" term sums an outlet's uses.

    Args:
        found: each passage's list of found terms, with repeats.
        outlets: each passage's outlet, same order.
    """
    hits: dict[tuple[str, str], list[int]] = defaultdict(list)
    users: Counter[str] = Counter()  # term -> passages using it, every outlet
    uses: Counter[tuple[str, str]] = Counter()  # (outlet, term) -> occurrences
    for pos, (outlet, terms) in enumerate(zip(outlets, found, strict=True)):
        for term in [*dict.fromkeys(terms), *(["(any)"] if terms else [])]:
            hits[(outlet, term)].append(pos)
            users[term] += 1
        uses.update([(outlet, t) for t in terms] + [(outlet, "(any)")] * len(terms))
    size = Counter(outlets)
    return [LexiconUse(outlet, term, count, hits[(outlet, term)],
                       users[term] - len(hits[(outlet, term)]), size[outlet],
                       len(outlets) - size[outlet])
            for (outlet, term), count in sorted(uses.items())]


def merge_speakers(names: Sequence[str]) -> list[list[str]]:
    """Each passage's speaker, a bare surname merged into the event's one full name."""
    by_surname: dict[str, list[str]] = defaultdict(list)
    for full in sorted({s for s in names if " " in s and not s.startswith("the ")}):
        by_surname[full.split()[-1]].append(full)
    merged = []
    for s in names:
        matches = by_surname.get(s, [])
        merged.append([matches[0] if len(matches) == 1 else s] if s else [])
    return merged


def source_detail(outlets: Sequence[str], sources: Sequence[list[str]],
                  is_quote: Sequence[bool]) -> Callable[[str, str], str]:
    """How an outlet cites a source: direct quotes against paraphrase or citation."""
    pairs = [(o, s, bool(q)) for o, names, q in zip(outlets, sources, is_quote, strict=True)
             for s in names]
    quoted = Counter((o, s) for o, s, q in pairs if q)
    cited = Counter((o, s) for o, s, q in pairs if not q)
    return lambda o, s: ("any named source" if s == "(any)" else
                         f"{quoted[(o, s)]} quoted directly, {cited[(o, s)]} paraphrased or cited")
