"""The same-fact verifier: a calibrated probability that two passages state the same fact.

One cosine misses much of what tells two sentences apart: a neighbouring claim about the same
person, the same template about another happening, a translation. The verifier combines signals
(:data:`FEATURES`) in a logistic regression learned from labelled pairs
(``compare.training.verifier``):

- ``use``: cosine of the multilingual encoder (Universal Sentence Encoder multilingual v3), for
  every language pair (a pair with a passage in a language it was not trained on, Ukrainian for
  one, reads the wide encoder's cosine instead, put on its scale:
  ``compare.embed.scales.WIDE_TO_USE``);
  ``use_cross`` is the same cosine when the two languages differ, so the
  model weighs it separately for translations;
- ``minilm``: cosine of all-MiniLM-L6-v2, the stronger English encoder, when both passages are
  English (0 otherwise);
- ``words``: TF-IDF cosine of content words (sublinear tf, stop words of each passage's
  language removed, IDF from the passages compared together), same language only;
- ``chars``: TF-IDF cosine of character 3-5-grams of the ASCII transliteration: names and
  numbers shared across scripts ("Zelensky" / "Зеленский");
- ``names``: the share of the smaller passage's names (by IDF among the passages compared: a
  rare name weighs more) that the other one has; ``numbers``: the same for numbers, unweighted;
- ``figure_conflict``, ``date_conflict``, ``negation_conflict``: both give figures (dates) and
  share none; one side is negated and the other not (``compare.text.details``);
- ``length_ratio``: shorter / longer word count; ``cross``: the languages differ.

For two English passages (or one English and one of unknown language: :func:`english_pairs`)
the probability is the larger of the pooled model's and MiniLM's cosine calibrated alone
(:class:`Verifier`). For two passages in one other language (:func:`other_language_pairs`) it
is the pooled model's recalibrated on such pairs: without MiniLM the pooled model is unsure of
them, and two Russian outlets would otherwise be linked less often than a Russian and an
English one (``compare.training.verifier.fit_other_calibration``). For two passages in different
languages inside an event it is at most the translation head's, which reads what the pair
shares beyond the event's common content (:data:`TRANSLATION_FEATURES`,
``compare.facts.signals.specific_vectors``).

The fitted model ships as ``compare/facts/data/verifier.json`` (coefficients, the feature
scaling, the thresholds and the hashes of the training data); ``python -m compare.training``
regenerates it (byte for byte on one kind of CPU). Its figures:
docs/evaluation.md#fact-links--verifier.
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
from compare.facts.signals import (
    FEATURES,
    MINILM,
    TRANSLATION_FEATURES,
    PassageSignals,
    pair_features,
    translated_in_event,
    translation_features,
)

# Differences the verifier learns from but does not hold against a pair: its training labels
# (STS-B, MSRP) count another figure or date as another meaning, but the same claim told with
# another count is the same fact, marked by the pair's relation (compare.text.details.relation).
DETAILS_ASIDE = ("figure_conflict", "date_conflict")
_ASIDE = [FEATURES.index(name) for name in DETAILS_ASIDE]
MODEL_FILE = "verifier.json"

def english_pairs(signals: PassageSignals, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The pairs the verifier reads as English (MiniLM's calibrated cosine may decide them):
    both passages English, or one English and the other of unknown language. Two passages of
    unknown language are not: a short text in another script ("谈判" / "制裁", talks /
    sanctions) gets MiniLM cosines that mean nothing (0.90 there)."""
    li, lj = signals.languages[i], signals.languages[j]
    return ((li == "en") & np.isin(lj, ("en", ""))) | ((lj == "en") & (li == ""))


