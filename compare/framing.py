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
"""
from __future__ import annotations

import difflib
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from compare.errors import CompareError, SettingsError
from compare.quotes import VERB_NOTES, attribution, attribution_verbs

log = logging.getLogger(__name__)

COLUMNS = ["event_id", "topic_id", "outlet", "signal", "term", "value", "z_score", "count",
           "passage_ids", "detail"]
SIGNALS = ("word_choice", "substitution", "tone", "source", "attribution_verb", "hedge",
           "intensifier")
_NEEDED = ("passage_id", "outlet", "event_id", "topic_id", "text")
STOPWORDS = frozenset(ENGLISH_STOP_WORDS)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# n-grams never cross punctuation: "Kremlin, Peskov" is not a phrase.
_CHUNK = re.compile(r"[.,;:!?()\[\]\"“”«»—–/]")

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


@dataclass(frozen=True)
class FramingSettings:
    """Parameters of the framing signals (``[framing]`` in ``parallax.toml``)."""

    top_terms: int = 15  # word_choice rows per outlet and direction (used more / less)
    z_threshold: float = 1.96  # |z| to keep a word_choice term (two-sided 5%)
    min_term_count: int = 2  # a term must occur this often in the side that uses it more
    ngram_max: int = 2  # unigrams and bigrams
    # Prior mass as a share of the words compared (alpha_0 = prior_weight * n, spread like the
    # event's own counts). 0.2 maximises the z a term used by one outlet only can reach, about
    # 0.74 * sqrt(k) for k uses (0.05 and 1.0 give 0.67 and 0.57): such a term needs about 7
    # uses to pass z = 1.96. Derived analytically, then checked on the Istanbul fixture.
    prior_weight: float = 0.2
    min_topic_words: int = 30  # an outlet needs this many words in a topic to be compared
    min_pair_similarity: float = 0.5  # alignments below this are not read for substitutions
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


def passage_terms(text: str, ngram_max: int = 2) -> list[str]:
    """Lower-cased unigrams and n-grams up to ``ngram_max`` of a text, stopwords removed.

    Tokens are runs of letters, hyphens inside ("de-escalation"); an n-gram has no stopword
    or one-letter word in it and never crosses punctuation.
    """
    terms: list[str] = []
    for chunk in _CHUNK.split(text.lower()):
        words = [w if w not in STOPWORDS and len(w) > 1 else "" for w in _WORD.findall(chunk)]
        for n in range(1, ngram_max + 1):
            for i in range(len(words) - n + 1):
                gram = words[i:i + n]
                if all(gram):
                    terms.append(" ".join(gram))
    return terms


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


def _outlet_counts(group: pd.DataFrame) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for outlet, terms in zip(group["outlet"], group["_terms"], strict=True):
        counts[outlet].update(terms)
    return counts


def _prune_covered(chosen: list[int], vocab: list[str], counts: np.ndarray) -> list[int]:
    """Drop a unigram whose every use is inside a chosen bigram ("military" in "military op")."""
    grams = [vocab[i] for i in chosen if " " in vocab[i]]
    keep = []
    for i in chosen:
        term = vocab[i]
        covered = " " not in term and any(
            term in g.split() and counts[vocab.index(g)] == counts[i] for g in grams)
        if not covered:
            keep.append(i)
    return keep


def _pick_terms(delta: np.ndarray, z: np.ndarray, a: np.ndarray, b: np.ndarray,
                vocab: list[str], cfg: FramingSettings) -> list[int]:
    """Indices of kept terms: top N with z >= threshold, then top N with z <= -threshold."""
    picked: list[int] = []
    for sign, side in ((1.0, a), (-1.0, b)):
        ok = np.flatnonzero((sign * z >= cfg.z_threshold) & (side >= cfg.min_term_count))
        ranked = sorted(ok.tolist(), key=lambda i: (-sign * z[i], vocab[i]))[:cfg.top_terms]
        picked += _prune_covered(ranked, vocab, side)
    return picked


def _word_choice_rows(group: pd.DataFrame, background: Counter[str], topic_id: str,
                      cfg: FramingSettings) -> list[dict[str, Any]]:
    """word_choice rows of one event or topic: each outlet against all the others."""
    counts = _outlet_counts(group)
    if len(counts) < 2:
        return []
    vocab = sorted(set().union(*counts.values()))
    every = np.sum([[c[t] for t in vocab] for c in counts.values()], axis=0, dtype=float)
    bg = np.array([background[t] for t in vocab], dtype=float)
    prior = cfg.prior_weight * every.sum() * bg / bg.sum()
    rows = []
    for outlet in sorted(counts):
        a = np.array([counts[outlet][t] for t in vocab], dtype=float)
        b = every - a
        delta, z = log_odds_dirichlet(a, b, prior)
        own = group[group["outlet"] == outlet]
        for i in _pick_terms(delta, z, a, b, vocab, cfg):
            term = vocab[i]
            pids = [p for p, terms in zip(own["passage_id"], own["_terms"], strict=True)
                    if term in terms]
            rows.append(_row(group, topic_id, outlet, "word_choice", term, delta[i], z[i],
                             int(a[i]), pids, cfg,
                             f"{1000 * a[i] / a.sum():.1f} per 1,000 terms here vs "
                             f"{1000 * b[i] / max(b.sum(), 1):.1f} in the other outlets"))
    return rows


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
    ta, tb = _WORD.findall(text_a.lower()), _WORD.findall(text_b.lower())
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


def _substitution_rows(group: pd.DataFrame, alignments: pd.DataFrame,
                       cfg: FramingSettings) -> list[dict[str, Any]]:
    """substitution rows of one event: term swaps that recur across aligned passage pairs."""
    text = dict(zip(group["passage_id"], group["text"], strict=True))
    outlet_of = dict(zip(group["passage_id"], group["outlet"], strict=True))
    pairs = alignments[(alignments["similarity"] >= cfg.min_pair_similarity)]
    support: dict[tuple[str, str, str, str], list[tuple[str, str]]] = defaultdict(list)
    compared: Counter[tuple[str, str]] = Counter()
    for pa, pb in sorted(zip(pairs["passage_id_a"], pairs["passage_id_b"], strict=True)):
        if pa not in text or pb not in text or outlet_of[pa] == outlet_of[pb]:
            continue
        oa, ob = outlet_of[pa], outlet_of[pb]
        compared[(oa, ob)] += 1
        compared[(ob, oa)] += 1
        for x, y in dict.fromkeys(replaced_spans(text[pa], text[pb], cfg)):
            support[(oa, x, ob, y)].append((pa, pb))
            support[(ob, y, oa, x)].append((pb, pa))
    rows = []
    for (oa, x, ob, y), found in sorted(support.items()):
        if len(found) < cfg.min_substitution_pairs:
            continue
        pids = list(dict.fromkeys(p for pair in found for p in pair))
        rows.append(_row(group, "", oa, "substitution", f"{x} -> {y}",
                         len(found) / compared[(oa, ob)], math.nan, len(found), pids, cfg,
                         f'{ob} writes "{y}" ({len(found)} of {compared[(oa, ob)]} aligned '
                         f"pairs)"))
    return rows


# ---------------------------------------------------------------- tone


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def passage_tone(texts: Iterable[str]) -> np.ndarray:
    """VADER compound score (-1 negative .. +1 positive) of each text, as float64."""
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


def _tone_rows(group: pd.DataFrame, topic_id: str, cfg: FramingSettings) -> list[dict[str, Any]]:
    """tone rows of one event or topic: each outlet's mean against the other outlets'."""
    outlets = group["outlet"].to_numpy(dtype=object)
    tone, pids = group["_tone"].to_numpy(dtype=float), group["passage_id"].tolist()
    rows = []
    for outlet in sorted(set(outlets)):
        mine = outlets == outlet
        x, y = tone[mine], tone[~mine]
        mean = float(x.mean())
        # Strongest passages in the direction of the mean first: the ones a reader checks.
        order = sorted(zip(-np.sign(mean or 1.0) * x, [p for p, m in zip(pids, mine) if m]))
        others = f"{y.mean():+.2f} in the other outlets" if len(y) else "no other outlet"
        rows.append(_row(group, topic_id, outlet, "tone", "", mean, welch_z(x, y), len(x),
                         [p for _key, p in order], cfg,
                         f"mean of {len(x)} passages vs {others}; {TONE_CAVEAT}"))
    return rows


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


def _lexicon_rows(group: pd.DataFrame, signal: str, column: str, cfg: FramingSettings,
                  describe: Callable[[str, str], str]) -> list[dict[str, Any]]:
    """Per outlet and term: occurrences, rate per 100 passages, z against the other outlets.

    ``group[column]`` holds each passage's list of found terms. An "(any)" row sums them.
    """
    outlets = group["outlet"].tolist()
    where: dict[str, list[int]] = defaultdict(list)  # term -> positions of passages using it
    uses: Counter[tuple[str, str]] = Counter()  # (outlet, term) -> occurrences
    for pos, (outlet, terms) in enumerate(zip(outlets, group[column], strict=True)):
        for term in [*dict.fromkeys(terms), *(["(any)"] if terms else [])]:
            where[term].append(pos)
        uses.update([(outlet, t) for t in terms] + [(outlet, "(any)")] * len(terms))
    size = Counter(outlets)
    rows = []
    for (outlet, term), count in sorted(uses.items()):
        hit = [pos for pos in where[term] if outlets[pos] == outlet]
        k_o, k_r = len(hit), len(where[term]) - len(hit)
        n_o, n_r = size[outlet], len(outlets) - size[outlet]
        rate_r = f"{100 * k_r / n_r:.1f} per 100" if n_r else "n/a"
        rows.append(_row(group, "", outlet, signal, term, 100 * count / n_o,
                         proportion_z(k_o, n_o, k_r, n_r), count,
                         [group["passage_id"].iat[pos] for pos in hit], cfg,
                         f"{describe(outlet, term)}; in {k_o} of {n_o} passages vs {rate_r} "
                         f"in the other outlets"))
    return rows


def _speakers(group: pd.DataFrame) -> list[list[str]]:
    """Each passage's speaker, a bare surname merged into the event's one full name."""
    names = group["_speaker"].tolist()
    full = sorted({s for s in names if " " in s and not s.startswith("the ")})
    merged = []
    for s in names:
        matches = [f for f in full if f.split()[-1] == s]
        merged.append([matches[0] if len(matches) == 1 else s] if s else [])
    return merged


def _source_detail(group: pd.DataFrame) -> Callable[[str, str], str]:
    """How an outlet cites a source: direct quotes against paraphrase or citation."""
    pairs = [(o, s, bool(q)) for o, terms, q in
             zip(group["outlet"], group["_sources"], group["is_quote"], strict=True) for s in terms]
    quoted = Counter((o, s) for o, s, q in pairs if q)
    cited = Counter((o, s) for o, s, q in pairs if not q)
    return lambda o, s: ("any named source" if s == "(any)" else
                         f"{quoted[(o, s)]} quoted directly, {cited[(o, s)]} paraphrased or cited")


def _row(group: pd.DataFrame, topic_id: str, outlet: str, signal: str, term: str, value: float,
         z: float, count: int, pids: list[str], cfg: FramingSettings,
         detail: str) -> dict[str, Any]:
    return {"event_id": group["event_id"].iat[0], "topic_id": topic_id, "outlet": outlet,
            "signal": signal, "term": term, "value": round(float(value), 4),
            "z_score": round(float(z), 4) if not math.isnan(z) else math.nan,
            "count": int(count), "passage_ids": list(pids)[:cfg.max_passage_ids],
            "detail": detail}


def _prepare(passages: pd.DataFrame, cfg: FramingSettings) -> pd.DataFrame:
    """Passages with the per-passage features every signal reads (columns starting "_")."""
    missing = [c for c in _NEEDED if c not in passages.columns]
    if missing:
        raise CompareError(f"framing needs passage column(s) {', '.join(missing)}; "
                           f"pass the passages table of DESIGN.md")
    df = passages.copy()
    df["topic_id"] = df["topic_id"].fillna("").astype(str)
    df["is_quote"] = df["is_quote"].astype(bool) if "is_quote" in df else False
    df["_terms"] = [passage_terms(t, cfg.ngram_max) for t in df["text"]]
    given = "tone" in df and bool(df["tone"].notna().all())
    df["_tone"] = df["tone"].astype(float) if given else passage_tone(df["text"].tolist())
    df["_speaker"] = (df["speaker"].fillna("").astype(str) if "speaker" in df
                      else [attribution(t)[0] for t in df["text"]])
    for column, find in (("_verbs", attribution_verbs), ("_hedges", find_hedges),
                         ("_intensifiers", find_intensifiers)):
        df[column] = [find(t) for t in df["text"]]
    return df.sort_values(["event_id", "outlet", "passage_id"], ignore_index=True)


def _check_alignments(alignments: pd.DataFrame) -> pd.DataFrame:
    """The alignment pairs substitutions read; an empty table may lack columns."""
    needed = ["passage_id_a", "passage_id_b", "similarity"]
    if alignments.empty:
        return pd.DataFrame(columns=needed)
    missing = [c for c in needed if c not in alignments.columns]
    if missing:
        raise CompareError(f"framing needs alignment column(s) {', '.join(missing)}; "
                           f"pass the alignments table of DESIGN.md")
    return alignments[needed]


def _event_rows(event: pd.DataFrame, alignments: pd.DataFrame,
                cfg: FramingSettings) -> list[dict[str, Any]]:
    """Every signal of one event: event level, then the topics with enough text."""
    background = Counter(t for terms in event["_terms"] for t in terms)
    rows = _word_choice_rows(event, background, "", cfg) + _tone_rows(event, "", cfg)
    for topic_id, topic in event[event["topic_id"] != ""].groupby("topic_id", sort=True):
        words = topic["_terms"].map(lambda ts: sum(" " not in t for t in ts))
        per_outlet = words.groupby(topic["outlet"]).sum()
        enough = per_outlet[per_outlet >= cfg.min_topic_words].index
        rows += _word_choice_rows(topic[topic["outlet"].isin(enough)], background,
                                  str(topic_id), cfg)
        rows += _tone_rows(topic, str(topic_id), cfg)
    rows += _substitution_rows(event, alignments, cfg)
    event = event.assign(_sources=_speakers(event))
    rows += _lexicon_rows(event, "source", "_sources", cfg, _source_detail(event))
    rows += _lexicon_rows(event, "attribution_verb", "_verbs", cfg,
                          lambda _o, v: VERB_NOTES.get(v, "other") if v != "(any)" else "all verbs")
    rows += _lexicon_rows(event, "hedge", "_hedges", cfg, lambda _o, _t: "hedge or distancing")
    rows += _lexicon_rows(event, "intensifier", "_intensifiers", cfg,
                          lambda _o, _t: "loaded or evaluative word")
    return rows


def framing_signals(passages: pd.DataFrame, alignments: pd.DataFrame, *,
                    settings: FramingSettings | None = None) -> pd.DataFrame:
    """Framing signals of every event, topic and outlet (DESIGN.md ``framing``).

    Args:
        passages: ``passage_id, outlet, event_id, topic_id, text`` and optionally
            ``is_quote, speaker, tone`` (computed when absent).
        alignments: ``passage_id_a, passage_id_b, similarity`` (and the other DESIGN.md
            columns); pairs whose passages are unknown are skipped.
        settings: thresholds; defaults when None.

    Returns:
        One row per signal, columns ``COLUMNS``, ``passage_ids`` a list of passage ids,
        sorted by event, topic, outlet, signal, -|z| (no z last), -count, term, detail.

    Raises:
        CompareError: a needed passage column is missing.
    """
    cfg = settings or FramingSettings()
    if passages.empty:
        return pd.DataFrame(columns=COLUMNS)
    df = _prepare(passages, cfg)
    alignments = _check_alignments(alignments)
    rows: list[dict[str, Any]] = []
    for _event_id, event in df.groupby("event_id", sort=True):
        rows += _event_rows(event.reset_index(drop=True), alignments, cfg)
    out = pd.DataFrame(rows, columns=COLUMNS)
    out = out.assign(_z=-out["z_score"].abs(), _c=-out["count"]).sort_values(
        ["event_id", "topic_id", "outlet", "signal", "_z", "_c", "term", "detail"],
        na_position="last", kind="mergesort", ignore_index=True)
    log.info("framing: %d signal rows over %d events", len(out), df["event_id"].nunique())
    return out.drop(columns=["_z", "_c"])
