"""How the encoders' cosines compare: which languages each multilingual encoder reads,
and the scales that put the wide encoder's cosines on the multilingual encoder's."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MULTILINGUAL_ENCODER = "use:multilingual-v3"
# The languages the multilingual encoder was trained on (its model card lists 16, Chinese
# simplified and traditional apart); outside them its vectors drift (docs/evaluation.md#languages).
USE_LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt",
                           "ru", "th", "tr", "zh"})
# multilingual-e5-small reads about 100 languages and embeds every passage: the verifier reads
# its cosine on every pair. For candidate retrieval, a pair with a passage outside USE_LANGUAGES
# reads its cosine in place of the multilingual encoder's; a translated pair in two covered
# languages reads the mean of both, because the two encoders err apart on translations
# (docs/evaluation.md#sts-b).
WIDE_ENCODER = "e5:multilingual-small"
# (a, b) putting e5's cosine on the scale the verifier was trained on, per kind of pair ("both":
# the two encoders' mean); fitted on STS-B train, `--wide-scale` (docs/evaluation.md#sts-b).
WIDE_TO_USE = {"same": (4.069, -3.096), "cross": (4.393, -3.187), "both": (1.042, -0.02052)}
# The multilingual encoder's translated-pair cosine over the same pair's in one language (divide
# by it to read a translation as one language); fitted on STS-B train (docs/evaluation.md#sts-b).
CROSS_LANGUAGE_SHRINK = 0.815


def uncovered(languages: Sequence[str] | np.ndarray) -> np.ndarray:
    """Per passage, whether its language is known and outside :data:`USE_LANGUAGES`."""
    languages = np.asarray(languages, dtype=object)
    return (languages != "") & ~np.isin(languages, list(USE_LANGUAGES))


def wide_on_use_scale(cosine: np.ndarray, cross: np.ndarray | bool) -> np.ndarray:
    """Wide-encoder cosines on the multilingual encoder's scale (:data:`WIDE_TO_USE`), for
    pairs in two languages (``cross``) or one."""
    (a_same, b_same), (a_cross, b_cross) = WIDE_TO_USE["same"], WIDE_TO_USE["cross"]
    return np.clip(np.where(cross, a_cross * cosine + b_cross, a_same * cosine + b_same),
                   -1.0, 1.0)


def both_on_use_scale(use: np.ndarray, wide: np.ndarray) -> np.ndarray:
    """A translated pair in two covered languages read by both encoders: the mean of the
    multilingual encoder's cosine and the wide encoder's (on that scale), given the
    multilingual encoder's mean and spread for translations (``WIDE_TO_USE["both"]``)."""
    a, b = WIDE_TO_USE["both"]
    return np.clip(a * (use + wide_on_use_scale(wide, True)) / 2 + b, -1.0, 1.0)


def translated_pairs(li: np.ndarray, lj: np.ndarray) -> np.ndarray:
    """Pairs in two known, different languages (an unknown language is read as the other's)."""
    return (li != lj) & (li != "") & (lj != "")


def reads_wide(li: np.ndarray, lj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pair, (a passage in a language outside the multilingual encoder, a translation):
    the pairs whose similarity reads the wide encoder when it is there."""
    return uncovered(li) | uncovered(lj), translated_pairs(li, lj)


def reads_minilm(languages: Sequence[str] | np.ndarray) -> np.ndarray:
    """Which passages get a MiniLM embedding: English ones and those of unknown language."""
    return np.isin(np.asarray(languages, dtype=object), ("en", ""))

