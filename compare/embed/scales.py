"""How the encoders' cosines compare: which languages each multilingual encoder reads,
and the scales that put the wide encoder's cosines on the multilingual encoder's."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MULTILINGUAL_ENCODER = "use:multilingual-v3"
# The languages the multilingual encoder was trained on (its model card lists 16, Chinese
# simplified and traditional apart). Outside them its vectors drift: four news sentences and
# their Ukrainian translations scored 0.44-0.55, their French, Spanish, Turkish, Italian,
# Polish and Russian translations 0.67-0.89, and same_fact gave the Ukrainian pairs 0.28-0.50.
USE_LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt",
                           "ru", "th", "tr", "zh"})
# multilingual-e5-small reads about 100 languages (the same Ukrainian pairs: 0.86-0.90, against
# 0.74-0.77 for the best other sentence) but embeds about 40 passages/s here against the
# multilingual encoder's 507 (bench_embed, one run): passages are embedded with it only in the
# events with a passage outside USE_LANGUAGES or with two languages (needs_wide). Its cosine
# of a pair with such a passage is read in place of the multilingual encoder's (cut to [-1, 1]
# on the multilingual scale); a translated pair in two covered languages reads the mean of
# both ("both" below). The two encoders err apart on translations: on STS-B dev the mean ranks
# EN-RU at Spearman 0.802 and EN-DE at 0.810, against 0.770 / 0.779 for the multilingual
# encoder and 0.725 / 0.766 for e5 (plain cosines); same_fact, with the verifier retrained on
# it, 0.765 -> 0.793 and 0.771 -> 0.798 (languages detected; given: 0.771 -> 0.801 and
# 0.775 -> 0.801). In the Istanbul demo its translated links went from
# 72, 32 read as the same claim, to 70 with 36 (issue-7 note).
# English pairs do not read it. Tried as a thirteenth feature (e5's cosine of every pair, the
# verifier retrained on the same data), it became the largest coefficient and gave STS-B dev
# EN-EN 0.881 against 0.862, EN-RU / EN-DE unchanged (0.791 / 0.801), MSRP test F1 0.817
# against 0.820, and NewsWCL50 links no better curve (held-out P 0.907 / R 0.315 at 0.65
# against 0.891 / 0.275, dev P 0.761 / R 0.361 at 0.7 against 0.787 / 0.315); but it embeds
# 25 passages/s against MiniLM's 143 (bench_embed; MSRP sentences 19/s against 185, with one
# or two threads alike), so BASIL's cold analysis would take about 400 s instead of 106 s
# (issue-7 note, session 17).
WIDE_ENCODER = "e5:multilingual-small"
# a * (e5 cosine) + b, per kind of pair: gives e5's cosines the mean and spread of the
# multilingual encoder's over the first 1,000 pairs of STS-B train in each language
# combination (same: en-en, ru-ru, de-de; cross: en-ru, en-de), so the verifier reads them on
# the scale it was trained on. Measured by ``python -m compare.training --wide-scale``. Read
# through e5 this way, STS-B dev EN-RU and EN-DE (first 500 pairs) keep Spearman 0.754 and
# 0.763 (tests/test_wide.py); the multilingual encoder itself: 0.785 and 0.784 on all 1,500.
# "both": a * (mean of the multilingual cosine and e5's on the "cross" scale) + b, which gives
# that mean the multilingual encoder's mean and spread over the same translated pairs.
WIDE_TO_USE = {"same": (4.069, -3.096), "cross": (4.393, -3.187), "both": (1.042, -0.02052)}
# The multilingual encoder scores a translated pair lower than the same pair in one language;
# the through-origin fit of the cross-language cosine on the same-language cosine is 0.815 on
# STS-B train (EN-RU 0.792, EN-DE 0.838; 5,749 pairs, both directions). Dividing by it gives
# the cosine the pair would have in one language.
CROSS_LANGUAGE_SHRINK = 0.815


def needs_wide(languages: Sequence[str] | np.ndarray) -> bool:
    """Whether pairs of these passages read the wide encoder (then needed for every passage):
    a passage in a known language the multilingual encoder does not cover, or passages in two
    known languages (a translated pair reads both encoders, :func:`multilingual_similarity`)."""
    languages = np.asarray(languages, dtype=object)
    return bool(uncovered(languages).any()) or len(set(languages[languages != ""])) > 1


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

