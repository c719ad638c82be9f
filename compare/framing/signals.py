"""Framing signals: how each outlet tells an event, with the passages behind every number.

One table (DESIGN.md ``framing``) of signals per event, topic and outlet:

- ``word_choice``: terms that set an outlet apart from the event's other outlets (log-odds
  ratio with an informative Dirichlet prior, Monroe, Colaresi & Quinn 2008), event and topics;
- ``substitution``: one term swapped for another inside aligned passages ("invasion" where
  another outlet writes "special military operation"), event level;
- ``tone``: mean VADER compound score, event and topics;
- ``source``, ``attribution_verb``, ``hedge``, ``intensifier``: who is quoted, with which
  verbs, how much hedging and how many loaded words, event level.

Lexicon signals count what the lexicon lists and nothing else; they measure the presence of
words, not their meaning ("could" in a quote counts like "could" in the outlet's voice).

Languages (the passages' ``language``, ISO 639-1; empty or absent: unknown, which behaves as one
more language): word choice compares an outlet only with the outlets writing in the same
language, per event and language (and topic and language); substitutions read only aligned pairs
in one language. Tone arrives computed (``analyze``: VADER, English only); a passage without a
tone is not measured and counts nowhere. The hedge, intensifier and attribution-verb lexicons
are English word lists: they are counted in English passages and passages of unknown language
only, and the other passages are left out of their rates too.

Each passage's features are computed once (tone and speakers upstream, in ``analyze`` and
``compare.text.passages``); an event's or topic's counts are row sums of one sparse passages x terms
matrix, so a signal costs array operations, never a table filter.
"""
from __future__ import annotations

import difflib
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import sparse

from compare import schema
from compare.errors import CompareError, SettingsError
from compare.framing.lexicons import (
    find_hedges,
    find_intensifiers,
    lexicon_uses,
    merge_speakers,
    proportion_z,
    source_detail,
)
from compare.framing.passages import (
    STOPWORDS,
    Passages,
    by_language,
    passage_terms,
    prepare_passages,
    segments,
    term_words,
)
from compare.text.quotes import VERB_NOTES

__all__ = ["COLUMNS", "SIGNALS", "TONE_CAVEAT", "FramingSettings", "find_hedges",
           "find_intensifiers", "framing_signals", "log_odds_dirichlet", "passage_terms",
           "passage_tone", "proportion_z", "replaced_spans", "welch_z"]

log = logging.getLogger(__name__)

COLUMNS = schema.columns("framing")
SIGNALS = ("word_choice", "substitution", "tone", "source", "attribution_verb", "hedge",
           "intensifier")


@dataclass(frozen=True)
class FramingSettings:
    """Parameters of the framing signals (``[framing]`` in ``parallax.toml``)."""

    top_terms: int = 15  # word_choice rows per outlet and direction (used more / less)
    z_threshold: float = 1.96  # |z| to keep a word_choice term (two-sided 5%)
    min_term_count: int = 2  # a term must occur this often in the side that uses it more
    ngram_max: int = 2  # unigrams and bigrams
    # Prior mass as a share of the words compared (alpha_0 = prior_weight * n, shaped like the
    # event's counts); where a one-outlet term reaches its highest z (docs/evaluation.md#framing).
    prior_weight: float = 0.2
    min_topic_words: int = 30  # an outlet needs this many words in a topic to be compared
    min_pair_similarity: float = 0.5  # alignments below this are not read for substitutions
    # Alignments that carry ``probability`` (calibrated same-fact probability) are read for
    # substitutions when it reaches this instead: the pair more likely states one fact than not.
    min_pair_probability: float = 0.5
    min_pair_overlap: float = 0.5  # difflib ratio of the two token sequences
    max_span_words: int = 3  # longest replaced span ("special military operation")
    min_substitution_pairs: int = 2  # a substitution must recur in this many aligned pairs
    max_passage_ids: int = 50  # passage ids kept per row

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FramingSettings:
        """Settings from a ``[framing]`` table; unknown keys raise SettingsError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SettingsError(f"[framing] has unknown key(s) {', '.join(unknown)}; "
                                f"allowed: {', '.join(sorted(known))}")
        return cls(**data)


# ---------------------------------------------------------------- terms and log-odds


def log_odds_dirichlet(counts_a: ArrayLike, counts_b: ArrayLike,
                       prior: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Log-odds ratio with informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, eq. 22).

    Args:
        counts_a: term counts in group a, one per vocabulary term.
        counts_b: term counts in group b, same order.
        prior: Dirichlet pseudo-counts alpha_w (> 0), same order; alpha_0 is their sum.

    Returns:
        ``(delta, z)``: the log-odds difference (positive: a uses the term more) and its
        z-score ``delta / sqrt(1/(y_a + alpha) + 1/(y_b + alpha))``.
    """
    a, b, alpha = (np.asarray(x, dtype=float) for x in (counts_a, counts_b, prior))
    a0 = alpha.sum()
    odds_a = np.log(a + alpha) - np.log(a.sum() + a0 - a - alpha)
    odds_b = np.log(b + alpha) - np.log(b.sum() + a0 - b - alpha)
    delta = odds_a - odds_b
    return delta, delta / np.sqrt(1.0 / (a + alpha) + 1.0 / (b + alpha))


