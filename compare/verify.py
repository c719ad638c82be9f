"""The same-fact verifier: a calibrated probability that two passages state the same fact.

One cosine misses much of what tells two sentences apart: a neighbouring claim about the same
person, the same template about another happening, a translation. The verifier combines signals
(:data:`FEATURES`) in a logistic regression learned from labelled pairs (``compare.training``):

- ``use``: cosine of the multilingual encoder (Universal Sentence Encoder multilingual v3), for
  every language pair (a pair with a passage in a language it was not trained on, Ukrainian for
  one, reads the wide encoder's cosine instead, put on its scale: :data:`WIDE_TO_USE`);
  ``use_cross`` is the same cosine when the two languages differ, so the
  model weighs it separately for translations;
- ``minilm``: cosine of all-MiniLM-L6-v2, the stronger English encoder, when both passages are
  English (0 otherwise);
- ``words``: TF-IDF cosine of content words (sublinear tf, stop words of each passage's
  language removed, IDF from the passages compared together), same language only;
- ``chars``: TF-IDF cosine of character 3-5-grams of the ASCII transliteration: names and
  numbers shared across scripts ("Zelensky" / "Зеленский");
- ``names``: the share of the smaller passage's names (by IDF among the passages compared: a
  rare name weighs more) that the other one has; ``numbers``: the same for numbers, unweighted;
- ``figure_conflict``, ``date_conflict``, ``negation_conflict``: both give figures (dates) and
  share none; one side is negated and the other not (``compare.details``);
- ``length_ratio``: shorter / longer word count; ``cross``: the languages differ.

For two English passages (or one English and one of unknown language: :func:`english_pairs`)
the probability is the larger of the pooled model's and MiniLM's cosine calibrated alone
(:class:`Verifier`). For two passages in one other language (:func:`other_language_pairs`) it
is the pooled model's recalibrated on such pairs: without MiniLM the pooled model is unsure of
them, and two Russian outlets would otherwise be linked less often than a Russian and an
English one (``compare.training.fit_other_calibration``). For two passages in different
languages inside an event it is at most the translation head's, which reads what the pair
shares beyond the event's common content (:data:`TRANSLATION_FEATURES`,
:func:`specific_vectors`).

The fitted model ships as ``compare/data/verifier.json`` (coefficients, the feature scaling,
the thresholds with their provenance, and the hashes of the training data); ``python -m
compare.training`` regenerates it byte for byte.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from scipy import sparse

from compare.details import PassageDetails, indicator_matrix, passage_details, stopwords
from compare.errors import CompareError
from corpus.text import ascii_fold, words

FEATURES = ("use", "use_cross", "minilm", "words", "chars", "names", "numbers",
            "figure_conflict", "date_conflict", "negation_conflict", "length_ratio", "cross")
_MINILM = FEATURES.index("minilm")
# Differences the verifier learns from but does not hold against a pair. Its training labels
# count a different figure or date as a different meaning (STS-B, MSRP), so the two conflict
# features absorb that convention while the model is fitted; at prediction a pair whose figures
# or dates differ is read with them set aside, and the pair's relation says what differs
# (:func:`compare.details.relation`). The "same fact, different details" (two casualty
# counts for one strike) is then a row marked ``number``, in every language: MiniLM, blind to
# digits, already linked such English pairs (0.84 for "killed 12" / "killed 15"), while the same
# claim with another count across languages scored 0.44-0.67 and was never linked.
DETAILS_ASIDE = ("figure_conflict", "date_conflict")
_ASIDE = [FEATURES.index(name) for name in DETAILS_ASIDE]
MODEL_FILE = "verifier.json"
MULTILINGUAL_ENCODER = "use:multilingual-v3"
# The languages the multilingual encoder was trained on (its model card lists 16, Chinese
# simplified and traditional apart). Outside them its vectors drift: four news sentences and
# their Ukrainian translations scored 0.44-0.55, their French, Spanish, Turkish, Italian,
# Polish and Russian translations 0.67-0.89, and same_fact gave the Ukrainian pairs 0.28-0.50.
USE_LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt",
                           "ru", "th", "tr", "zh"})
# multilingual-e5-small reads about 100 languages (the same Ukrainian pairs: 0.86-0.90, against
# 0.74-0.77 for the best other sentence) but embeds about 40 passages/s here against the
# multilingual encoder's 507 (bench_embed, one run): passages are embedded with it only in the
# events with a passage outside USE_LANGUAGES or with two languages (needs_wide). Its cosine
# of a pair with such a passage is read in place of the multilingual encoder's (cut to [-1, 1]
# on the multilingual scale); a translated pair in two covered languages reads the mean of
# both ("both" below). The two encoders err apart on translations: on STS-B dev the mean ranks
# EN-RU at Spearman 0.802 and EN-DE at 0.810, against 0.770 / 0.779 for the multilingual
# encoder and 0.725 / 0.766 for e5 (plain cosines); same_fact, with the verifier retrained on
# it, 0.765 -> 0.793 and 0.771 -> 0.798 (languages detected; given: 0.771 -> 0.801 and
# 0.775 -> 0.801). In the Istanbul demo its translated links went from
# 72, 32 read as the same claim, to 70 with 36 (issue-7 note).
# English pairs do not read it. Tried as a thirteenth feature (e5's cosine of every pair, the
# verifier retrained on the same data), it became the largest coefficient and gave STS-B dev
# EN-EN 0.881 against 0.862, EN-RU / EN-DE unchanged (0.791 / 0.801), MSRP test F1 0.817
# against 0.820, and NewsWCL50 links no better curve (held-out P 0.907 / R 0.315 at 0.65
# against 0.891 / 0.275, dev P 0.761 / R 0.361 at 0.7 against 0.787 / 0.315); but it embeds
# 25 passages/s against MiniLM's 143 (bench_embed; MSRP sentences 19/s against 185, with one
# or two threads alike), so BASIL's cold analysis would take about 400 s instead of 106 s
# (issue-7 note, session 17).
WIDE_ENCODER = "e5:multilingual-small"
# a * (e5 cosine) + b, per kind of pair: gives e5's cosines the mean and spread of the
# multilingual encoder's over the first 1,000 pairs of STS-B train in each language
# combination (same: en-en, ru-ru, de-de; cross: en-ru, en-de), so the verifier reads them on
# the scale it was trained on. Measured by ``python -m compare.training --wide-scale``. Read
# through e5 this way, STS-B dev EN-RU and EN-DE (first 500 pairs) keep Spearman 0.754 and
# 0.763 (tests/test_wide.py); the multilingual encoder itself: 0.785 and 0.784 on all 1,500.
# "both": a * (mean of the multilingual cosine and e5's on the "cross" scale) + b, which gives
# that mean the multilingual encoder's mean and spread over the same translated pairs.
WIDE_TO_USE = {"same": (4.069, -3.096), "cross": (4.393, -3.187), "both": (1.042, -0.02052)}
# The multilingual encoder scores a translated pair lower than the same pair in one language;
# the through-origin fit of the cross-language cosine on the same-language cosine is 0.815 on
# STS-B train (EN-RU 0.792, EN-DE 0.838; 5,749 pairs, both directions). Dividing by it gives
# the cosine the pair would have in one language.
CROSS_LANGUAGE_SHRINK = 0.815

# Translated pairs inside an event. Every passage of an event shares its subject, so the
# multilingual cosine of two passages in different languages is high for any two claims about
# it ("Putin informed Draghi of the talks' progress" / "the talks were constructive"), and for
# such a pair no shared word tells the claims apart. Read one by one, 32 of the 102 translated
# pairs the verifier linked in the Istanbul demo stated the same claim; the verifier's
# probability ranked them at AUC 0.79, the multilingual cosine at 0.72, and the cosine of the
# vectors less their language's mean over the event at 0.88 (the event's common content
# removed; removing a fixed per-language mean instead gave 0.73). The *specific* cosine is that
# one: each passage's vector less the mean of the other passages of its language among those
# compared together, for languages with at least EVENT_MIN_PASSAGES of them (fewer say more
# about themselves than about their event). The translation head (``Verifier.translation_head``)
# reads it with the pair's shared names, numbers and length, and a translated pair's
# probability is the smaller of the pooled model's and the head's.
# For English pairs the same centring (MiniLM's vectors less the event's English mean) ranks
# NewsWCL50 links better alone on the held-out events (P 0.97 / R 0.27 against MiniLM's
# 0.91 / 0.28) but not on the dev events (0.79 / 0.30 against 0.80 / 0.35), and adds nothing
# inside the verifier: as a feature it took a coefficient of 0.04 (on MSRP and STS, where no
# event is shared, it is MiniLM's cosine less a constant), and as the English calibration in
# place of MiniLM's cosine the links' curve did not move (issue-7 note, session 17).
EVENT_MIN_PASSAGES = 20
TRANSLATION_FEATURES = ("specific", "names", "numbers", "length_ratio")


@dataclass(frozen=True)
class PassageSignals:
    """Everything the verifier reads of a set of passages, row i = passage i.

    Build it once per event (or per call of :func:`compare.same_fact`) with
    :func:`passage_signals`; pairs are then scored by index.
    """

    languages: np.ndarray  # (n,) object: ISO 639-1 codes, "" unknown
    use: np.ndarray  # (n, 512) float32, L2-normalised
    minilm: np.ndarray | None  # (n, 384) float32 for English or unknown rows (zeros elsewhere)
    words: sparse.csr_matrix  # (n, V) L2-normalised TF-IDF rows
    chars: sparse.csr_matrix  # (n, C) L2-normalised TF-IDF rows
    names: sparse.csr_matrix  # (n, N) name keys, weighted by their IDF among these passages
    numbers: sparse.csr_matrix  # (n, M) binary
    figures: sparse.csr_matrix  # (n, F) binary
    dates: sparse.csr_matrix  # (n, D) binary
    negated: np.ndarray  # (n,) bool
    n_words: np.ndarray  # (n,) int
    details: tuple[PassageDetails, ...]
    # (n, 512) each vector less its language's mean over the others (specific_vectors), and
    # which passages have one
    specific: np.ndarray
    has_specific: np.ndarray
    wide: np.ndarray | None = None  # (n, 384) e5, L2-normalised, when needs_wide(languages)


def needs_wide(languages: Sequence[str] | np.ndarray) -> bool:
    """Whether pairs of these passages read the wide encoder (then needed for every passage):
    a passage in a known language the multilingual encoder does not cover, or passages in two
    known languages (a translated pair reads both encoders, :func:`multilingual_similarity`)."""
    languages = np.asarray(languages, dtype=object)
    return bool(uncovered(languages).any()) or len(set(languages[languages != ""])) > 1


def uncovered(languages: Sequence[str] | np.ndarray) -> np.ndarray:
    """Per passage, whether its language is known and outside :data:`USE_LANGUAGES`."""
    languages = np.asarray(languages, dtype=object)
    return (languages != "") & ~np.isin(languages, list(USE_LANGUAGES))


def wide_on_use_scale(cosine: np.ndarray, cross: np.ndarray | bool) -> np.ndarray:
    """Wide-encoder cosines on the multilingual encoder's scale (:data:`WIDE_TO_USE`), for
    pairs in two languages (``cross``) or one."""
    (a_same, b_same), (a_cross, b_cross) = WIDE_TO_USE["same"], WIDE_TO_USE["cross"]
    return np.clip(np.where(cross, a_cross * cosine + b_cross, a_same * cosine + b_same),
                   -1.0, 1.0)


def both_on_use_scale(use: np.ndarray, wide: np.ndarray) -> np.ndarray:
    """A translated pair in two covered languages read by both encoders: the mean of the
    multilingual encoder's cosine and the wide encoder's (on that scale), given the
    multilingual encoder's mean and spread for translations (``WIDE_TO_USE["both"]``)."""
    a, b = WIDE_TO_USE["both"]
    return np.clip(a * (use + wide_on_use_scale(wide, True)) / 2 + b, -1.0, 1.0)


