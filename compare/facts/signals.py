"""What the verifier reads of a set of passages (:class:`PassageSignals`) and the features of
a pair of them (:func:`pair_features`)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import sparse

from compare.embed.scales import (
    both_on_use_scale,
    reads_minilm,
    reads_wide,
    translated_pairs,
    uncovered,
    wide_on_use_scale,
)
from compare.text.details import PassageDetails, indicator_matrix, passage_details, stopwords
from compare.text.tfidf import fit_tfidf
from corpus.text import ascii_fold, words

# What the verifier reads of a pair (pair_features). Each encoder's plain cosine, NaN where the
# encoder does not read the pair (MiniLM: a side not English; the multilingual encoder: a side
# in a language it was not trained on; e5: an event in one covered language), so the model
# learns each encoder's own scale and no cosine is mapped onto another's.
FEATURES = ("use", "minilm", "wide", "use_specific", "wide_specific", "words", "chars",
            "words_contained", "chars_contained", "names", "numbers", "figure_conflict", "date_conflict", "negation_conflict", "length_ratio",
            "shorter_words", "longer_words", "cross")

# Inside an event every passage shares the event's subject, so any two claims about it have a
# high cosine; the *specific* cosine reads each vector less its language's mean over the event
# (specific_vectors), what a pair shares beyond the event's common content (above all across
# languages, where no word is shared). A language needs this many distinct passages: fewer say
# more about themselves than the event.
EVENT_MIN_PASSAGES = 20


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
    wide: np.ndarray | None = None  # (n, 384) e5, L2-normalised (None: not embedded, --lite)
    wide_specific: np.ndarray | None = None  # (n, 384) the same for e5, when ``wide`` is there


def multilingual_similarity(signals: PassageSignals, i: np.ndarray, j: np.ndarray
                            ) -> np.ndarray:
    """The multilingual encoder's cosine of each pair ``(i[k], j[k])``; with wide vectors, for a
    pair with a passage in a language it does not cover, the wide encoder's cosine on its scale,
    and for a translated pair in two covered languages, both read (:func:`both_on_use_scale`)."""
    sim = np.einsum("ij,ij->i", signals.use[i], signals.use[j]).astype(np.float64)
    if signals.wide is not None:
        outside, translated = reads_wide(signals.languages[i], signals.languages[j])
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
        translated = translated_pairs(langs[rows][:, None], langs[None, :])
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


def content_words(text: str, language: str) -> list[str]:
    """The words of ``text`` that carry content: not stop words of its language, not single
    letters."""
    skip = stopwords(language)
    return [w for w in words(text) if w not in skip and len(w) > 1]


def _tfidf_rows(docs: Sequence[Any], **options: Any) -> sparse.csr_matrix:
    fitted = fit_tfidf(docs, **options)
    return fitted[1] if fitted is not None else sparse.csr_matrix((len(docs), 1),
                                                                  dtype=np.float32)


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
        wide_specific=None if wide is None else specific_vectors(wide, langs)[0],
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


def _cosine(vectors: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", vectors[i], vectors[j]).astype(np.float64)


def pair_features(signals: PassageSignals, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The ``(m, len(FEATURES))`` feature matrix of the pairs ``(i[k], j[k])``; NaN where a
    signal does not read the pair (:data:`FEATURES`)."""
    i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    langs = signals.languages
    # An unknown language ("") is taken to be the other passage's: only a pair of two known,
    # different languages is a translation, and MiniLM is read unless a side is known not to
    # be English.
    li, lj = langs[i], langs[j]
    cross = translated_pairs(li, lj).astype(float)
    off = uncovered(langs)
    nan = np.full(len(i), np.nan)
    use = np.where(off[i] | off[j], np.nan, _cosine(signals.use, i, j))
    minilm = nan.copy()
    english = reads_minilm(li) & reads_minilm(lj)
    if signals.minilm is not None and english.any():
        e = np.flatnonzero(english)
        minilm[e] = _cosine(signals.minilm, i[e], j[e])
    specific = signals.has_specific[i] & signals.has_specific[j]
    use_specific = np.where(specific & ~(off[i] | off[j]),
                            _cosine(signals.specific, i, j), np.nan)
    wide, wide_specific = nan, nan
    if signals.wide is not None and signals.wide_specific is not None:
        wide = _cosine(signals.wide, i, j)
        wide_specific = np.where(specific, _cosine(signals.wide_specific, i, j), np.nan)
    n_i, n_j = signals.n_words[i], signals.n_words[j]
    columns = {
        "use": use, "minilm": minilm, "wide": wide, "use_specific": use_specific,
        "wide_specific": wide_specific,
        "words": _rowdot(signals.words, i, j) * (1 - cross),
        "chars": _rowdot(signals.chars, i, j),
        # how much of the shorter passage the longer one holds: a claim stated inside a longer
        # sentence shares little of the longer one's wording (a low cosine) but most of its own
        "words_contained": _weighted_share(signals.words, i, j) * (1 - cross),
        "chars_contained": _weighted_share(signals.chars, i, j),
        "names": _weighted_share(signals.names, i, j),
        "numbers": _share(signals.numbers, i, j),
        "figure_conflict": _conflict(signals.figures, i, j),
        "date_conflict": _conflict(signals.dates, i, j),
        "negation_conflict": (signals.negated[i] != signals.negated[j]).astype(float),
        "length_ratio": np.minimum(n_i, n_j) / np.maximum(np.maximum(n_i, n_j), 1),
        "shorter_words": np.log1p(np.minimum(n_i, n_j)).astype(np.float64),
        "longer_words": np.log1p(np.maximum(n_i, n_j)).astype(np.float64),
        "cross": cross,
    }
    return np.column_stack([columns[name] for name in FEATURES])