def _prune_covered(chosen: list[int], vocab: np.ndarray, counts: np.ndarray) -> list[int]:
    """Drop a unigram whose every use is inside a chosen bigram ("military" in "military op")."""
    grams = [g for g in chosen if " " in vocab[g]]
    return [i for i in chosen if " " in vocab[i] or not any(
        vocab[i] in vocab[g].split() and counts[g] == counts[i] for g in grams)]


def _pick_terms(delta: np.ndarray, z: np.ndarray, a: np.ndarray, b: np.ndarray,
                vocab: np.ndarray, cfg: FramingSettings) -> list[int]:
    """Indices of kept terms: top N with z >= threshold, then top N with z <= -threshold.

    Ties in z go to the term first in alphabetical order, which is the vocabulary's order.
    """
    picked: list[int] = []
    for sign, side in ((1.0, a), (-1.0, b)):
        ok = np.flatnonzero((sign * z >= cfg.z_threshold) & (side >= cfg.min_term_count))
        ranked = ok[np.lexsort((ok, -sign * z[ok]))][:cfg.top_terms]
        picked += _prune_covered(ranked.tolist(), vocab, side)
    return picked


def _word_choice_rows(p: Passages, rows: np.ndarray, background: np.ndarray, topic_id: str,
                      cfg: FramingSettings, note: str = "") -> list[dict[str, Any]]:
    """word_choice rows of one event or topic in one language (``rows``): each outlet against
    all the others.

    ``background`` counts the event's terms in that language (every column of ``p.terms``):
    the prior's shape. ``note`` ends each detail (the language, where the event has several).
    """
    outlets, starts, ends = segments(p.outlet[rows])
    if len(outlets) < 2:
        return []
    terms = p.terms[rows]
    cols = np.unique(terms.indices)  # the terms used here, still in alphabetical order
    terms = terms[:, cols]
    outlet_of = np.repeat(np.arange(len(outlets)), ends - starts)
    member = sparse.csr_matrix((np.ones(len(rows)), (outlet_of, np.arange(len(rows)))),
                               shape=(len(outlets), len(rows)))
    counts = (member @ terms).toarray()  # outlets x terms, float64, exact integers
    users = terms.tocsc()
    users.sort_indices()
    every, bg = counts.sum(axis=0), background[cols].astype(float)
    prior = cfg.prior_weight * every.sum() * bg / bg.sum()
    vocab, pids = p.vocab[cols], p.passage_id[rows]
    out = []
    # One outlet at a time on contiguous 1-d vectors in alphabetical term order, so sums and
    # logs match the test oracle (tests/framing_reference.py) bit for bit.
    for k, outlet in enumerate(outlets):
        a = counts[k]
        b = every - a
        delta, z = log_odds_dirichlet(a, b, prior)
        for i in _pick_terms(delta, z, a, b, vocab, cfg):
            hit = users.indices[users.indptr[i]:users.indptr[i + 1]]
            hit = hit[(hit >= starts[k]) & (hit < ends[k])]
            out.append(_row(p.event_id[rows[0]], topic_id, outlet, "word_choice", vocab[i],
                            delta[i], z[i], int(a[i]), pids[hit].tolist(), cfg,
                            f"{1000 * a[i] / a.sum():.1f} per 1,000 terms here vs "
                            f"{1000 * b[i] / max(b.sum(), 1):.1f} in the other outlets"
                            f"{note}"))
    return out


# ---------------------------------------------------------------- substitutions


def _content(span: Sequence[str]) -> list[str]:
    """A replaced span without stopwords at its edges."""
    keep = [i for i, w in enumerate(span) if w not in STOPWORDS]
    return list(span[keep[0]:keep[-1] + 1]) if keep else []


