"""Fast tests of compare.topics on small synthetic embeddings (no model, no data files)."""
from __future__ import annotations

import numpy as np
import pytest

from compare.errors import SettingsError
from compare.topics import TopicClusterer, representative_index, topic_terms


def _facts(seed: int, n_facts: int, per_fact: int, noise: float = 0.15, d: int = 32
           ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Passages scattered around ``n_facts`` random directions, outlets round-robin, shuffled."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_facts, d))
    truth = np.repeat(np.arange(n_facts), per_fact)
    x = centres[truth] / np.linalg.norm(centres[truth], axis=1, keepdims=True)
    x = x + rng.normal(scale=noise, size=x.shape) / np.sqrt(d)
    order = rng.permutation(len(x))
    x, truth = x[order], truth[order]
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    outlets = [f"outlet{i % 4}" for i in range(len(x))]
    return x, truth, outlets


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = {(int(x), int(y)) for x, y in zip(a, b, strict=True)}
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_recovers_planted_facts_with_labels_by_first_appearance() -> None:
    x, truth, outlets = _facts(0, n_facts=6, per_fact=8)
    model = TopicClusterer(threshold=0.6).fit(x, outlets)
    assert model.n_topics_ == 6
    assert _same_partition(model.labels_, truth)
    first_seen = list(dict.fromkeys(model.labels_.tolist()))
    assert first_seen == list(range(6))


def test_singleton_is_its_own_topic_unless_min_outlets_asks_for_shared_facts() -> None:
    x, _, outlets = _facts(1, n_facts=3, per_fact=6)
    rng = np.random.default_rng(9)
    lone = rng.normal(size=(1, x.shape[1])).astype(np.float32)
    x = np.vstack([x, lone / np.linalg.norm(lone)])
    outlets = outlets + ["outlet_unique"]
    kept = TopicClusterer(threshold=0.6).fit(x, outlets)
    assert kept.n_topics_ == 4
    assert (kept.labels_ == kept.labels_[-1]).sum() == 1
    shared = TopicClusterer(threshold=0.6, min_outlets=2).fit(x, outlets)
    assert shared.labels_[-1] == -1
    assert shared.n_topics_ == 3
    assert set(shared.labels_[:-1].tolist()) == {0, 1, 2}


def test_graph_fallback_for_large_events_matches_exact_clustering() -> None:
    x, truth, outlets = _facts(2, n_facts=12, per_fact=10)
    exact = TopicClusterer(threshold=0.6).fit(x, outlets)
    bounded = TopicClusterer(threshold=0.6, max_dense=25, top_k=5, block_size=16).fit(x, outlets)
    assert _same_partition(bounded.labels_, truth)
    np.testing.assert_array_equal(bounded.labels_, exact.labels_)


def test_fit_is_deterministic_and_order_of_labels_stable() -> None:
    x, _, outlets = _facts(3, n_facts=5, per_fact=7, noise=0.6)
    a = TopicClusterer(threshold=0.5).fit(x, outlets).labels_
    b = TopicClusterer(threshold=0.5).fit(x.copy(), list(outlets)).labels_
    np.testing.assert_array_equal(a, b)
    assert a[0] == 0


def test_topic_terms_are_distinctive_per_topic() -> None:
    texts = [
        "Russia will reduce military activity near Kyiv",
        "Moscow promises to reduce military activity around Kyiv and Chernihiv",
        "Talks in Istanbul ended after three hours",
        "The Istanbul talks lasted three hours",
        "the and of",
    ]
    labels = np.array([0, 0, 1, 1, -1])
    terms = topic_terms(texts, labels, n_terms=3)
    assert set(terms) == {0, 1}
    assert set(terms[0]) <= {"reduce", "military", "activity", "kyiv", "reduce military",
                             "military activity"}
    assert "istanbul" in terms[1] or "hours" in terms[1]
    assert not set(terms[0]) & set(terms[1])


def test_representative_is_the_most_central_member() -> None:
    x = np.array([[1, 0], [0.8, 0.6], [0.8, -0.6], [0, 1]], dtype=np.float32)
    reps = representative_index(x, np.array([0, 0, 0, -1]))
    assert reps == {0: 0}


def test_bad_settings_are_refused() -> None:
    x, _, outlets = _facts(4, n_facts=2, per_fact=3)
    with pytest.raises(SettingsError, match="linkage='ward'"):
        TopicClusterer(linkage="ward").fit(x, outlets)
    with pytest.raises(SettingsError, match="groups has 2 outlets"):
        TopicClusterer().fit(x, outlets[:2])


def test_components_bigger_than_max_dense_are_cut_to_bounded_blocks() -> None:
    x, _, outlets = _facts(5, n_facts=3, per_fact=12)
    model = TopicClusterer(threshold=0.6, max_dense=5, top_k=4).fit(x, outlets)
    again = TopicClusterer(threshold=0.6, max_dense=5, top_k=4).fit(x, outlets)
    np.testing.assert_array_equal(model.labels_, again.labels_)
    assert (model.labels_ >= 0).all()
    assert np.bincount(model.labels_).max() <= 5  # no block, hence no topic, exceeds max_dense