def _translated(li: np.ndarray, lj: np.ndarray) -> np.ndarray:
    """Pairs in two known, different languages (an unknown language is read as the other's)."""
    return (li != lj) & (li != "") & (lj != "")


def _reads_wide(li: np.ndarray, lj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pair, (a passage in a language outside the multilingual encoder, a translation):
    the pairs whose similarity reads the wide encoder when it is there."""
    return uncovered(li) | uncovered(lj), _translated(li, lj)


def multilingual_similarity(signals: PassageSignals, i: np.ndarray, j: np.ndarray
                            ) -> np.ndarray:
    """The multilingual encoder's cosine of each pair ``(i[k], j[k])``; with wide vectors, for a
    pair with a passage in a language it does not cover, the wide encoder's cosine on its scale,
    and for a translated pair in two covered languages, both read (:func:`both_on_use_scale`)."""
    sim = np.einsum("ij,ij->i", signals.use[i], signals.use[j]).astype(np.float64)
    if signals.wide is not None:
        outside, translated = _reads_wide(signals.languages[i], signals.languages[j])
        read = np.flatnonzero(outside | translated)
        if len(read):
            a, b = i[read], j[read]
            wide = np.einsum("ij,ij->i", signals.wide[a], signals.wide[b]).astype(np.float64)
            sim[read] = np.where(outside[read], wide_on_use_scale(wide, translated[read]),
                                 both_on_use_scale(sim[read], wide))
    return sim


def multilingual_scores(signals: PassageSignals, rows: np.ndarray) -> np.ndarray:
    """:func:`multilingual_similarity` of ``rows`` against every passage: ``(len(rows), n)``."""
    scores = signals.use[rows] @ signals.use.T
    if signals.wide is not None:
        langs = signals.languages
        off = uncovered(langs)
        outside = off[rows][:, None] | off[None, :]
        translated = _translated(langs[rows][:, None], langs[None, :])
        if (outside | translated).any():
            wide = signals.wide[rows] @ signals.wide.T
            scores = np.where(outside, wide_on_use_scale(wide, translated),
                              np.where(translated, both_on_use_scale(scores, wide), scores))
    return scores


def specific_vectors(use: np.ndarray, languages: Sequence[str] | np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Each passage's multilingual vector less the mean of the other passages of its language
    (leave-one-out), L2-normalised, and which passages have one: a known language with at least
    :data:`EVENT_MIN_PASSAGES` distinct passages (other rows are zeros).

    A text given several times counts once: one sentence scored against many others
    (``same_fact([q] * 25, candidates)``) would otherwise be its own language's mean, and a
    repeated boilerplate line would weigh on the event's."""
    vectors = np.asarray(use, dtype=np.float64)
    langs = np.asarray(languages, dtype=object)
    out = np.zeros_like(vectors)
    has = np.zeros(len(langs), dtype=bool)
    for language in sorted({str(x) for x in langs} - {""}):
        rows = np.flatnonzero(langs == language)
        distinct, which = np.unique(vectors[rows], axis=0, return_inverse=True)
        if len(distinct) < EVENT_MIN_PASSAGES:
            continue
        others = (distinct.sum(axis=0) - distinct) / (len(distinct) - 1)
        out[rows] = distinct[which.ravel()] - others[which.ravel()]
        has[rows] = True
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.maximum(norms, 1e-12)).astype(np.float32), has


