"""Quality gates of the same-fact matcher on real data (../shared/data), with the real models.

What each gold is, and how it is built (nothing is copied into the repo):
- MSRP *test* (1,725 pairs of news sentences from one story, judged paraphrase or not by two
  annotators): F1 of ``same_fact`` at the verifier's documented threshold; the Brier score of
  the probability is printed. The verifier never saw the test split.
- STS benchmark *dev* (1,500 pairs with a gold similarity 0-5; the Russian and German files
  are machine translations, row for row): Spearman correlation of ``same_fact`` with the gold,
  English-English and cross-lingual (sentence 1 in English, sentence 2 in Russian or German).
  Languages are not given: ``same_fact`` detects them, as a user's call would.
- NewsWCL50 *held-out* events 5-9 (``compare.training.verifier.newswcl_links``): sentences of
  different articles of one event are gold same-fact pairs when they share a cross-document
  mention chain (EVENT, ACTION or MISC concepts), except the chains that cover more than 40 %
  of their event's sentences (they link nearly everything). Mentions are located in the text
  by their tokens and context and mapped to pysbd sentences. A *link* is what the side by side
  shows: for each sentence and each other outlet, the counterpart ranked best, kept when its
  probability reaches the threshold. Precision is over links whose two sentences both carry a
  mention (elsewhere the gold is silent); sentence recall is the share of gold sentences with a
  correct link. The chains are concepts, not claims: two sentences about the same visit can
  sit in different chains ("visit" and "protest"), so this precision understates the
  same-fact precision a reader sees (see the issue-7 note for rows read one by one).
  Events 0-4 are the verifier's training data (dev); only 5-9 are gated.
Baselines printed beside each figure: the round-1 aligner (MiniLM cosine at 0.74) on MSRP and
the plain best-match MiniLM cosine on NewsWCL50.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from compare import same_fact
from compare.facts.signals import FEATURES
from compare.facts.verifier import Verifier, load_verifier
from compare.training import verifier as T
from tests.shared_data import DATA, need

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.real

OLD_COSINE_THRESHOLD = 0.74  # round 1's aligner: MiniLM cosine, F0.5-max on MSRP train

# Floors: measured values (2 cores, pinned packages) minus a small margin; figures and the
# logistic-regression verifier's before them: docs/evaluation.md#msrp, #sts-b, #newswcl50.
MSRP_TEST_F1_FLOOR = 0.80  # measured 0.820, Brier 0.166
STS_EN_EN_FLOOR = 0.80  # measured 0.881, languages detected (MiniLM cosine alone: 0.867)
STS_CROSS_FLOOR = 0.65  # measured EN-RU 0.800, EN-DE 0.809
# Two passages in one language other than English: measured RU-RU 0.840, DE-DE 0.853. Kept so
# that two Russian outlets are never compared worse than a Russian and an English one.
STS_SAME_OTHER_FLOOR = 0.75
# How often a pair the STS gold calls nearly the same (4 or more) reaches the threshold, and a
# pair it calls different (2 or less) does, in every language pair: measured, languages
# detected, 0.830-0.936 / 0.020-0.056. A fact told by two outlets of one language must be found
# about as often in every language.
STS_SAME_REACHES_FLOOR = 0.65
STS_DIFFERENT_REACHES_CEILING = 0.08
# Measured at 0.59: P 0.968 over 62 judged links, sentence recall 0.224 (its ceiling 0.224).
NEWSWCL_LINK_PRECISION_FLOOR = 0.90
NEWSWCL_SENTENCE_RECALL_FLOOR = 0.15


def _need(path: Path) -> Path:
    return need(str(path.relative_to(DATA)))


@pytest.fixture(scope="module")
def encoders() -> tuple[Any, Any, Any]:
    return (*T.default_encoders(), T.wide_encoder())


def _prf(scores: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float, float]:
    predicted = scores >= threshold
    tp = float((predicted & (labels == 1)).sum())
    precision, recall = tp / max(predicted.sum(), 1), tp / max((labels == 1).sum(), 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9)


def test_verifier_artifact_names_its_features_and_training_data() -> None:
    verifier = load_verifier()
    assert tuple(verifier.meta["features"]) == FEATURES
    data = _need(DATA)
    assert verifier.meta["training_data"] == T.file_hashes(data), (
        "the shipped verifier was trained on other data: run `python -m compare.training`")
    assert 0 < verifier.closest_floor < verifier.threshold < 1
    assert verifier.meta["cross_validation"]["ap"] > 0.6
    # only what training adds ships: the trees, well under the few megabytes
    assert (ROOT / "compare" / "facts" / "data" / "verifier.json").stat().st_size < 1_000_000


def test_the_same_count_told_differently_across_languages_is_one_fact() -> None:
    english = "At least 820 people were killed and more than 670 injured, the Interior Ministry said."
    other = ["El Ministerio del Interior informó de al menos 632 muertos y 329 heridos.",
             ("Nach Angaben des Innenministeriums kamen mindestens 632 Menschen ums Leben, "
              "329 wurden verletzt.")]
    unrelated = "Spain offered to send 56 rescuers and four search dogs."
    p = same_fact([english, english, english], [*other, unrelated])
    threshold = load_verifier().threshold
    # The German telling reaches 0.51 since e5 reads every pair (0.62 before): shown as a
    # weaker link, a recall miss recorded in docs/evaluation.md#fact-links--verifier.
    assert p[0] >= threshold and p[1] >= 0.5 and p[2] < 0.5 and p[1] - p[2] > 0.4, p


def test_short_texts_in_another_script_are_not_one_fact() -> None:
    # Short texts in another script stay undecided, and MiniLM's cosine of them means nothing:
    # "talks" / "sanctions" in Chinese scored 0.90 when MiniLM read every undecided pair.
    assert same_fact(["谈判"], ["制裁"])[0] < 0.5


def test_msrp_test_f1_at_the_documented_threshold(encoders: Any) -> None:
    rows = T.read_msrp(_need(DATA / "msrp" / "msr_paraphrase_test.txt"))
    labels = np.array([r[0] for r in rows])
    probability = same_fact([r[1] for r in rows], [r[2] for r in rows])
    threshold = load_verifier().threshold
    p, r, f1 = _prf(probability, labels, threshold)
    brier = float(((probability - labels) ** 2).mean())
    _use, minilm, _wide = encoders
    a, b = minilm([r[1] for r in rows]), minilm([r[2] for r in rows])
    bp, br, bf1 = _prf((a * b).sum(axis=1), labels, OLD_COSINE_THRESHOLD)
    print(f"\nMSRP test same_fact@{threshold}: P={p:.3f} R={r:.3f} F1={f1:.3f} Brier={brier:.3f}"
          f" | MiniLM cosine@{OLD_COSINE_THRESHOLD}: P={bp:.3f} R={br:.3f} F1={bf1:.3f}")
    assert f1 >= MSRP_TEST_F1_FLOOR


def test_a_short_translation_is_read_as_one() -> None:
    # Each Russian sentence alone is undecided for the language detector (Russian 0.31-0.44);
    # read as English beside the English one, the translations scored 0.40-0.52.
    english = ["A man plays the violin.", "A man is playing a guitar.", "A plane is landing."]
    russian = ["Человек играет на скрипке.", "Человек играет на гитаре.",
               "Самолет приземляется."]
    p = same_fact([*english, english[1]], [*russian, "Женщина чистит картошку."])
    assert (p[:3] >= load_verifier().threshold).all() and p[3] < 0.2, p


@pytest.mark.parametrize(("first", "other"), [("en", "en"), ("en", "ru"), ("en", "de"),
                                              ("ru", "ru"), ("de", "de")])
def test_sts_dev_spearman_in_every_language_pair(first: str, other: str) -> None:
    from scipy.stats import spearmanr

    left = T.read_sts(_need(DATA / "stsb"), first, "dev")
    second = T.read_sts(DATA / "stsb", other, "dev")
    probability = same_fact([r[0] for r in left], [r[1] for r in second])
    gold = np.array([r[2] for r in left])
    rho = float(spearmanr(probability, gold).statistic)
    reaches = probability >= load_verifier().threshold
    same, different = reaches[gold >= 4].mean(), reaches[gold <= 2].mean()
    print(f"\nSTS-B dev {first.upper()}-{other.upper()}: Spearman {rho:.3f}; reaching the "
          f"threshold: {same:.3f} of the pairs with gold >= 4, {different:.3f} of those <= 2")
    floor = {("en", "en"): STS_EN_EN_FLOOR}.get(
        (first, other), STS_CROSS_FLOOR if first != other else STS_SAME_OTHER_FLOOR)
    assert rho >= floor
    assert same >= STS_SAME_REACHES_FLOOR and different <= STS_DIFFERENT_REACHES_CEILING


def test_newswcl50_held_out_links(encoders: Any) -> None:
    use, minilm, wide = encoders
    data = _need(DATA / "newswcl50").parent
    ours = T.newswcl_links(data, use, minilm, wide, load_verifier())
    cosine = Verifier.from_dict({  # one split: MiniLM's cosine from OLD_COSINE_THRESHOLD
        "features": list(FEATURES), "threshold": 0.5, "closest_floor": 0.1,
        "trees": {"baseline": 0.0, "roots": [0], "feature": [FEATURES.index("minilm"), 0, 0],
                  "threshold": [OLD_COSINE_THRESHOLD, 0.0, 0.0], "missing_left": [1, 0, 0],
                  "left": [1, -1, -1], "right": [2, -1, -1], "leaf": [0, 1, 1],
                  "value": [0.0, -5.0, 5.0]}})
    base = T.newswcl_links(data, use, minilm, wide, cosine)
    print(f"\nNewsWCL50 held-out links: {ours['links']} links ({ours['judged']} judged) "
          f"P={ours['precision']:.3f} sentence R={ours['sentence_recall']:.3f} | MiniLM "
          f"best-match cosine@{OLD_COSINE_THRESHOLD}: {base['links']} links P="
          f"{base['precision']:.3f} sentence R={base['sentence_recall']:.3f}\n"
          f"  recall ceiling at the threshold (gold sentences with a gold partner reaching it): "
          f"{ours['sentence_ceiling']:.3f}")
    # No link is correct without a gold pair at the threshold: recall above the ceiling would
    # mean links or gold read wrong.
    assert ours["sentence_recall"] <= ours["sentence_ceiling"]
    assert ours["precision"] >= NEWSWCL_LINK_PRECISION_FLOOR
    assert ours["sentence_recall"] >= NEWSWCL_SENTENCE_RECALL_FLOOR
