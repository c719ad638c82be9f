"""Fact rows from verified links: one passage per outlet, every pair verified or marked."""
from __future__ import annotations

import numpy as np
import pytest

from compare.errors import SettingsError
from compare.facts.rows import FactBuilder

THRESHOLD = 0.7


def _build(pairs, probs, outlets, extra=None, **params):
    known = {tuple(p): q for p, q in zip(pairs, probs, strict=True)}
    extra = extra or {}

    def score(i, j):
        return np.array([extra.get((int(a), int(b)), 0.0) for a, b in zip(i, j, strict=True)])

    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    model = FactBuilder(**params).fit(arr, np.array(probs, dtype=float), outlets, THRESHOLD,
                                      score)
    assert set(known) <= set(model.known_)
    return model


def _rows(model):
    return {tuple(np.flatnonzero(model.labels_ == r)) for r in range(model.n_rows_)}


def test_verified_pairs_make_one_row_with_one_passage_per_outlet():
    # 0 (A), 1 (B), 2 (C) all verified with each other; 3 (A) is a weaker echo of 1.
    pairs = [(0, 1), (0, 2), (1, 2), (1, 3)]
    model = _build(pairs, [0.9, 0.85, 0.8, 0.75], ["A", "B", "C", "A"])
    row = model.labels_[0]
    assert model.labels_[1] == model.labels_[2] == row
    cells = np.flatnonzero((model.labels_ == row) & model.cells_)
    outlets = [["A", "B", "C", "A"][i] for i in cells]
    assert sorted(outlets) == ["A", "B", "C"]  # never two cells of one outlet
    assert model.labels_[3] == row and not model.cells_[3]  # A says it again: support


def test_rows_merge_only_when_every_pair_is_verified():
    # 0-1 verified, 2-3 verified, 1-2 verified, but 0-2 is not (scored on demand: 0.2).
    pairs = [(0, 1), (2, 3), (1, 2)]
    model = _build(pairs, [0.95, 0.9, 0.8], ["A", "B", "C", "D"], extra={(0, 2): 0.2},
                   weaker_cells=False)
    assert _rows(model) == {(0, 1), (2, 3)}


def test_weaker_cell_needs_the_row_on_average():
    # 0-1 is a verified row; 2 (C) is verified with 1 (0.8) but not with 0 (0.3): mean 0.55.
    pairs = [(0, 1), (1, 2)]
    low = _build(pairs, [0.95, 0.8], ["A", "B", "C"], extra={(0, 2): 0.3})
    assert (2,) in _rows(low)
    # With 0-2 at 0.65 the mean (0.725) reaches the threshold: a weaker cell of the row.
    high = _build(pairs, [0.95, 0.8], ["A", "B", "C"], extra={(0, 2): 0.65})
    assert (0, 1, 2) in _rows(high)


def test_unlinked_passages_are_rows_of_their_own_and_labels_are_deterministic():
    pairs = [(1, 3), (0, 2)]
    outlets = ["A", "A", "B", "B", "C"]
    first = _build(pairs, [0.9, 0.4], outlets)
    again = _build(list(reversed(pairs)), [0.4, 0.9], outlets)
    assert _rows(first) == {(0,), (1, 3), (2,), (4,)}
    np.testing.assert_array_equal(first.labels_, again.labels_)
    assert first.labels_[0] == 0  # numbered by first appearance


def test_threshold_must_be_a_probability():
    with pytest.raises(SettingsError):
        FactBuilder().fit(np.zeros((0, 2), dtype=np.int64), np.zeros(0), [], 1.5,
                          lambda i, j: np.zeros(len(i)))
