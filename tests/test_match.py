"""Candidates per other outlet from embeddings (bounded, deterministic) and best links."""
from __future__ import annotations

import numpy as np
import pytest

from compare.facts.match import best_links, candidate_pairs
from compare.facts.signals import passage_signals


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


def _event(n_each: int, seed: int = 1):
    """An event in two languages: every vector shares the event's subject; passage k of each
    language adds claim k of its own (the pair (k, n_each + k) tells one claim)."""
    rng = np.random.default_rng(seed)
    subject = rng.normal(size=64)
    claims = rng.normal(size=(n_each, 64))
    use = np.vstack([3 * subject + claims, 3 * subject + claims]) + 0.3 * rng.normal(
        size=(2 * n_each, 64))
    use /= np.linalg.norm(use, axis=1, keepdims=True)
    texts = [f"claim {k}" for k in range(n_each)] * 2
    return passage_signals(texts, ["en"] * n_each + ["ru"] * n_each, use.astype(np.float32))


def test_the_specific_vector_leaves_out_what_the_event_shares():
    from compare.facts.signals import EVENT_MIN_PASSAGES

    signals = _event(EVENT_MIN_PASSAGES)
    n = EVENT_MIN_PASSAGES
    same, other = np.arange(n), np.roll(np.arange(n), 1) + n
    raw = (signals.use[:n] * signals.use[n:][other - n]).sum(axis=1)
    specific = (signals.specific[:n] * signals.specific[other]).sum(axis=1)
    told = (signals.specific[:n] * signals.specific[same + n]).sum(axis=1)
    # two claims about the subject look alike whole (cosine ~0.9), not once the subject is out
    assert raw.min() > 0.75 and np.abs(specific).max() < 0.5 and told.min() > 0.8
    assert signals.has_specific.all()
    # fewer passages of a language than EVENT_MIN_PASSAGES: no specific vector for them
    few = passage_signals(["a"] * (n + 3), ["en"] * n + ["ru"] * 3,
                          signals.use[: n + 3])
    assert few.has_specific.tolist() == [True] * n + [False] * 3
    assert not few.specific[n:].any()


def test_pair_features_read_each_encoder_only_where_it_reads_the_pair():
    from compare.facts.signals import FEATURES, pair_features, passage_signals

    languages = ["en", "en", "ru", "uk", ""]
    eye = np.eye(5, dtype=np.float32)
    signals = passage_signals(["a b c"] * 5, languages, eye, minilm=eye, wide=eye)
    i, j = np.array([0, 0, 0, 4]), np.array([1, 2, 3, 0])
    f = pair_features(signals, i, j)
    column = {name: f[:, k] for k, name in enumerate(FEATURES)}
    # MiniLM: English pairs and an unknown language read as English
    assert np.isfinite(column["minilm"]).tolist() == [True, False, False, True]
    # the multilingual encoder does not read Ukrainian; e5 reads every pair when it is there
    assert np.isfinite(column["use"]).tolist() == [True, True, False, True]
    assert np.isfinite(column["wide"]).all()
    assert column["cross"].tolist() == [0.0, 1.0, 1.0, 0.0]
    plain = passage_signals(["a b c"] * 5, languages, eye)
    assert np.isnan(pair_features(plain, i, j)[:, FEATURES.index("wide")]).all()


def test_the_shipped_trees_reproduce_the_fitted_model():
    from sklearn.ensemble import HistGradientBoostingClassifier

    from compare.facts.verifier import Trees
    from compare.training.verifier import export_trees

    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 4))
    x[rng.random(x.shape) < 0.2] = np.nan  # missing values take their learned branch
    y = (np.nan_to_num(x[:, 0]) + np.nan_to_num(x[:, 1]) * np.isnan(x[:, 2]) > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(x, y)
    trees = Trees.from_dict(export_trees(model))
    z = trees.log_odds(x)
    np.testing.assert_allclose(1 / (1 + np.exp(-z)), model.predict_proba(x)[:, 1], rtol=1e-9)


def test_a_repeated_text_counts_once_for_the_specific_vector():
    from compare.facts.signals import EVENT_MIN_PASSAGES

    signals = _event(EVENT_MIN_PASSAGES)
    n = EVENT_MIN_PASSAGES
    # one English sentence given n times beside n Russian ones (one sentence scored against
    # many): a single distinct English text has no event to stand out from
    use = np.vstack([np.repeat(signals.use[:1], n, axis=0), signals.use[n:]])
    repeated = passage_signals(["q"] * n + ["c"] * n, ["en"] * n + ["ru"] * n, use)
    assert not repeated.has_specific[:n].any() and repeated.has_specific[n:].all()
    # a duplicate among distinct texts does not change the others' vectors
    twice = np.vstack([signals.use, signals.use[:1]])
    again = passage_signals(["x"] * (2 * n + 1), ["en"] * n + ["ru"] * n + ["en"], twice)
    np.testing.assert_allclose(again.specific[: 2 * n], signals.specific, atol=1e-5)
    np.testing.assert_allclose(again.specific[-1], signals.specific[0], atol=1e-5)


def test_same_fact_embeds_each_distinct_text_once():
    # same_fact embeds through embed_texts, which encodes each distinct text once.
    from compare.embed.embedders import embed_texts

    class Counting:
        name, version, dim = "counting", "1", 2

        def __init__(self) -> None:
            self.seen: list[str] = []

        def encode(self, texts):
            self.seen += list(texts)
            return np.array([[len(t), t.count("a")] for t in texts], dtype=np.float32)

    encoder = Counting()
    texts = ["one query", "a candidate", "one query", "another one", "one query"]
    vectors = embed_texts(texts, encoder)
    assert sorted(encoder.seen) == sorted(["one query", "a candidate", "another one"])
    assert np.array_equal(vectors, Counting().encode(texts))


def test_same_fact_checks_its_inputs_before_loading_a_model():
    from compare.errors import CompareError
    from compare.facts.same_fact import same_fact

    with pytest.raises(CompareError, match="got 1 and 2 texts"):
        same_fact(["a"], ["a", "b"])
    with pytest.raises(CompareError, match=r"texts_b\[1\] is float"):
        same_fact(["a claim", "another"], ["a claim", float("nan")])  # a missing table cell
    with pytest.raises(CompareError, match="languages_a gives 1 languages for 2 texts"):
        same_fact(["a", "b"], ["c", "d"], languages_a=["en"])


def test_same_fact_scores_one_text_against_many_and_blank_texts_at_zero(monkeypatch):
    from compare.embed import embedders as embed
    from compare.facts.same_fact import same_fact

    monkeypatch.setattr(embed, "make_embedder", lambda spec="": embed.HashingEmbedder(64))
    query = "Russia will cut activity near Kyiv."
    candidates = [query, "Prices rose."]
    one_to_many = same_fact(query, candidates, languages_a="en", languages_b="en")
    assert one_to_many.shape == (2,)
    np.testing.assert_allclose(one_to_many, same_fact([query] * 2, candidates,
                                                      languages_a=["en"] * 2,
                                                      languages_b=["en", "en"]))
    assert same_fact(query, query, languages_a="en", languages_b="en").shape == (1,)
    # a text with no letter or digit states nothing, though two such vectors meet
    blank = same_fact(["   ", "", "Russia will cut activity near Kyiv."],
                      ["  ", "Prices rose.", "…"], languages_a="en", languages_b="en")
    assert (blank == 0).all()
