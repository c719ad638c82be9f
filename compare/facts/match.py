"""The same-fact matcher, in two stages: candidates from embeddings, then the verifier.

1. *Candidates (recall).* For every passage of an event, its ``candidates`` best passages in
   every other outlet, by a cheap score: the multilingual encoder's cosine, averaged with
   MiniLM's where both passages are English. Computed in ``block_size`` row tiles against the
   event (memory ``O(block_size * n)``, never ``n x n``), with a deliberately low ``floor``.
2. *Verification (precision).* Each candidate pair gets the verifier's calibrated probability
   (``compare.facts.verifier``). A passage's *link* to another outlet is its candidate there with the
   highest probability; links at or above the verifier's threshold are verified.

``SameFactMatcher`` follows the scikit-learn contract on the event's signals.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from compare.embed.scales import reads_minilm
from compare.errors import SettingsError
from compare.facts.signals import PassageSignals, multilingual_scores, multilingual_similarity
from compare.facts.verifier import Verifier, load_verifier, verify_pairs

DEFAULT_CANDIDATES = 3
# Cheap-score floor of a candidate, below every same-fact pair of NewsWCL50 dev and MSRP train:
# it only drops pairs that could never verify (docs/evaluation.md#fact-links--verifier).
DEFAULT_FLOOR = 0.2
DEFAULT_BLOCK_SIZE = 1024


def candidate_scores(signals: PassageSignals, rows: np.ndarray) -> np.ndarray:
    """The cheap candidate score of ``rows`` against every passage: ``(len(rows), n)``."""
    scores = multilingual_scores(signals, rows)
    if signals.minilm is not None:
        english = reads_minilm(signals.languages)
        both = english[rows][:, None] & english[None, :]
        if both.any():
            mini = signals.minilm[rows] @ signals.minilm.T
            scores = np.where(both, 0.5 * (scores + mini), scores)
    return scores.astype(np.float32)


def cheap_similarity(signals: PassageSignals, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """:func:`candidate_scores` of the pairs ``(i[k], j[k])`` only (the same values)."""
    i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    scores = multilingual_similarity(signals, i, j)
    if signals.minilm is not None:
        english = reads_minilm(signals.languages)
        both = np.flatnonzero(english[i] & english[j])
        mini = np.einsum("ij,ij->i", signals.minilm[i[both]], signals.minilm[j[both]])
        scores[both] = 0.5 * (scores[both] + mini)
    return scores.astype(np.float32)


def candidate_pairs(signals: PassageSignals, groups: Sequence[str], *,
                    candidates: int = DEFAULT_CANDIDATES, floor: float = DEFAULT_FLOOR,
                    block_size: int = DEFAULT_BLOCK_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Every passage's best ``candidates`` passages in each other group (outlet).

    Returns:
        ``(pairs, scores)``: ``(m, 2)`` int64 ``(i, j)`` with ``i`` the passage and ``j`` its
        candidate (both directions appear when each is among the other's best), sorted by
        ``(i, j)``; and the ``(m,)`` cheap scores.
    """
    codes = np.unique(np.asarray(groups, dtype=object), return_inverse=True)[1]
    n = len(codes)
    members = [np.flatnonzero(codes == g) for g in range(int(codes.max()) + 1)] if n else []
    found_i, found_j, found_s = [], [], []
    for start in range(0, n, block_size):
        rows = np.arange(start, min(n, start + block_size))
        scores = candidate_scores(signals, rows)
        for g, cols in enumerate(members):
            local = scores[:, cols]
            k = min(candidates, len(cols))
            top = np.argpartition(-local, k - 1, axis=1)[:, :k]
            top_scores = np.take_along_axis(local, top, axis=1)
            keep = (codes[rows][:, None] != g) & (top_scores >= floor)
            r, c = np.nonzero(keep)
            found_i.append(rows[r])
            found_j.append(cols[top[r, c]])
            found_s.append(top_scores[r, c])
    if not found_i:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.float32)
    pairs = np.column_stack([np.concatenate(found_i), np.concatenate(found_j)]).astype(np.int64)
    scores = np.concatenate(found_s).astype(np.float32)
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    return pairs[order], scores[order]


class SameFactMatcher:
    """Candidates and verified probabilities for one event's passages (scikit-learn style).

    Args:
        candidates: candidates kept per passage and other outlet.
        floor: minimum cheap score of a candidate.
        block_size: rows per similarity tile.
        threshold: probability from which a pair counts as the same fact; None takes the
            verifier's documented threshold.

    Attributes (after ``fit``):
        pairs_: ``(m, 2)`` int64 unordered candidate pairs ``i < j`` (each once), sorted.
        similarity_: ``(m,)`` cheap score of each pair.
        probability_: ``(m,)`` verified probability of each pair.
        threshold_: the threshold used.
    """

    def __init__(self, *, candidates: int = DEFAULT_CANDIDATES, floor: float = DEFAULT_FLOOR,
                 block_size: int = DEFAULT_BLOCK_SIZE, threshold: float | None = None) -> None:
        self.candidates = candidates
        self.floor = floor
        self.block_size = block_size
        self.threshold = threshold

    def _validate(self, verifier: Verifier) -> float:
        if self.candidates < 1:
            raise SettingsError(f"candidates={self.candidates} must be at least 1")
        if self.block_size < 1:
            raise SettingsError(f"block_size={self.block_size} must be at least 1")
        threshold = verifier.threshold if self.threshold is None else float(self.threshold)
        if not 0.0 < threshold < 1.0:
            raise SettingsError(f"threshold={threshold} is a probability: use a value in (0, 1)")
        return threshold

    def fit(self, signals: PassageSignals, groups: Sequence[str],
            verifier: Verifier | None = None) -> SameFactMatcher:
        """Find and verify the candidate pairs of one event.

        Args:
            signals: the event's passages as the verifier reads them.
            groups: the outlet of each passage.
            verifier: the fitted verifier (the shipped one when None).
        """
        verifier = verifier or load_verifier()
        self.threshold_ = self._validate(verifier)
        directed, scores = candidate_pairs(signals, groups, candidates=self.candidates,
                                           floor=self.floor, block_size=self.block_size)
        pairs = np.sort(directed, axis=1)
        order = np.lexsort((pairs[:, 1], pairs[:, 0]))
        pairs, scores = pairs[order], scores[order]
        first = np.ones(len(pairs), dtype=bool)
        first[1:] = np.any(pairs[1:] != pairs[:-1], axis=1)
        self.pairs_, self.similarity_ = pairs[first], scores[first]
        self.probability_ = verify_pairs(signals, self.pairs_, verifier)
        return self


def best_links(pairs: np.ndarray, probability: np.ndarray, groups: Sequence[str]
               ) -> np.ndarray:
    """For each passage and each other group, the index (into ``pairs``) of its candidate with
    the highest probability (ties: the lower partner index).

    Returns:
        Indices into ``pairs`` of the chosen links; a pair chosen from both sides appears once.
    """
    if len(pairs) == 0:
        return np.zeros(0, dtype=np.int64)
    codes = np.unique(np.asarray(groups, dtype=object), return_inverse=True)[1]
    # Both directions: (passage, partner, pair index).
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    idx = np.concatenate([np.arange(len(pairs)), np.arange(len(pairs))])
    prob = np.concatenate([probability, probability])
    order = np.lexsort((dst, -prob, codes[dst], src))
    src, dst, idx = src[order], dst[order], idx[order]
    head = np.ones(len(src), dtype=bool)
    head[1:] = (src[1:] != src[:-1]) | (codes[dst][1:] != codes[dst][:-1])
    return np.unique(idx[head])