def replaced_spans(text_a: str, text_b: str, cfg: FramingSettings | None = None
                   ) -> list[tuple[str, str]]:
    """Terms of ``text_a`` replaced by other terms in ``text_b``, by a word-level diff.

    Only pairs whose token sequences overlap strongly (difflib ratio >= min_pair_overlap)
    are read, and only ``replace`` spans of at most ``max_span_words`` content words on
    each side; inserted or deleted words are omissions, not substitutions. Spans that differ
    only by a plural ``s`` are ignored.

    Returns:
        ``(term in a, term in b)`` pairs, lower case, in text order.
    """
    cfg = cfg or FramingSettings()
    ta, tb = term_words(text_a.lower()), term_words(text_b.lower())
    matcher = difflib.SequenceMatcher(None, ta, tb, autojunk=False)
    if not ta or not tb or matcher.ratio() < cfg.min_pair_overlap:
        return []
    found = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace":
            continue
        sa, sb = _content(ta[i1:i2]), _content(tb[j1:j2])
        if not sa or not sb or len(sa) > cfg.max_span_words or len(sb) > cfg.max_span_words:
            continue
        x, y = " ".join(sa), " ".join(sb)
        if x.rstrip("s") != y.rstrip("s"):
            found.append((x, y))
    return found


def _event_pairs(pairs: pd.DataFrame, p: Passages) -> dict[Any, list[tuple[str, str]]]:
    """Aligned pairs, sorted, by the event holding both passages; pairs across events or
    languages are dropped (a translation is no word swap)."""
    where = dict(zip(p.passage_id, zip(p.event_id, p.language, strict=True), strict=True))
    by_event: dict[Any, list[tuple[str, str]]] = defaultdict(list)
    for pa, pb in sorted(zip(pairs["passage_id_a"], pairs["passage_id_b"], strict=True)):
        if pa in where and where[pa] == where.get(pb):
            by_event[where[pa][0]].append((pa, pb))
    return by_event


def _substitution_rows(p: Passages, rows: np.ndarray, pairs: list[tuple[str, str]],
                       cfg: FramingSettings) -> list[dict[str, Any]]:
    """substitution rows of one event: term swaps that recur across aligned passage pairs."""
    text = dict(zip(p.passage_id[rows], (p.text[r] for r in rows), strict=True))
    outlet_of = dict(zip(p.passage_id[rows], p.outlet[rows], strict=True))
    support: dict[tuple[str, str, str, str], list[tuple[str, str]]] = defaultdict(list)
    compared: Counter[tuple[str, str]] = Counter()
    for pa, pb in pairs:
        if outlet_of[pa] == outlet_of[pb]:
            continue
        oa, ob = outlet_of[pa], outlet_of[pb]
        compared[(oa, ob)] += 1
        compared[(ob, oa)] += 1
        for x, y in dict.fromkeys(replaced_spans(text[pa], text[pb], cfg)):
            support[(oa, x, ob, y)].append((pa, pb))
            support[(ob, y, oa, x)].append((pb, pa))
    out = []
    for (oa, x, ob, y), found in sorted(support.items()):
        if len(found) < cfg.min_substitution_pairs:
            continue
        pids = list(dict.fromkeys(pid for pair in found for pid in pair))
        out.append(_row(p.event_id[rows[0]], "", oa, "substitution", f"{x} -> {y}",
                        len(found) / compared[(oa, ob)], math.nan, len(found), pids, cfg,
                        f'{ob} writes "{y}" ({len(found)} of {compared[(oa, ob)]} aligned '
                        f"pairs)"))
    return out


# ---------------------------------------------------------------- tone


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def passage_tone(texts: Iterable[str]) -> np.ndarray:
    """VADER compound score (-1 negative .. +1 positive) of each text, as float64.

    VADER's lexicon is English: a text in another language scores about 0, which is no
    measurement (``analyze`` scores English passages only; framing reads its ``tone``).
    """
    analyzer = _vader()
    return np.array([analyzer.polarity_scores(t)["compound"] for t in texts], dtype=float)


TONE_CAVEAT = ("VADER, a social-media lexicon: misses sarcasm, negated domain terms and "
               "news' neutral register")


def welch_z(x: np.ndarray, y: np.ndarray) -> float:
    """(mean x - mean y) / sqrt(var x / n_x + var y / n_y); NaN when either has < 2 values."""
    if len(x) < 2 or len(y) < 2:
        return math.nan
    se = math.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
    return float((x.mean() - y.mean()) / se) if se > 0 else math.nan


