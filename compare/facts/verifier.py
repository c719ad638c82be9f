"""The same-fact verifier: one calibrated probability that two passages state the same fact,
for any pair of languages.

The model is gradient-boosted trees over the signals of a pair (:data:`FEATURES`,
:func:`compare.facts.signals.pair_features`): each encoder's plain cosine where that encoder
reads the pair (NaN elsewhere: the trees learn a missing value's own branch), the cosines of what
a pair shares beyond its event's common content, shared words, characters, names and numbers,
differing figures, dates and negations, and the two lengths. It is learned
(``python -m compare.training``) from pairs labelled the way the product meets them: the
claims gold's ``train`` fold and the pairs labelled in the project (two outlets' passages inside
one real event, English and Russian), with MSRP and STS-B train (English, Russian, German and
translations between them) so that sentences outside news events are read too. One probability,
one threshold (:data:`compare.SAME_FACT_THRESHOLD`), for every language pair: no encoder's
cosine is mapped onto another's and no language pair has its own rule.

The fitted model ships as ``compare/facts/data/verifier.json``: the trees, the threshold, the
training data's hashes and its figures (docs/evaluation.md#fact-links--verifier).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from compare.errors import CompareError
from compare.facts.signals import FEATURES, PassageSignals, pair_features

MODEL_FILE = "verifier.json"


def pair_probability(signals: PassageSignals, i: np.ndarray, j: np.ndarray,
                     verifier: Verifier) -> np.ndarray:
    """The verifier's probability of the pairs ``(i[k], j[k])``."""
    return verifier.probability(pair_features(signals, i, j))


# Pairs scored per batch: the features of a pair read two 512-d rows, so 20,000 pairs hold
# about 80 MB at a time instead of gigabytes for a 10,000-passage event's 275,000 candidates.
VERIFY_BATCH = 20_000


def verify_pairs(signals: PassageSignals, pairs: np.ndarray, verifier: Verifier) -> np.ndarray:
    """The verifier's probability for each pair, in bounded batches."""
    out = np.zeros(len(pairs))
    for start in range(0, len(pairs), VERIFY_BATCH):
        chunk = pairs[start : start + VERIFY_BATCH]
        out[start : start + len(chunk)] = pair_probability(signals, chunk[:, 0], chunk[:, 1],
                                                           verifier)
    return out


@dataclass(frozen=True)
class Trees:
    """A binary classifier's boosted trees as flat node arrays (one row per node, the trees one
    after another): a row splits on ``feature`` at ``threshold`` (a value at or below it, or a
    missing value where ``missing_left``, goes ``left``) or, where ``leaf``, adds ``value`` to
    the log-odds."""

    roots: np.ndarray  # (trees,) int64: each tree's root row
    feature: np.ndarray  # (nodes,) int64
    threshold: np.ndarray  # (nodes,) float64
    missing_left: np.ndarray  # (nodes,) bool
    left: np.ndarray  # (nodes,) int64, absolute rows
    right: np.ndarray  # (nodes,) int64
    leaf: np.ndarray  # (nodes,) bool
    value: np.ndarray  # (nodes,) float64
    baseline: float

    def log_odds(self, features: np.ndarray) -> np.ndarray:
        """The summed log-odds of each row of ``features``; every tree walked level by level
        for all rows at once."""
        x = np.asarray(features, dtype=np.float64)
        rows = np.arange(len(x))
        z = np.full(len(x), self.baseline)
        for root in self.roots:
            node = np.full(len(x), root)
            inner = ~self.leaf[node]
            while inner.any():
                k = np.flatnonzero(inner)
                at = node[k]
                v = x[rows[k], self.feature[at]]
                go_left = np.where(np.isnan(v), self.missing_left[at], v <= self.threshold[at])
                node[k] = np.where(go_left, self.left[at], self.right[at])
                inner[k] = ~self.leaf[node[k]]
            z += self.value[node]
        return z

    def to_dict(self) -> dict[str, Any]:
        return {"baseline": self.baseline, "roots": self.roots.tolist(),
                "feature": self.feature.tolist(), "threshold": self.threshold.tolist(),
                "missing_left": self.missing_left.astype(int).tolist(),
                "left": self.left.tolist(), "right": self.right.tolist(),
                "leaf": self.leaf.astype(int).tolist(), "value": self.value.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trees:
        return cls(roots=np.array(data["roots"], dtype=np.int64),
                   feature=np.array(data["feature"], dtype=np.int64),
                   threshold=np.array(data["threshold"], dtype=np.float64),
                   missing_left=np.array(data["missing_left"], dtype=bool),
                   left=np.array(data["left"], dtype=np.int64),
                   right=np.array(data["right"], dtype=np.int64),
                   leaf=np.array(data["leaf"], dtype=bool),
                   value=np.array(data["value"], dtype=np.float64),
                   baseline=float(data["baseline"]))


@dataclass(frozen=True)
class Verifier:
    """The fitted model: ``probability(features)`` and its thresholds."""

    trees: Trees
    threshold: float  # "reports it": the same fact (docs/evaluation.md#same_fact-threshold)
    closest_floor: float  # below this, a nearest passage is not worth showing
    meta: dict[str, Any]

    def probability(self, features: np.ndarray) -> np.ndarray:
        """Calibrated probability of the same fact for each row of ``features``
        (``(m, len(FEATURES))`` from :func:`pair_features`)."""
        features = np.asarray(features, dtype=np.float64)
        if features.ndim != 2 or features.shape[1] != len(FEATURES):
            raise CompareError(f"the verifier reads {len(FEATURES)} features per pair, got "
                               f"an array of shape {features.shape}")
        return 1.0 / (1.0 + np.exp(-self.trees.log_odds(features)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verifier:
        if tuple(data.get("features", ())) != FEATURES or "trees" not in data:
            raise CompareError(
                f"the verifier artifact reads features {data.get('features')}, this code "
                f"computes {list(FEATURES)}: regenerate it with `python -m compare.training`")
        return cls(trees=Trees.from_dict(data["trees"]), threshold=float(data["threshold"]),
                   closest_floor=float(data["closest_floor"]),
                   meta={k: v for k, v in data.items() if k != "trees"})


@lru_cache(maxsize=1)
def load_verifier() -> Verifier:
    """The shipped verifier (``compare/facts/data/verifier.json``)."""
    resource = resources.files("compare.facts") / "data" / MODEL_FILE
    try:
        text = resource.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CompareError(
            "the same-fact verifier is missing (compare/facts/data/verifier.json): regenerate it "
            "with `python -m compare.training`") from exc
    return Verifier.from_dict({**json.loads(text),
                               "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()})
