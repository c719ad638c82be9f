"""Fast tests of compare.align on small synthetic embeddings (no model, no data files)."""
from __future__ import annotations

import numpy as np
import pytest

from compare.align import PassageAligner, all_pairs_align
from compare.errors import SettingsError


def _unit_rows(rng: np.random.Generator, n: int, d: int = 16) -> np.ndarray:
    matrix = rng.normal(size=(n, d)).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def _random_event(seed: int, n: int = 120, n_outlets: int = 4) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    groups = [f"outlet{int(g)}" for g in rng.integers(0, n_outlets, size=n)]
    return _unit_rows(rng, n), groups


def _dense_topk_pairs(
    x: np.ndarray, groups: list[str], threshold: float, k: int, mutual: bool
) -> set[tuple[int, int]]:
    """Reference: per row, the k best other-outlet columns above threshold (ties: lower index)."""
    sims = x @ x.T
    g = np.array(groups)
    neigh: list[set[int]] = []
    for i in range(len(x)):
        cand = [j for j in range(len(x)) if g[j] != g[i] and sims[i, j] >= threshold]
        cand.sort(key=lambda j: (-sims[i, j], j))
        neigh.append(set(cand[:k]))
    pairs = set()
    for i, js in enumerate(neigh):
        for j in js:
            if mutual and i not in neigh[j]:
                continue
            pairs.add((min(i, j), max(i, j)))
    return pairs


@pytest.mark.parametrize("block_size", [1, 7, 32, 4096])
def test_blockwise_equals_dense_baseline_when_top_k_is_unbounded(block_size: int) -> None:
    x, groups = _random_event(0)
    pairs, scores = all_pairs_align(x, groups, threshold=0.3)
    aligner = PassageAligner(threshold=0.3, top_k=len(x), block_size=block_size).fit(x, groups)
    assert len(pairs) > 50  # the check below is not vacuous
    np.testing.assert_array_equal(aligner.pairs_, pairs)
    np.testing.assert_allclose(aligner.scores_, scores, atol=1e-5)


@pytest.mark.parametrize(("k", "mutual", "block_size"), [(1, False, 5), (3, False, 16),
                                                         (3, True, 16), (5, True, 1000)])
def test_top_k_matches_dense_reference(k: int, mutual: bool, block_size: int) -> None:
    x, groups = _random_event(1, n=90)
    got = PassageAligner(threshold=0.1, top_k=k, block_size=block_size, mutual=mutual)
    got.fit(x, groups)
    assert {tuple(p) for p in got.pairs_.tolist()} == _dense_topk_pairs(x, groups, 0.1, k, mutual)


def test_only_cross_outlet_pairs_with_i_below_j_and_above_threshold() -> None:
    x, groups = _random_event(2)
    aligner = PassageAligner(threshold=0.2, top_k=4, block_size=13).fit(x, groups)
    assert len(aligner.pairs_) > 0
    for (i, j), score in zip(aligner.pairs_.tolist(), aligner.scores_.tolist(), strict=True):
        assert i < j
        assert groups[i] != groups[j]
        assert score >= 0.2
        assert score == pytest.approx(float(x[i] @ x[j]), abs=1e-5)


def test_identical_passages_in_one_outlet_are_never_paired() -> None:
    rng = np.random.default_rng(3)
    base = _unit_rows(rng, 1)
    x = np.repeat(base, 4, axis=0)
    aligner = PassageAligner(threshold=0.5).fit(x, ["a", "a", "a", "b"])
    assert aligner.pairs_.tolist() == [[0, 3], [1, 3], [2, 3]]


def test_ties_break_by_lower_index_whatever_the_block_size() -> None:
    # Six identical passages from other outlets: the top-2 of passage 0 must be 1 and 2.
    x = np.ones((7, 4), dtype=np.float32) / 2.0
    groups = ["a", "b", "c", "d", "e", "f", "g"]
    for block_size in (1, 2, 3, 64):
        aligner = PassageAligner(threshold=0.5, top_k=2, block_size=block_size).fit(x, groups)
        assert aligner.neighbors_[0].tolist() == [1, 2]
        assert aligner.neighbors_[6].tolist() == [0, 1]


def test_fit_is_deterministic() -> None:
    x, groups = _random_event(4, n=200)
    first = PassageAligner(threshold=0.2, top_k=3, block_size=17).fit(x, groups)
    second = PassageAligner(threshold=0.2, top_k=3, block_size=64).fit(x, groups)
    np.testing.assert_array_equal(first.pairs_, second.pairs_)
    np.testing.assert_array_equal(first.neighbors_, second.neighbors_)


def test_mutual_is_a_subset_of_union() -> None:
    x, groups = _random_event(5, n=150)
    union = PassageAligner(threshold=0.0, top_k=2).fit(x, groups)
    mutual = PassageAligner(threshold=0.0, top_k=2, mutual=True).fit(x, groups)
    union_set = {tuple(p) for p in union.pairs_.tolist()}
    mutual_set = {tuple(p) for p in mutual.pairs_.tolist()}
    assert mutual_set < union_set


def test_empty_single_outlet_and_bad_input() -> None:
    empty = PassageAligner().fit(np.zeros((0, 8), dtype=np.float32), [])
    assert empty.pairs_.shape == (0, 2)
    x, _ = _random_event(6, n=10)
    single = PassageAligner(threshold=-1.0).fit(x, ["only"] * 10)
    assert single.pairs_.shape == (0, 2)
    assert (single.neighbors_ == -1).all()
    with pytest.raises(SettingsError, match="groups has 3 outlets for 10"):
        PassageAligner().fit(x, ["a", "b", "c"])
    with pytest.raises(SettingsError, match="top_k=0"):
        PassageAligner(top_k=0).fit(x, ["a"] * 10)