def _tone_rows(p: Passages, rows: np.ndarray, topic_id: str,
               cfg: FramingSettings) -> list[dict[str, Any]]:
    """tone rows of one event or topic: each outlet's mean against the other outlets', over the
    passages with a tone (an outlet with none has no row)."""
    unmeasured = np.isnan(p.tone[rows])
    skipped: Counter[str] = Counter()
    if unmeasured.any():
        skipped.update(p.outlet[rows[unmeasured]].tolist())
        rows = rows[~unmeasured]
    tone, pids = p.tone[rows], p.passage_id[rows]
    outlets, starts, ends = segments(p.outlet[rows])
    out = []
    for outlet, start, end in zip(outlets, starts, ends, strict=True):
        mine = np.zeros(len(rows), dtype=bool)
        mine[start:end] = True
        x, y = tone[mine], tone[~mine]
        mean = float(x.mean())
        # Strongest passages in the direction of the mean first: the ones a reader checks.
        order = sorted(zip(-np.sign(mean or 1.0) * x, pids[mine].tolist(), strict=True))
        others = f"{y.mean():+.2f} in the other outlets" if len(y) else "no other outlet"
        more = (f" ({skipped[outlet]} more not measured: VADER reads English only)"
                if skipped[outlet] else "")
        out.append(_row(p.event_id[rows[0]], topic_id, outlet, "tone", "", mean, welch_z(x, y),
                        len(x), [pid for _key, pid in order], cfg,
                        f"mean of {len(x)} passages{more} vs {others}; {TONE_CAVEAT}"))
    return out


def _lexicon_rows(found: Sequence[list[str]], outlets: np.ndarray, pids: np.ndarray,
                  event_id: Any, signal: str, cfg: FramingSettings,
                  describe: Callable[[str, str], str]) -> list[dict[str, Any]]:
    """Per outlet and term: occurrences, rate per 100 passages, z against the other outlets."""
    out = []
    for use in lexicon_uses(found, outlets.tolist()):
        k_o, n_o = len(use.passages), use.size
        rate_r = f"{100 * use.others / use.rest:.1f} per 100" if use.rest else "n/a"
        out.append(_row(event_id, "", use.outlet, signal, use.term, 100 * use.count / n_o,
                        proportion_z(k_o, n_o, use.others, use.rest), use.count,
                        pids[use.passages].tolist(), cfg,
                        f"{describe(use.outlet, use.term)}; in {k_o} of {n_o} passages vs "
                        f"{rate_r} in the other outlets"))
    return out


def _row(event_id: Any, topic_id: str, outlet: str, signal: str, term: str, value: float,
         z: float, count: int, pids: list[str], cfg: FramingSettings,
         detail: str) -> dict[str, Any]:
    return {"event_id": event_id, "topic_id": topic_id, "outlet": outlet,
            "signal": signal, "term": term, "value": round(float(value), 4),
            "z_score": round(float(z), 4) if not math.isnan(z) else math.nan,
            "count": int(count), "passage_ids": list(pids)[:cfg.max_passage_ids],
            "detail": detail}


# ---------------------------------------------------------------- passages and events


def _read_pairs(alignments: pd.DataFrame, cfg: FramingSettings) -> pd.DataFrame:
    """The aligned pairs substitutions read: calibrated ``probability`` >= min_pair_probability
    where the alignments carry it, else ``similarity`` >= min_pair_similarity. An empty table
    may lack columns."""
    if alignments.empty:
        return pd.DataFrame(columns=["passage_id_a", "passage_id_b"])
    score, floor = (("probability", cfg.min_pair_probability) if "probability" in alignments
                    else ("similarity", cfg.min_pair_similarity))
    missing = [c for c in ("passage_id_a", "passage_id_b", score) if c not in alignments]
    if missing:
        raise CompareError(f"framing needs alignment column(s) {', '.join(missing)}; "
                           f"pass the alignments table of DESIGN.md")
    return alignments.loc[alignments[score] >= floor, ["passage_id_a", "passage_id_b"]]


def _language_note(code: str, several: bool) -> str:
    return f" (language: {code or 'unknown'})" if several else ""


