"""Candidate neighbours for large corpora: an approximate index instead of every pair.

Comparing every pair of articles costs ``n * n``; above ``EventGrouper(exact_up_to=...)``
articles the grouper asks this module for each article's ``candidates`` nearest articles in
a few dense views (its TF-IDF row randomly projected; its lead embedding when languages are
mixed), among the articles published close enough in time to be its neighbours at all, and
scores only those pairs exactly. The index is faiss's inverted file (``IVFFlat``,
inner product): its k-means is seeded and its search exhaustive within the probed lists, so the
same input gives the same candidates (HNSW's parallel build does not).
"""
from __future__ import annotations

import math
from typing import Any

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
# Up to this many articles in a search, every one is read (exact, and cheaper than training).
FLAT_UP_TO = 10_000


def project(features: sparse.csr_matrix, dim: int = PROJECTION_DIM) -> np.ndarray:
    """Dense ``(n, dim)`` float32 L2-normalised rows whose dot products approximate the sparse
    rows' cosines (a sparse random projection, seeded)."""
    from sklearn.random_projection import SparseRandomProjection

    dim = min(dim, features.shape[1]) if features.shape[1] > 0 else 1
    projected = SparseRandomProjection(n_components=dim, dense_output=True, random_state=0
                                       ).fit_transform(features)
    return normalize(np.asarray(projected, dtype=np.float32)).astype(np.float32)


def nearest(base: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Each query's ``k`` nearest rows of ``base`` by inner product (an inverted-file index
    above ``FLAT_UP_TO`` rows): ``(len(queries), k)`` row numbers of ``base``, ``-1`` where
    fewer were found."""
    import faiss

    base = np.ascontiguousarray(base, dtype=np.float32)
    n, dim = base.shape
    if n == 0 or len(queries) == 0:
        return np.full((len(queries), k), -1, dtype=np.int64)
    quantizer = faiss.IndexFlatIP(dim)
    index: Any = quantizer
    if n > FLAT_UP_TO:
        lists = int(LISTS_PER_ROOT * math.sqrt(n))
        index = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
        index.train(base)
        index.nprobe = min(PROBES, lists)
    index.add(base)
    _, found = index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, n))
    return np.pad(found, ((0, 0), (0, k - found.shape[1])), constant_values=-1)


def candidate_pairs(views: list[np.ndarray], k: int, days: np.ndarray, window: float
                    ) -> np.ndarray:
    """Each article's ``k`` nearest articles in each view among those published within
    ``window`` days of it (an undated article: among all, and every article's among the
    undated too): ``(n, k * len(views))`` indices, ``-1`` for none, for itself and for a repeat.

    Articles further apart than ``window`` are never neighbours, so each search reads only the
    articles of three consecutive ``window``-day buckets: a corpus of many months costs what
    its months cost one by one, and copies of a story months apart take no candidate's place.
    """
    n = len(days)
    found = np.full((n, k * len(views)), -1, dtype=np.int64)
    undated = np.isnan(days)
    bucket = np.where(undated, 0, np.floor(np.nan_to_num(days) / window)).astype(np.int64)
    groups = [(np.flatnonzero(~undated & (bucket == b)),
               np.flatnonzero(undated | (np.abs(bucket - b) <= 1) & ~undated))
              for b in np.unique(bucket[~undated])]
    if undated.any():
        groups.append((np.flatnonzero(undated), np.arange(n)))
    for queries, pool in groups:
        for v, view in enumerate(views):
            local = nearest(view[pool], view[queries], min(k + 1, len(pool)))
            near = np.where(local >= 0, pool[np.maximum(local, 0)], -1)
            near[near == queries[:, None]] = -1  # itself
            near = -np.sort(-near, axis=1)[:, :k]  # found first, -1 last (rank order is unused)
            found[queries, v * k : v * k + near.shape[1]] = near
    ordered = np.sort(found, axis=1)
    repeat = np.zeros_like(ordered, dtype=bool)
    repeat[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
    ordered[repeat] = -1
    return ordered
