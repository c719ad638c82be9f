"""Quality gates for event grouping on real multi-outlet coverage (``../shared/data``).

How the defaults were chosen (B-cubed F1 of ``EventGrouper`` defaults except the threshold, TF-IDF
only, no embeddings; measured with this code):

    threshold   0.100 0.125 0.150 0.175 0.190 0.200 0.225 0.250 0.275 0.300
    BASIL       0.993 0.998 0.991 0.986 0.973 0.963 0.950 0.926 0.910 0.875
    NewsWCL50   0.947 0.947 0.947 1.000 1.000 1.000 0.984 0.984 0.918 0.874

NewsWCL50's step at 0.175 is its two North Korea events (Pompeo's secret visit, 17 April; the
test moratorium, 20 April) merging below it; BASIL loses recall above ~0.2 as triplets whose
outlets wrote days apart split. Both stay >= 0.95 over 0.175-0.225; the default 0.19 sits inside,
away from the NewsWCL50 step. Time parameters (grace 1 day, e-folding 3 days) were picked from a
grid (grace 1-3, scale 3-14) as the pair with the widest such common region. With MiniLM
embeddings blended at 0.5, thresholds 0.325-0.425 give BASIL 0.961-0.986 and NewsWCL50 1.000;
default 0.375. Without any dates, the text alone gives BASIL 0.950 and NewsWCL50 0.947 at 0.2.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from compare.embed.embedders import Embedder, make_embedder
from compare.embed.scales import MULTILINGUAL_ENCODER
from compare.events.grouper import CROSS_LANGUAGE_SHRINK, EventGrouper
from compare.training.metrics import b_cubed
from corpus.language import article_language
from tests.shared_data import need

pytestmark = pytest.mark.real

# Pinned floors: measured 0.973 (BASIL) and 1.000 (NewsWCL50) at the defaults. Raise when the
# method improves; never lower silently.
BASIL_F1_FLOOR = 0.97
NEWSWCL50_F1_FLOOR = 0.98


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _texts(rows: list[dict[str, str]]) -> list[str]:
    return [(row.get("title") or "") + "\n\n" + (row.get("text") or "") for row in rows]


def _baseline_f1(texts: list[str], gold: list[str]) -> tuple[float, str]:
    """TF-IDF + agglomerative clustering at its best threshold and linkage (oracle-tuned)."""
    matrix = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    dense = matrix.toarray()
    best = (0.0, "")
    for linkage in ("average", "complete"):
        for threshold in np.arange(0.05, 0.501, 0.025):
            labels = AgglomerativeClustering(
                n_clusters=None, metric="cosine", linkage=linkage,
                distance_threshold=1 - threshold,
            ).fit_predict(dense)
            f1 = b_cubed(labels, gold)[2]
            if f1 > best[0]:
                best = (f1, f"{linkage} linkage, cosine >= {threshold:.3f}")
    return best


# Each gate runs twice: every pair scored (the default at this size), and with the candidates
# of the approximate index that corpora above ``exact_up_to`` articles use.
SEARCHES = pytest.mark.parametrize("exact_up_to", [None, 0], ids=["every-pair", "approximate"])


@SEARCHES
def test_basil_events_reach_the_floor_and_beat_the_baseline(exact_up_to: int | None) -> None:
    rows = _read(need("basil/articles.jsonl"))
    texts = _texts(rows)
    gold = [row["event_id"] for row in rows]
    grouper = EventGrouper(exact_up_to=exact_up_to).fit(texts, [row["published"] for row in rows])
    precision, recall, f1 = b_cubed(grouper.labels_, gold)
    baseline, how = _baseline_f1(texts, gold)
    print(
        f"\nBASIL events: P={precision:.3f} R={recall:.3f} F1={f1:.3f} "
        f"({grouper.n_events_} events for 100 gold); baseline TF-IDF + agglomerative "
        f"F1={baseline:.3f} at its best setting ({how}); ratio {f1 / baseline:.3f}"
    )
    assert f1 >= BASIL_F1_FLOOR
    assert f1 > baseline


@SEARCHES
def test_newswcl50_events_reach_the_floor_with_missing_dates(exact_up_to: int | None) -> None:
    rows = _read(need("newswcl50/articles.jsonl"))
    assert sum(1 for row in rows if not row["published"]) > 0  # the point: some dates missing
    gold = [row["event_id"] for row in rows]
    grouper = EventGrouper(exact_up_to=exact_up_to).fit(_texts(rows),
                                                        [row["published"] for row in rows])
    precision, recall, f1 = b_cubed(grouper.labels_, gold)
    print(f"\nNewsWCL50 events: P={precision:.3f} R={recall:.3f} F1={f1:.3f}")
    assert f1 >= NEWSWCL50_F1_FLOOR


def _istanbul() -> tuple[list[dict[str, str]], list[int]]:
    rows = _read(need("ukraine/istanbul_2022.jsonl")) + _read(need("istanbul/seed_article.jsonl"))
    full = [i for i, row in enumerate(rows)
            if not (row.get("text_kind") or "").startswith("title + summary")]
    return rows, full


def test_istanbul_coverage_groups_the_same_happening_across_sources() -> None:
    rows, _ = _istanbul()
    grouper = EventGrouper().fit(_texts(rows), [row["published"] for row in rows])
    by_title = {row["title"].strip(): grouper.labels_[i] for i, row in enumerate(rows)}
    print(f"\nIstanbul material: {len(rows)} items -> {grouper.n_events_} events")
    # The Zelensky-Biden call of 30 March: a Ukrinform headline + lede and the full
    # president.gov.ua release, in different words, are one happening.
    assert by_title["Zelensky has hour-long conversation with Biden"] == by_title[
        "Volodymyr Zelenskyy had an hour-long phone conversation with Joseph Biden"]
    # Two Ukrinform reports of the talks opening in Istanbul are one happening.
    assert by_title["Next round of Russia-Ukraine negotiations to take place in Istanbul today"] \
        == by_title["New round of Ukraine-Russia talks underway in Istanbul"]


@pytest.mark.xfail(
    strict=True,
    reason="Known gap: at the default threshold the 11 full-text Istanbul items (28-31 March "
    "2022) form 6 events (the talks' treaty proposal, the Kremlin's phone calls, Zelensky's "
    "addresses, the Biden call, the humanitarian corridors, the seed opinion piece). They "
    "become one only at threshold ~0.05, where NewsWCL50 merges distinct events (F1 0.67): "
    "the material is one story of several happenings, not one happening.",
)
def test_istanbul_full_text_items_form_one_event() -> None:
    rows, full = _istanbul()
    grouper = EventGrouper().fit(_texts(rows), [row["published"] for row in rows])
    assert len(set(grouper.labels_[full].tolist())) == 1


def test_istanbul_full_text_items_form_one_story_at_a_coarse_threshold() -> None:
    rows, full = _istanbul()
    grouper = EventGrouper(threshold=0.05).fit(_texts(rows), [row["published"] for row in rows])
    assert len(set(grouper.labels_[full].tolist())) == 1


# -- across languages -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lead_encoder() -> Embedder:
    return make_embedder(MULTILINGUAL_ENCODER)


# Pinned floors of the cross-language path alone (measured: BASIL F1 0.942, P 1.000; NewsWCL50
# F1 0.954, P 1.000). Raise when the method improves; never lower silently.
CROSS_BASIL_F1_FLOOR = 0.93
CROSS_NEWSWCL50_F1_FLOOR = 0.94


@pytest.mark.parametrize(("path", "floor"), [("basil/articles.jsonl", CROSS_BASIL_F1_FLOOR),
                                             ("newswcl50/articles.jsonl",
                                              CROSS_NEWSWCL50_F1_FLOOR)])
@SEARCHES
def test_the_cross_language_path_alone_groups_events(lead_encoder: Embedder, path: str,
                                                     floor: float, exact_up_to: int | None
                                                     ) -> None:
    """What the grouper would do if every outlet wrote in its own language.

    Gold: the datasets' events. Every outlet is given a language of its own, so every pair of
    articles from two outlets is scored by its leads only (``cross_language_similarity``), never
    by shared words. Real translations lower the multilingual cosine by the factor
    ``CROSS_LANGUAGE_SHRINK`` (STS-B train); scaling every lead vector by its square root
    gives each cross-outlet pair that lower cosine, so the test sees what a translated corpus
    would give. Baseline in the same test: TF-IDF across languages scores such pairs near 0,
    so at best each event splits into one group per outlet."""
    rows = _read(need(path))
    texts, gold = _texts(rows), [row["event_id"] for row in rows]
    outlets = [row["outlet"] for row in rows]
    grouper = EventGrouper(exact_up_to=exact_up_to)
    leads = lead_encoder.encode(grouper.leads(texts)) * np.sqrt(CROSS_LANGUAGE_SHRINK)
    grouper.fit(texts, [row["published"] for row in rows], languages=outlets,
                lead_embeddings=leads)
    precision, recall, f1 = b_cubed(grouper.labels_, gold)
    # words alone across languages at their best: each event perfectly, but one per outlet
    apart = b_cubed([f"{g}|{o}" for g, o in zip(gold, outlets, strict=True)], gold)
    print(f"\n{path}: outlets as languages P {precision:.3f} R {recall:.3f} F1 {f1:.3f}; "
          f"outlets kept apart F1 {apart[2]:.3f}")
    assert precision >= 0.99 and f1 >= floor
    assert f1 > apart[2] + 0.2


def test_istanbul_coverage_in_russian_and_english_shares_events(lead_encoder: Embedder) -> None:
    """The 81 real articles of 28-31 March 2022 (Lenta.ru in Russian; the New York Times, The
    Guardian and HuffPost in English), languages detected from the text. Gold: the dataset's
    one event (the talks); its B-cubed precision is 1 for any grouping, so recall is what moves.
    With words only, no event holds both languages."""
    rows = _read(need("istanbul/coverage_2022-03-28_31.jsonl"))
    texts, gold = _texts(rows), [row["event_id"] for row in rows]
    published = [row["published"] for row in rows]
    languages = [article_language("", row["title"], row["text"]) for row in rows]
    assert {"en", "ru"} <= set(languages)
    words_only = EventGrouper().fit(texts, published).labels_
    grouper = EventGrouper()
    leads = lead_encoder.encode(grouper.leads(texts))
    labels = grouper.fit(texts, published, languages=languages, lead_embeddings=leads).labels_

    def mixed(labels: np.ndarray) -> list[int]:
        return [e for e in set(labels.tolist())
                if len({languages[i] for i in np.flatnonzero(labels == e)}) > 1]

    assert mixed(words_only) == []
    largest = np.bincount(labels).argmax()
    outlets = {rows[i]["outlet"] for i in np.flatnonzero(labels == largest)}
    print(f"\nIstanbul coverage: words only {len(set(words_only.tolist()))} events, none mixed;"
          f" with leads {grouper.n_events_} events, {len(mixed(labels))} mixed; largest: "
          f"{sorted(outlets)}; recall {b_cubed(words_only, gold)[1]:.3f} -> "
          f"{b_cubed(labels, gold)[1]:.3f}")
    assert "Lenta.ru" in outlets and len(outlets) >= 3
    assert b_cubed(labels, gold)[1] >= b_cubed(words_only, gold)[1] + 0.05
