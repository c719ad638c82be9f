"""Candidates per other outlet from embeddings (bounded, deterministic) and best links."""
from __future__ import annotations

import numpy as np

from compare.match import best_links, candidate_pairs
from compare.verify import passage_signals


def _signals(n: int, seed: int = 0, dim: int = 16):
    rng = np.random.default_rng(seed)
    use = rng.normal(size=(n, dim)).astype(np.float32)
    use /= np.linalg.norm(use, axis=1, keepdims=True)
    return passage_signals([f"passage {i}" for i in range(n)], ["en"] * n, use)


def test_each_passage_gets_its_best_candidates_in_every_other_outlet():
    n, outlets = 60, [f"o{i % 4}" for i in range(60)]
    signals = _signals(n)
    pairs, scores = candidate_pairs(signals, outlets, candidates=2, floor=-1.0)
    sims = signals.use @ signals.use.T
    for i in range(n):
        for o in {"o0", "o1", "o2", "o3"} - {outlets[i]}:
            cols = [j for j in range(n) if outlets[j] == o]
            best = sorted(cols, key=lambda j: -sims[i, j])[:2]
            got = sorted(pairs[(pairs[:, 0] == i) & np.isin(pairs[:, 1], cols), 1].tolist())
            assert got == sorted(best)
    assert not any(outlets[a] == outlets[b] for a, b in pairs)
    np.testing.assert_allclose(scores, sims[pairs[:, 0], pairs[:, 1]], rtol=1e-5)


def test_tiles_do_not_change_the_candidates_and_the_floor_drops_far_pairs():
    outlets = [f"o{i % 3}" for i in range(50)]
    signals = _signals(50, seed=1)
    small, _ = candidate_pairs(signals, outlets, candidates=3, floor=-1.0, block_size=7)
    big, _ = candidate_pairs(signals, outlets, candidates=3, floor=-1.0, block_size=1024)
    np.testing.assert_array_equal(small, big)
    floored, scores = candidate_pairs(signals, outlets, candidates=3, floor=0.3)
    assert len(floored) < len(big) and (scores >= 0.3).all()


def test_best_link_per_passage_and_other_outlet():
    pairs = np.array([[0, 1], [0, 2], [0, 3], [1, 3], [2, 4]])
    probability = np.array([0.9, 0.5, 0.7, 0.95, 0.8])
    outlets = ["A", "B", "B", "C", "A"]
    chosen = set(best_links(pairs, probability, outlets).tolist())
    # 0's best in B is 1 and in C is 3; 2's best in A is 4 (0.8), not 0 (0.5); 1's best in C
    # is 3. Pair 0-2 is nobody's best link.
    assert chosen == {0, 2, 3, 4}