def _topic_rows(p: Passages, rows: np.ndarray, backgrounds: dict[str, np.ndarray],
                topic_id: str, several: bool, cfg: FramingSettings) -> list[dict[str, Any]]:
    """word_choice per language of the outlets with enough words in it in a topic, then every
    outlet's tone."""
    if p.outlet[rows[0]] == p.outlet[rows[-1]]:  # one outlet (rows are sorted): no comparison
        return _tone_rows(p, rows, topic_id, cfg)
    out: list[dict[str, Any]] = []
    for code, part in by_language(p, rows):
        _outlets, starts, ends = segments(p.outlet[part])
        enough = np.repeat(np.add.reduceat(p.words[part], starts) >= cfg.min_topic_words,
                           ends - starts)
        out += _word_choice_rows(p, part[enough], backgrounds[code], topic_id, cfg,
                                 _language_note(code, several))
    return out + _tone_rows(p, rows, topic_id, cfg)


def _event_rows(p: Passages, rows: np.ndarray, topics: list[tuple[str, np.ndarray]],
                pairs: list[tuple[str, str]], cfg: FramingSettings) -> list[dict[str, Any]]:
    """Every signal of one event: event level, then the topics with enough text."""
    languages = by_language(p, rows)
    several = len(languages) > 1
    backgrounds = {code: np.asarray(p.terms[part].sum(axis=0)).ravel()
                   for code, part in languages}
    out = []
    for code, part in languages:
        out += _word_choice_rows(p, part, backgrounds[code], "", cfg,
                                 _language_note(code, several))
    out += _tone_rows(p, rows, "", cfg)
    for topic_id, topic in topics:
        out += _topic_rows(p, topic, backgrounds, topic_id, several, cfg)
    out += _substitution_rows(p, rows, pairs, cfg)
    event_id, outlets, pids = p.event_id[rows[0]], p.outlet[rows], p.passage_id[rows]
    sources = merge_speakers([p.speaker[r] for r in rows])
    out += _lexicon_rows(sources, outlets, pids, event_id, "source", cfg,
                         source_detail(outlets, sources, p.is_quote[rows]))
    read = rows[p.lexicon_read[rows]]  # the other passages' lexicon hits are not known
    for signal, describe in _LEXICON_NOTES.items():
        out += _lexicon_rows([p.lexicon[signal][r] for r in read], p.outlet[read],
                             p.passage_id[read], event_id, signal, cfg, describe)
    return out


_LEXICON_NOTES: dict[str, Callable[[str, str], str]] = {
    "attribution_verb": lambda _o, v: VERB_NOTES.get(v, "other") if v != "(any)" else "all verbs",
    "hedge": lambda _o, _t: "hedge or distancing",
    "intensifier": lambda _o, _t: "loaded or evaluative word",
}


def framing_signals(passages: pd.DataFrame, alignments: pd.DataFrame, *,
                    settings: FramingSettings | None = None) -> pd.DataFrame:
    """Framing signals of every event, topic and outlet (DESIGN.md ``framing``).

    Args:
        passages: ``passage_id, outlet, event_id, topic_id, text`` and optionally
            ``is_quote``, ``speaker`` (from ``compare.text.passages``; absent: no source rows),
            ``tone`` (NaN or absent: not measured, no tone row) and ``language`` (ISO 639-1;
            empty or absent: unknown).
        alignments: ``passage_id_a, passage_id_b`` and ``probability`` (calibrated) or
            ``similarity`` (and the other DESIGN.md columns); pairs whose passages are unknown,
            in two events or in two languages are skipped.
        settings: thresholds; defaults when None.

    Returns:
        One row per signal, columns ``COLUMNS``, ``passage_ids`` a list of passage ids,
        sorted by event, topic, outlet, signal, -|z| (no z last), -count, term, detail.

    Raises:
        CompareError: a needed passage or alignment column is missing.
    """
    cfg = settings or FramingSettings()
    if passages.empty:
        return pd.DataFrame(columns=COLUMNS)
    p, events, topics = prepare_passages(passages, cfg.ngram_max)
    pairs = _event_pairs(_read_pairs(alignments, cfg), p)
    rows: list[dict[str, Any]] = []
    for event_id, event in events.items():
        rows += _event_rows(p, event, topics.get(event_id, []), pairs.get(event_id, []), cfg)
    out = pd.DataFrame(rows, columns=COLUMNS)
    out = out.assign(_z=-out["z_score"].abs(), _c=-out["count"]).sort_values(
        ["event_id", "topic_id", "outlet", "signal", "_z", "_c", "term", "detail"],
        na_position="last", kind="mergesort", ignore_index=True)
    log.info("framing: %d signal rows over %d events", len(out), len(events))
    return out.drop(columns=["_z", "_c"])