def other_language_pairs(signals: PassageSignals, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The pairs of two passages in one known language other than English (one of unknown
    language is read as the other's, as in :func:`pair_features`): the pooled model reads them
    without MiniLM, and its probability is recalibrated on such pairs
    (``Verifier.other_calibration``)."""
    li, lj = signals.languages[i], signals.languages[j]
    known = np.where(li == "", lj, li)
    return ((li == lj) | (li == "") | (lj == "")) & (known != "") & (known != "en")


def pair_probability(signals: PassageSignals, i: np.ndarray, j: np.ndarray,
                     verifier: Verifier) -> np.ndarray:
    """The verifier's probability of the pairs ``(i[k], j[k])``."""
    i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    features = pair_features(signals, i, j)
    probability = verifier.probability(features, english_pairs(signals, i, j),
                                       other_language_pairs(signals, i, j))
    if verifier.translation_head is not None:
        k = np.flatnonzero(translated_in_event(signals, i, j))
        if len(k):
            head = verifier.translation_probability(
                translation_features(signals, i[k], j[k], features[k]))
            probability[k] = np.minimum(probability[k], head)
    return probability


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


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True)
class Verifier:
    """The fitted model: ``probability(features)`` and its thresholds.

    The probability is the pooled logistic regression's; for a pair of two English passages it
    is the larger of that and MiniLM's cosine calibrated alone (``minilm_calibration``, fitted
    on the same English pairs): the pooled model weighs the multilingual encoder above the
    stronger English one and ranked English news links below MiniLM's plain cosine. The larger
    of two calibrated probabilities leans high, but it raised link precision and recall alike
    (docs/evaluation.md#fact-links--verifier).

    A pair whose figures or dates differ is read with those two conflicts set aside
    (:data:`DETAILS_ASIDE`): the same claim told with another count is the same fact, marked
    with its relation.

    For a pair of two passages in one language other than English the pooled model's log-odds
    are rescaled (``other_calibration``, fitted on such pairs by
    ``compare.training.verifier.fit_other_calibration``; docs/evaluation.md#sts-b).
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float  # "reports it": the same fact (docs/evaluation.md#same_fact-threshold)
    closest_floor: float  # below this, a nearest passage is not worth showing
    meta: dict[str, Any]
    minilm_calibration: tuple[float, float] | None = None  # (coef, intercept) on the cosine
    # (coef, intercept) on the pooled model's log-odds, for pairs in one language other than
    # English (other_language_pairs)
    other_calibration: tuple[float, float] | None = None
    # (coef over TRANSLATION_FEATURES, intercept): a translated pair's cap
    translation_head: tuple[np.ndarray, float] | None = None

    def translation_probability(self, features: np.ndarray) -> np.ndarray:
        """The translation head's probability for rows of :func:`translation_features` (1, no
        cap, for an artifact without a head)."""
        if self.translation_head is None:
            return np.ones(len(features))
        coef, intercept = self.translation_head
        return _logistic(np.asarray(features, dtype=np.float64) @ coef + intercept)

    def log_odds(self, features: np.ndarray) -> np.ndarray:
        """The pooled model's log-odds for each row of ``features``, a differing figure or date
        set aside (:data:`DETAILS_ASIDE`)."""
        features = np.asarray(features, dtype=np.float64)
        z = ((features - self.mean) / self.scale) @ self.coef
        differ = np.flatnonzero(features[:, _ASIDE].any(axis=1))
        if len(differ):
            aside = features[differ].copy()
            aside[:, _ASIDE] = 0.0
            z[differ] = np.maximum(z[differ], ((aside - self.mean) / self.scale) @ self.coef)
        return z + self.intercept

    def probability(self, features: np.ndarray, english: np.ndarray | None = None,
                    other: np.ndarray | None = None) -> np.ndarray:
        """Calibrated probability of the same fact for each row of ``features``.

        Args:
            features: ``(m, len(FEATURES))`` from :func:`pair_features`.
            english: which rows are English pairs (:func:`english_pairs`); None reads every
                row with a MiniLM cosine as one (the labelled training pairs).
            other: which rows are pairs in one language other than English
                (:func:`other_language_pairs`); None: none.
        """
        features = np.asarray(features, dtype=np.float64)
        z = self.log_odds(features)
        if other is not None and self.other_calibration is not None:
            slope, offset = self.other_calibration
            z = np.where(np.asarray(other, dtype=bool), slope * z + offset, z)
        pooled = _logistic(z)
        if self.minilm_calibration is None:
            return pooled
        coef, intercept = self.minilm_calibration
        minilm = features[:, MINILM]
        alone = _logistic(coef * minilm + intercept)
        rule = minilm > 0 if english is None else (minilm > 0) & np.asarray(english, dtype=bool)
        return np.where(rule, np.maximum(pooled, alone), pooled)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verifier:
        if tuple(data["features"]) != FEATURES:
            raise CompareError(
                f"the verifier artifact was trained on features {data['features']}, this code "
                f"computes {list(FEATURES)}: regenerate it with `python -m compare.training`")
        calibration = data.get("minilm_calibration")
        other = data.get("other_calibration")
        head = data.get("translation_head")
        if head is not None and tuple(head["features"]) != TRANSLATION_FEATURES:
            raise CompareError(
                f"the verifier artifact's translation head reads {head['features']}, this code "
                f"computes {list(TRANSLATION_FEATURES)}: regenerate it with "
                "`python -m compare.training`")
        return cls(mean=np.array(data["mean"]), scale=np.array(data["scale"]),
                   coef=np.array(data["coef"]), intercept=float(data["intercept"]),
                   threshold=float(data["threshold"]),
                   closest_floor=float(data["closest_floor"]),
                   meta={k: v for k, v in data.items() if k not in (
                       "mean", "scale", "coef", "intercept", "minilm_calibration",
                       "other_calibration", "translation_head")},
                   minilm_calibration=None if calibration is None else (
                       float(calibration["coef"]), float(calibration["intercept"])),
                   other_calibration=None if other is None else (
                       float(other["coef"]), float(other["intercept"])),
                   translation_head=None if head is None else (
                       np.array(head["coef"], dtype=np.float64), float(head["intercept"])))


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