def translated_in_event(signals: PassageSignals, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The pairs the translation head reads: two known, different languages the multilingual
    encoder covers, each passage with a specific vector."""
    langs = signals.languages
    covered = ~uncovered(langs)
    return (_translated(langs[i], langs[j]) & covered[i] & covered[j]
            & signals.has_specific[i] & signals.has_specific[j])


def translation_features(signals: PassageSignals, i: np.ndarray, j: np.ndarray,
                         features: np.ndarray) -> np.ndarray:
    """The ``(m, len(TRANSLATION_FEATURES))`` head features of the pairs ``(i[k], j[k])``, given
    their :func:`pair_features`. The specific cosine of a translated pair is divided by
    :data:`CROSS_LANGUAGE_SHRINK` (the head is fitted on pairs in one language)."""
    cosine = np.einsum("ij,ij->i", signals.specific[i], signals.specific[j]).astype(np.float64)
    cosine = np.where(_translated(signals.languages[i], signals.languages[j]),
                      cosine / CROSS_LANGUAGE_SHRINK, cosine)
    columns = {"specific": cosine, **{name: features[:, FEATURES.index(name)]
                                      for name in TRANSLATION_FEATURES[1:]}}
    return np.column_stack([columns[name] for name in TRANSLATION_FEATURES])


def reads_minilm(languages: Sequence[str] | np.ndarray) -> np.ndarray:
    """Which passages get a MiniLM embedding: English ones and those of unknown language."""
    return np.isin(np.asarray(languages, dtype=object), ("en", ""))


def content_words(text: str, language: str) -> list[str]:
    """The words of ``text`` that carry content: not stop words of its language, not single
    letters."""
    skip = stopwords(language)
    return [w for w in words(text) if w not in skip and len(w) > 1]


def _tfidf_rows(docs: Sequence[Any], **options: Any) -> sparse.csr_matrix:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **options)
    try:
        return vectorizer.fit_transform(docs).tocsr()
    except ValueError:  # no tokens at all
        return sparse.csr_matrix((len(docs), 1), dtype=np.float32)


_ascii = lru_cache(maxsize=65536)(ascii_fold)


def passage_signals(texts: Sequence[str], languages: Sequence[str], use: np.ndarray,
                    minilm: np.ndarray | None = None, wide: np.ndarray | None = None
                    ) -> PassageSignals:
    """The verifier's view of ``texts``: lexical matrices fitted on these texts together, the
    passages' details, and the given embeddings.

    Args:
        texts: the passages.
        languages: ISO 639-1 code of each passage ("" unknown: treated as its own language).
        use: ``(n, 512)`` multilingual embeddings, L2-normalised.
        minilm: ``(n, 384)`` MiniLM embeddings (only English rows are read), or None.
        wide: ``(n, 384)`` e5 embeddings of every passage (read for pairs with a passage
            outside ``USE_LANGUAGES`` and for translated pairs), or None.
    """
    langs = np.array([str(x or "") for x in languages], dtype=object)
    specific, has_specific = specific_vectors(use, langs)
    details = tuple(passage_details(t, str(lang)) for t, lang in zip(texts, langs, strict=True))
    words = _tfidf_rows([content_words(t, str(lang)) for t, lang in zip(texts, langs,
                                                                            strict=True)],
                        analyzer=lambda tokens: tokens)
    chars = _tfidf_rows([_ascii(t) for t in texts], analyzer="char_wb", ngram_range=(3, 5))
    return PassageSignals(
        languages=langs, use=np.asarray(use, dtype=np.float32),
        minilm=None if minilm is None else np.asarray(minilm, dtype=np.float32),
        words=words, chars=chars,
        names=_idf_weighted(indicator_matrix([d.names for d in details])),
        numbers=indicator_matrix([d.numbers for d in details]),
        figures=indicator_matrix([d.figures for d in details]),
        dates=indicator_matrix([d.dates for d in details]),
        negated=np.array([d.negated for d in details], dtype=bool),
        n_words=np.array([len(d.words) for d in details], dtype=np.int64),
        details=details,
        wide=None if wide is None else np.asarray(wide, dtype=np.float32),
        specific=specific, has_specific=has_specific,
    )


def _rowdot(matrix: sparse.csr_matrix, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    return np.asarray(matrix[i].multiply(matrix[j]).sum(axis=1), dtype=np.float64).ravel()


def _counts(matrix: sparse.csr_matrix) -> np.ndarray:
    return np.diff(matrix.indptr).astype(np.float64)


def _share(matrix: sparse.csr_matrix, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Shared members over the smaller set's size (0 when either set is empty)."""
    counts = _counts(matrix)
    smaller = np.minimum(counts[i], counts[j])
    return np.where(smaller > 0, _rowdot(matrix, i, j) / np.maximum(smaller, 1), 0.0)


def _idf_weighted(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Binary membership rows weighted by each member's inverse document frequency among the
    passages compared (a rare name says more than the name every passage carries)."""
    n = matrix.shape[0]
    df = np.asarray((matrix > 0).sum(axis=0)).ravel()
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    return sparse.csr_matrix(matrix.multiply(idf[None, :]))


def _weighted_share(matrix: sparse.csr_matrix, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """IDF mass of the shared members over the smaller side's IDF mass (0 when either is
    empty)."""
    mass = np.asarray(matrix.sum(axis=1)).ravel()
    shared = np.asarray(matrix[i].minimum(matrix[j]).sum(axis=1)).ravel()
    smaller = np.minimum(mass[i], mass[j])
    return np.where(smaller > 0, shared / np.maximum(smaller, 1e-12), 0.0)


def _conflict(matrix: sparse.csr_matrix, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    counts = _counts(matrix)
    return ((counts[i] > 0) & (counts[j] > 0) & (_rowdot(matrix, i, j) == 0)).astype(float)


def pair_features(signals: PassageSignals, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The ``(m, len(FEATURES))`` feature matrix of the pairs ``(i[k], j[k])``."""
    i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    langs = signals.languages
    # An unknown language ("") is taken to be the other passage's: only a pair of two known,
    # different languages is a translation, and MiniLM is read unless a side is known not to
    # be English.
    li, lj = langs[i], langs[j]
    cross = _translated(li, lj).astype(float)
    use = multilingual_similarity(signals, i, j)
    english = reads_minilm(li) & reads_minilm(lj)
    minilm = np.zeros(len(i))
    if signals.minilm is not None and english.any():
        e = np.flatnonzero(english)
        minilm[e] = np.einsum("ij,ij->i", signals.minilm[i[e]], signals.minilm[j[e]])
    n_i, n_j = signals.n_words[i], signals.n_words[j]
    columns = {
        "use": use, "use_cross": use * cross, "minilm": minilm,
        "words": _rowdot(signals.words, i, j) * (1 - cross),
        "chars": _rowdot(signals.chars, i, j),
        "names": _weighted_share(signals.names, i, j),
        "numbers": _share(signals.numbers, i, j),
        "figure_conflict": _conflict(signals.figures, i, j),
        "date_conflict": _conflict(signals.dates, i, j),
        "negation_conflict": (signals.negated[i] != signals.negated[j]).astype(float),
        "length_ratio": np.minimum(n_i, n_j) / np.maximum(np.maximum(n_i, n_j), 1),
        "cross": cross,
    }
    return np.column_stack([columns[name] for name in FEATURES])


def english_pairs(signals: PassageSignals, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The pairs the verifier reads as English (MiniLM's calibrated cosine may decide them):
    both passages English, or one English and the other of unknown language. Two passages of
    unknown language are not: a short text in another script ("谈判" / "制裁", talks /
    sanctions) gets MiniLM cosines that mean nothing (0.90 there)."""
    li, lj = signals.languages[i], signals.languages[j]
    return ((li == "en") & np.isin(lj, ("en", ""))) | ((lj == "en") & (li == ""))


def other_language_pairs(signals: PassageSignals, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The pairs of two passages in one known language other than English (one of unknown
    language is read as the other's, as in :func:`pair_features`): the pooled model reads them
    without MiniLM, and its probability is recalibrated on such pairs
    (``Verifier.other_calibration``)."""
    li, lj = signals.languages[i], signals.languages[j]
    known = np.where(li == "", lj, li)
    return ((li == lj) | (li == "") | (lj == "")) & (known != "") & (known != "en")


def pair_probability(signals: PassageSignals, i: np.ndarray, j: np.ndarray,
                     verifier: Verifier) -> np.ndarray:
    """The verifier's probability of the pairs ``(i[k], j[k])``."""
    i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    features = pair_features(signals, i, j)
    probability = verifier.probability(features, english_pairs(signals, i, j),
                                       other_language_pairs(signals, i, j))
    if verifier.translation_head is not None:
        k = np.flatnonzero(translated_in_event(signals, i, j))
        if len(k):
            head = verifier.translation_probability(
                translation_features(signals, i[k], j[k], features[k]))
            probability[k] = np.minimum(probability[k], head)
    return probability


# Pairs scored per batch: the features of a pair read two 512-d rows, so 20,000 pairs hold
# about 80 MB at a time instead of gigabytes for a 10,000-passage event's 275,000 candidates.
VERIFY_BATCH = 20_000


def verify_pairs(signals: PassageSignals, pairs: np.ndarray, verifier: Verifier) -> np.ndarray:
    """The verifier's probability for each pair, in bounded batches."""
    out = np.zeros(len(pairs))
    for start in range(0, len(pairs), VERIFY_BATCH):
        chunk = pairs[start : start + VERIFY_BATCH]
        out[start : start + len(chunk)] = pair_probability(signals, chunk[:, 0], chunk[:, 1],
                                                           verifier)
    return out


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True)
class Verifier:
    """The fitted model: ``probability(features)`` and its thresholds.

    The probability is the pooled logistic regression's; for a pair of two English passages it
    is the larger of that and MiniLM's cosine calibrated alone (``minilm_calibration``, fitted
    on the same English pairs): the pooled model weighs the multilingual encoder above the
    stronger English one, and on English news it ranked links below MiniLM's plain cosine (the
    issue-7 note). Taking the larger of the two raised, at the 0.7 threshold, MSRP test F1 from
    0.804 to 0.819 and NewsWCL50 link precision / sentence recall from 0.746 / 0.270 to 0.791 /
    0.321 on the dev events and from 0.926 / 0.119 to 0.940 / 0.183 on the held-out ones; the
    MSRP Brier score went from 0.186 to 0.200 (the larger of two calibrated probabilities leans
    high).

    A pair whose figures or dates differ is read with those two conflicts set aside
    (:data:`DETAILS_ASIDE`): the same claim told with another count is the same fact, marked
    with its relation. Measured against holding them against the pair: MSRP test F1 0.819 either
    way (Brier 0.201 against 0.200); STS-B dev EN-EN 0.864 against 0.870, EN-RU 0.748 against
    0.756, EN-DE 0.766 against 0.771 (STS gold lowers a pair for another number); NewsWCL50
    held-out links unchanged; a Spanish and an English casualty count of one earthquake, 0.67
    before, 0.87 now.

    For a pair of two passages in one language other than English the pooled model's log-odds
    are rescaled (``other_calibration``, fitted on such pairs by
    ``compare.training.fit_other_calibration``, where the measurements are).
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float  # "reports it": the same fact (see the artifact's provenance)
    closest_floor: float  # below this, a nearest passage is not worth showing
    meta: dict[str, Any]
    minilm_calibration: tuple[float, float] | None = None  # (coef, intercept) on the cosine
    # (coef, intercept) on the pooled model's log-odds, for pairs in one language other than
    # English (other_language_pairs)
    other_calibration: tuple[float, float] | None = None
    # (coef over TRANSLATION_FEATURES, intercept): a translated pair's cap
    translation_head: tuple[np.ndarray, float] | None = None

    def translation_probability(self, features: np.ndarray) -> np.ndarray:
        """The translation head's probability for rows of :func:`translation_features` (1, no
        cap, for an artifact without a head)."""
        if self.translation_head is None:
            return np.ones(len(features))
        coef, intercept = self.translation_head
        return _logistic(np.asarray(features, dtype=np.float64) @ coef + intercept)

    def log_odds(self, features: np.ndarray) -> np.ndarray:
        """The pooled model's log-odds for each row of ``features``, a differing figure or date
        set aside (:data:`DETAILS_ASIDE`)."""
        features = np.asarray(features, dtype=np.float64)
        z = ((features - self.mean) / self.scale) @ self.coef
        differ = np.flatnonzero(features[:, _ASIDE].any(axis=1))
        if len(differ):
            aside = features[differ].copy()
            aside[:, _ASIDE] = 0.0
            z[differ] = np.maximum(z[differ], ((aside - self.mean) / self.scale) @ self.coef)
        return z + self.intercept

    def probability(self, features: np.ndarray, english: np.ndarray | None = None,
                    other: np.ndarray | None = None) -> np.ndarray:
        """Calibrated probability of the same fact for each row of ``features``.

        Args:
            features: ``(m, len(FEATURES))`` from :func:`pair_features`.
            english: which rows are English pairs (:func:`english_pairs`); None reads every
                row with a MiniLM cosine as one (the labelled training pairs).
            other: which rows are pairs in one language other than English
                (:func:`other_language_pairs`); None: none.
        """
        features = np.asarray(features, dtype=np.float64)
        z = self.log_odds(features)
        if other is not None and self.other_calibration is not None:
            slope, offset = self.other_calibration
            z = np.where(np.asarray(other, dtype=bool), slope * z + offset, z)
        pooled = _logistic(z)
        if self.minilm_calibration is None:
            return pooled
        coef, intercept = self.minilm_calibration
        minilm = features[:, _MINILM]
        alone = _logistic(coef * minilm + intercept)
        rule = minilm > 0 if english is None else (minilm > 0) & np.asarray(english, dtype=bool)
        return np.where(rule, np.maximum(pooled, alone), pooled)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verifier:
        if tuple(data["features"]) != FEATURES:
            raise CompareError(
                f"the verifier artifact was trained on features {data['features']}, this code "
                f"computes {list(FEATURES)}: regenerate it with `python -m compare.training`")
        calibration = data.get("minilm_calibration")
        other = data.get("other_calibration")
        head = data.get("translation_head")
        if head is not None and tuple(head["features"]) != TRANSLATION_FEATURES:
            raise CompareError(
                f"the verifier artifact's translation head reads {head['features']}, this code "
                f"computes {list(TRANSLATION_FEATURES)}: regenerate it with "
                "`python -m compare.training`")
        return cls(mean=np.array(data["mean"]), scale=np.array(data["scale"]),
                   coef=np.array(data["coef"]), intercept=float(data["intercept"]),
                   threshold=float(data["threshold"]),
                   closest_floor=float(data["closest_floor"]),
                   meta={k: v for k, v in data.items() if k not in (
                       "mean", "scale", "coef", "intercept", "minilm_calibration",
                       "other_calibration", "translation_head")},
                   minilm_calibration=None if calibration is None else (
                       float(calibration["coef"]), float(calibration["intercept"])),
                   other_calibration=None if other is None else (
                       float(other["coef"]), float(other["intercept"])),
                   translation_head=None if head is None else (
                       np.array(head["coef"], dtype=np.float64), float(head["intercept"])))


@lru_cache(maxsize=1)
def load_verifier() -> Verifier:
    """The shipped verifier (``compare/data/verifier.json``)."""
    resource = resources.files("compare") / "data" / MODEL_FILE
    try:
        text = resource.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CompareError(
            "the same-fact verifier is missing (compare/data/verifier.json): regenerate it "
            "with `python -m compare.training`") from exc
    return Verifier.from_dict({**json.loads(text),
                               "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()})


def same_fact(texts_a: str | Sequence[str], texts_b: str | Sequence[str], *,
              languages_a: str | Sequence[str] | None = None,
              languages_b: str | Sequence[str] | None = None) -> np.ndarray:
    """The calibrated probability that ``texts_a[i]`` and ``texts_b[i]`` state the same fact,
    for any pair of languages.

    Args:
        texts_a, texts_b: two equally long sequences of passages (sentences). One text given
            as a plain string is scored against every text of the other side
            (``same_fact(query, candidates)``).
        languages_a, languages_b: ISO 639-1 codes when known (a sequence, or one code for
            every text of its side); detected otherwise, the texts of the call read together
            (:func:`corpus.language.detect_languages`: a short Russian sentence among Russian
            ones is not taken for Bulgarian); a text too short to guess is read as the other
            side's language.

    Returns:
        ``(n,)`` float64 probabilities, one per pair. The verifier's threshold for "the same
        fact" is ``load_verifier().threshold``. A text without a letter or a digit states no
        fact: its pairs get 0.

    Raises:
        CompareError: the two sides differ in length, or an item is not a string (a missing
            value of a table column, for one).
    """
    from compare.embed import embed_texts, make_embedder
    from corpus.language import detect_languages

    side_a, side_b = _texts("texts_a", texts_a), _texts("texts_b", texts_b)
    if isinstance(texts_a, str) and not isinstance(texts_b, str):
        side_a *= len(side_b)
    if isinstance(texts_b, str) and not isinstance(texts_a, str):
        side_b *= len(side_a)
    if len(side_a) != len(side_b):
        raise CompareError(f"same_fact needs pairs: got {len(side_a)} and {len(side_b)} texts")
    n = len(side_a)
    if n == 0:
        return np.zeros(0)
    texts = [*side_a, *side_b]
    given: list[str | None] = [*_languages("languages_a", languages_a, n),
                               *_languages("languages_b", languages_b, n)]
    unknown = [k for k, lang in enumerate(given) if lang is None]
    detected = dict(zip(unknown, detect_languages([texts[k] for k in unknown]), strict=True))
    languages = [detected[k] if lang is None else lang for k, lang in enumerate(given)]
    # embed_texts embeds each distinct text once: one sentence scored against many
    # (``same_fact([q] * 25, candidates)``) is encoded once per encoder.
    use = embed_texts(texts, make_embedder(MULTILINGUAL_ENCODER))
    minilm = None
    english = np.flatnonzero(reads_minilm(languages))
    if len(english):
        main = make_embedder()
        minilm = np.zeros((len(texts), main.dim), dtype=np.float32)
        minilm[english] = embed_texts([texts[k] for k in english], main)
    wide = None
    if needs_wide(languages):
        # Only the pairs that read it (a translation, or a language the multilingual encoder
        # does not cover) need e5, the slowest encoder: the other texts keep zero rows, which
        # ``multilingual_similarity`` never reads.
        langs = np.asarray(languages, dtype=object)
        outside, translated = _reads_wide(langs[:n], langs[n:])
        read = np.flatnonzero(outside | translated)
        rows = np.union1d(read, n + read)
        if len(rows):
            encoder = make_embedder(WIDE_ENCODER)
            wide = np.zeros((len(texts), encoder.dim), dtype=np.float32)
            wide[rows] = embed_texts([texts[k] for k in rows], encoder)
    signals = passage_signals(texts, languages, use, minilm, wide)
    pairs = np.column_stack([np.arange(n), n + np.arange(n)])
    probability = verify_pairs(signals, pairs, load_verifier())
    empty = np.array([not _CONTENT.search(t) for t in texts])
    probability[empty[:n] | empty[n:]] = 0.0
    return probability


# A text states something only if it holds a letter or a digit: two blank texts (or two lines
# of punctuation) are no fact told twice, though their vectors meet (0.84 before this rule).
_CONTENT = re.compile(r"[^\W_]")


def _texts(name: str, texts: str | Sequence[str]) -> list[str]:
    """``texts`` as a list (a plain string is one text), each checked to be a string."""
    out = [texts] if isinstance(texts, str) else list(texts)
    for k, text in enumerate(out):
        if not isinstance(text, str):
            raise CompareError(f"same_fact compares texts: {name}[{k}] is "
                               f"{type(text).__name__} ({text!r:.40}), not a string")
    return out


def _languages(name: str, languages: str | Sequence[str] | None, n: int) -> list[str | None]:
    """One language (or None: detect it) per text of a side."""
    if languages is None or isinstance(languages, str):
        one: list[str | None] = [languages]
        return one * n
    out: list[str | None] = [str(lang) if lang is not None else None for lang in languages]
    if len(out) != n:
        raise CompareError(f"{name} gives {len(out)} languages for {n} texts")
    return out
