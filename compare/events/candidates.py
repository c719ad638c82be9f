"""Candidate neighbours for large corpora: an approximate index instead of every pair.

Comparing every pair of articles costs ``n * n``; above ``EventGrouper(exact_up_to=...)``
articles the grouper asks this module for each article's ``candidates`` nearest articles in
a few dense views (its TF-IDF row randomly projected; its lead embedding when languages are
mixed) and scores only those pairs exactly. The index is faiss's inverted file (``IVFFlat``,
inner product): its k-means is seeded and its search exhaustive within the probed lists, so the
same input gives the same candidates (HNSW's parallel build does not).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize

# Dimensions of the random projection of the TF-IDF rows: enough that a projected cosine is
# within about 0.06 of the sparse one, which only ranks candidates (docs/evaluation.md#events).
PROJECTION_DIM = 256
# Inverted lists per sqrt(n) articles, and lists searched for each article: each search reads
# about PROBES * sqrt(n) / LISTS_PER_ROOT rows (docs/evaluation.md#events: recall of the exact
# neighbour graph).
LISTS_PER_ROOT = 4
PROBES = 32


def project(features: sparse.csr_matrix, dim: int = PROJECTION_DIM) -> np.ndarray:
    """Dense ``(n, dim)`` float32 L2-normalised rows whose dot products approximate the sparse
    rows' cosines (a sparse random projection, seeded)."""
    from sklearn.random_projection import SparseRandomProjection

    dim = min(dim, features.shape[1]) if features.shape[1] > 0 else 1
    projected = SparseRandomProjection(n_components=dim, dense_output=True, random_state=0
                                       ).fit_transform(features)
    return normalize(np.asarray(projected, dtype=np.float32)).astype(np.float32)


def nearest(vectors: np.ndarray, k: int) -> np.ndarray:
    """Each row's ``k`` nearest other rows by inner product, from an inverted-file index:
    ``(n, k)`` indices, ``-1`` where fewer were found."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    lists = max(1, min(n // 39, int(LISTS_PER_ROOT * math.sqrt(n))))  # faiss: >= 39 per list
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
    index.train(vectors)
    index.add(vectors)
    index.nprobe = min(PROBES, lists)
    _, found = index.search(vectors, min(k + 1, n))
    return np.stack([_without_self(row, i, k) for i, row in enumerate(found)]) if n else \
        np.zeros((0, k), dtype=np.int64)


def _without_self(row: np.ndarray, i: int, k: int) -> np.ndarray:
    kept = row[row != i][:k]
    return np.pad(kept, (0, k - len(kept)), constant_values=-1)


def candidate_pairs(views: list[np.ndarray], k: int) -> np.ndarray:
    """The union of each view's ``k`` nearest rows: ``(n, k * len(views))`` indices, ``-1``
    for none and for a repeat of a candidate already listed."""
    found = np.concatenate([nearest(view, k) for view in views], axis=1)
    ordered = np.sort(found, axis=1)
    repeat = np.zeros_like(ordered, dtype=bool)
    repeat[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
    ordered[repeat] = -1
    return ordered
