"""Fact rows built from verified links: one claim per row, at most one passage per outlet.

``FactBuilder`` turns an event's verified candidate pairs (``compare.facts.match``) into rows, in
three passes over the links, strongest first:

1. *Verified rows.* Two rows merge when their outlets do not overlap and every pair across them
   is verified (probability at or above the threshold; pairs the candidate stage did not score
   are scored on demand). This is complete linkage with a cannot-link per outlet: a row never
   holds two passages of one outlet, and every pair in it states the same fact.
2. *Weaker cells.* A passage still alone whose verified link points into a row lacking its
   outlet joins that row as a *weaker* cell when its mean probability with the row's cells
   reaches the threshold: verified with the row on average, not with every cell. The
   row's cells then say which of them are verified with every other (``status`` "same") and
   which are not ("weaker").
3. *Support.* A passage whose verified link points into a row that already has its outlet is
   kept with that row as support (the outlet says it again); it is counted, not shown.

Every other passage is a row of its own: a fact only its outlet reports.

Determinism: links are taken by probability, then by passage index; ids come from the row's
earliest passage (publication, article id, offset), so adding later articles keeps them.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from compare.errors import SettingsError
from compare.groups import find_root, number_by_first_appearance

PairScorer = Callable[[np.ndarray, np.ndarray], np.ndarray]


class FactBuilder:
    """Build fact rows from verified pairs (scikit-learn style).

    Args:
        weaker_cells: let a passage join a row through one verified link (pass 2).
        support: keep repeated statements of an outlet with the row (pass 3).

    Attributes (after ``fit``):
        labels_: ``(n,)`` row number per passage, numbered by first appearance.
        cells_: ``(n,)`` bool: the passage is its outlet's cell in its row (False: support).
        n_rows_: number of rows.
    """

    def __init__(self, *, weaker_cells: bool = True, support: bool = True) -> None:
        self.weaker_cells = weaker_cells
        self.support = support

    def fit(self, pairs: np.ndarray, probability: np.ndarray, groups: Sequence[str],
            threshold: float, score: PairScorer) -> FactBuilder:
        """Build the rows.

        Args:
            pairs: ``(m, 2)`` candidate pairs ``i < j`` of passages of different outlets.
            probability: the verified probability of each pair.
            groups: the outlet of each passage.
            threshold: probability from which a pair is the same fact.
            score: ``score(i, j) -> probability`` for pairs the candidate stage did not score.
        """
        if not 0.0 < threshold < 1.0:
            raise SettingsError(f"threshold={threshold} is a probability: use a value in (0, 1)")
        outlets = np.asarray(groups, dtype=object)
        n = len(outlets)
        known = {(int(a), int(b)): float(p) for (a, b), p in zip(pairs, probability,
                                                                   strict=True)}
        order = np.lexsort((pairs[:, 1], pairs[:, 0], -probability)) if len(pairs) else \
            np.zeros(0, dtype=np.int64)
        verified = [(int(pairs[k, 0]), int(pairs[k, 1])) for k in order
                    if probability[k] >= threshold]
        rows = _Rows(n, outlets, known, score)
        for a, b in verified:
            rows.merge_if_verified(a, b, threshold)
        if self.weaker_cells:
            for a, b in verified:
                rows.attach(a, b, threshold) or rows.attach(b, a, threshold)
        cells = np.ones(n, dtype=bool)
        if self.support:
            for a, b in verified:
                for lone, other in ((a, b), (b, a)):
                    if rows.alone(lone) and rows.has_outlet(other, outlets[lone]):
                        rows.move(lone, other)
                        cells[lone] = False
        self.labels_ = number_by_first_appearance(rows.root_of_all().tolist())
        self.cells_ = cells
        self.n_rows_ = int(self.labels_.max()) + 1 if n else 0
        self.known_ = rows.known
        return self


class _Rows:
    """Union-find over passages with each row's outlet -> cell passage."""

    def __init__(self, n: int, outlets: np.ndarray, known: dict[tuple[int, int], float],
                 score: PairScorer) -> None:
        self.parent = list(range(n))
        self.cells: dict[int, dict[str, int]] = {i: {outlets[i]: i} for i in range(n)}
        self.size = [1] * n
        self.outlets = outlets
        self.known = known
        self.score = score

    def find(self, i: int) -> int:
        return find_root(self.parent, i)

    def probability(self, a: int, b: int) -> float:
        key = (min(a, b), max(a, b))
        if key not in self.known:
            self.known[key] = float(self.score(np.array([key[0]]), np.array([key[1]]))[0])
        return self.known[key]

    def merge_if_verified(self, a: int, b: int, threshold: float) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb or set(self.cells[ra]) & set(self.cells[rb]):
            return
        if all(self.probability(x, y) >= threshold
               for x in self.cells[ra].values() for y in self.cells[rb].values()):
            self._union(ra, rb)

    def _union(self, ra: int, rb: int) -> None:
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        self.cells[ra].update(self.cells.pop(rb))

    def alone(self, i: int) -> bool:
        return self.size[self.find(i)] == 1

    def has_outlet(self, i: int, outlet: str) -> bool:
        return outlet in self.cells[self.find(i)]

    def attach(self, lone: int, other: int, threshold: float) -> bool:
        """Join ``lone`` (alone) to ``other``'s row as its outlet's cell, when the outlet has
        none there and ``lone`` is verified with the row on average (its mean probability with
        the row's cells reaches the threshold)."""
        if not self.alone(lone) or self.alone(other) or self.has_outlet(other, self.outlets[lone]):
            return False
        cells = self.cells[self.find(other)].values()
        if np.mean([self.probability(lone, c) for c in cells]) < threshold:
            return False
        self._union(self.find(other), self.find(lone))
        return True

    def move(self, lone: int, other: int) -> None:
        """Put ``lone`` in ``other``'s row as support (not a cell)."""
        root = self.find(other)
        self.cells.pop(self.find(lone), None)
        self.parent[lone] = root
        self.size[root] += 1

    def root_of_all(self) -> np.ndarray:
        return np.array([self.find(i) for i in range(len(self.parent))], dtype=np.int64)
