"""TEST ORACLE: the framing table as compare/framing.py computed it before the array rewrite.

A frozen copy of the pre-rewrite orchestration (per-event and per-topic DataFrame filters,
Counters, per-term loops), kept only so tests can check that the rewrite produces the same table
byte for byte. It reuses the unchanged public helpers (terms, log-odds, diff, tone, lexicons,
z-scores) from compare.framing. Never import it from library code and do not "fix" it: it is
the reference, literal and therefore slow (about 10x slower than compare.framing on BASIL).

It knows no languages, no ``probability`` column and computes tone and speakers when their
columns are missing: compare it with compare.framing only on passages that carry ``tone`` and
``speaker`` and are in English (or of unknown language).
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from compare.errors import CompareError
from compare.framing.signals import (
    COLUMNS,
    TONE_CAVEAT,
    FramingSettings,
    find_hedges,
    find_intensifiers,
    log_odds_dirichlet,
    passage_terms,
    passage_tone,
    proportion_z,
    replaced_spans,
    welch_z,
)
from compare.text.quotes import VERB_NOTES, attribution, attribution_verbs

_NEEDED = ("passage_id", "outlet", "event_id", "topic_id", "text")


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
    return out.drop(columns=["_z", "_c"])
