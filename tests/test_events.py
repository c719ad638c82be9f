"""Fast tests of event grouping on small hand-written articles (no model, no shared data)."""
from __future__ import annotations

import numpy as np
import pytest

from compare.errors import SettingsError
from compare.events.grouper import EventGrouper, article_features, cross_language_similarity
from compare.events.labels import event_labels, label_language
from compare.training.metrics import b_cubed

# Two earthquakes of the same kind (shared vocabulary), their coverage by three outlets each,
# and an unrelated story. Names, places, magnitudes and dates tell the earthquakes apart.
CHILE = [
    ("Magnitude 7.1 earthquake strikes central Chile\n\nA magnitude 7.1 earthquake struck near "
    "Valparaiso, Chile, on Tuesday, killing at least 12 people and toppling buildings. President "
    "Gabriel Boric declared a state of emergency in the Valparaiso region."),
    ("Chile quake kills 12 near Valparaiso\n\nAt least 12 people died when a powerful 7.1 "
    "earthquake shook Valparaiso. Boric said rescue teams were searching collapsed homes in the "
    "port city."),
    ("Deadly earthquake hits Chile's coast\n\nThe 7.1 quake centred off Valparaiso left 12 dead, "
    "Chilean officials said. Gabriel Boric visited the damaged port and promised rebuilding aid."),
]
JAPAN = [
    ("Magnitude 6.4 earthquake shakes Hokkaido, Japan\n\nA magnitude 6.4 earthquake struck "
    "Hokkaido in northern Japan on Sunday, injuring 30 people. Prime Minister Fumio Kishida said "
    "there was no tsunami threat and the Tomari nuclear plant was safe."),
    ("Japan quake injures 30 in Hokkaido\n\nThirty people were hurt when a 6.4 earthquake hit "
    "Hokkaido. Kishida told reporters the Tomari nuclear plant reported no damage."),
    ("Strong earthquake rattles northern Japan\n\nThe 6.4 quake in Hokkaido injured 30, officials "
    "said. Fumio Kishida ruled out a tsunami; the Tomari plant operator found no abnormality."),
]
BUDGET = [
    ("Parliament passes budget after long debate\n\nLawmakers in Canberra approved the federal "
    "budget on Thursday after a marathon session. Treasurer Jim Chalmers hailed the vote."),
]


def _texts() -> list[str]:
    return CHILE + JAPAN + BUDGET


def test_two_earthquakes_on_different_dates_are_two_events() -> None:
    dates = ["2023-03-07"] * 3 + ["2023-06-11"] * 3 + ["2023-05-18"]
    grouper = EventGrouper().fit(_texts(), dates)
    assert grouper.labels_.tolist() == [0, 0, 0, 1, 1, 1, 2]
    assert grouper.n_events_ == 3


def test_same_event_in_three_outlets_words_is_one_event_even_without_dates() -> None:
    grouper = EventGrouper().fit(_texts())
    assert len(set(grouper.labels_[:3].tolist())) == 1
    assert len(set(grouper.labels_[3:6].tolist())) == 1
    assert grouper.labels_[0] != grouper.labels_[3]


def test_missing_dates_are_unknown_not_errors() -> None:
    dates = ["2023-03-07", "", "2023-03-08", "", "2023-06-11", "not a date", ""]
    grouper = EventGrouper().fit(_texts(), dates)
    assert grouper.labels_.tolist() == [0, 0, 0, 1, 1, 1, 2]


def test_iso_timestamps_are_read_as_their_day() -> None:
    dates = ["2023-03-07T23:50:00Z", "2023-03-08T01:10:00+00:00", "2023-03-08"] + [""] * 4
    assert EventGrouper().fit(_texts(), dates).labels_[:3].tolist() == [0, 0, 0]


def test_the_same_story_months_apart_is_two_events() -> None:
    # Identical wording, published beyond max_gap_days: a recurring story, not one happening.
    texts = [CHILE[0], CHILE[1], CHILE[0], CHILE[1]]
    dates = ["2023-03-07", "2023-03-07", "2023-09-20", "2023-09-21"]
    assert EventGrouper().fit(texts, dates).labels_.tolist() == [0, 0, 1, 1]


def test_same_input_gives_identical_labels_numbered_by_first_appearance() -> None:
    texts = BUDGET + JAPAN + CHILE
    first = EventGrouper().fit(texts).labels_
    second = EventGrouper().fit(list(texts)).labels_
    assert np.array_equal(first, second)
    assert first.tolist() == [0, 1, 1, 1, 2, 2, 2]


def test_embeddings_are_blended_when_given() -> None:
    texts = _texts()
    # Embeddings that say "all the same": with full weight they merge everything published
    # together; with weight 0 they are ignored and the text decides.
    same = np.ones((len(texts), 4), dtype=np.float32) / 2.0
    merged = EventGrouper(embedding_weight=1.0, threshold=0.5).fit(texts, embeddings=same)
    assert merged.n_events_ == 1
    ignored = EventGrouper(embedding_weight=0.0).fit(texts, embeddings=same)
    assert ignored.n_events_ == 3 and ignored.threshold_ == pytest.approx(0.19)


def test_neighbour_graph_stays_sparse() -> None:
    texts = [f"Report {i}\n\nCity council {i} votes on budget item {i * 7} in town {i}."
             for i in range(60)]
    grouper = EventGrouper(n_neighbors=3).fit(texts)
    assert grouper.graph_.nnz <= 2 * 3 * len(texts)
    assert grouper.labels_.shape == (60,)


def test_empty_and_degenerate_inputs() -> None:
    empty = EventGrouper().fit([])
    assert empty.labels_.tolist() == [] and empty.n_events_ == 0
    assert EventGrouper().fit(["only one"]).labels_.tolist() == [0]
    blank = EventGrouper().fit(["", "  ", "the and of"])
    assert blank.labels_.tolist() == [0, 1, 2]


def test_bad_settings_and_inputs_are_refused_with_a_reason() -> None:
    with pytest.raises(SettingsError, match="threshold=0"):
        EventGrouper(threshold=0).fit(_texts())
    with pytest.raises(SettingsError, match="max_gap_days"):
        EventGrouper(grace_days=5, max_gap_days=1).fit(_texts())
    with pytest.raises(ValueError, match="published has 2 dates for 7 texts"):
        EventGrouper().fit(_texts(), ["2023-01-01", ""])


def test_anchor_features_keep_names_and_numbers() -> None:
    features = article_features([CHILE[0], JAPAN[0]], lead_paragraphs=0)
    assert features.shape[0] == 2
    assert np.allclose(np.asarray(features.multiply(features).sum(axis=1)).ravel(), 1.0)
    # The two earthquake reports share words but no names or numbers: similarity stays low.
    assert float((features[0] @ features[1].T).toarray()[0, 0]) < 0.2


def test_event_labels_use_the_most_central_title() -> None:
    texts = _texts()
    titles = [t.split("\n\n", 1)[0] for t in texts]
    labels = [0, 0, 0, 1, 1, 1, 2]
    names = event_labels(texts, titles, labels)
    assert set(names) == {0, 1, 2}
    assert names[0] in titles[:3] and names[1] in titles[3:6] and names[2] == titles[6]
    untitled = event_labels(texts, [""] * 7, labels)
    assert "hokkaido" in untitled[1] or "kishida" in untitled[1] or "tomari" in untitled[1]


def test_an_event_in_two_languages_is_labelled_in_the_language_of_most_outlets() -> None:
    # One Russian outlet with four articles, three English outlets with one each.
    texts = ["Переговоры в Стамбуле\n\nПереговоры России и Украины прошли в Стамбуле.",
             "Мединский о переговорах\n\nМединский назвал переговоры конструктивными.",
             "Итоги переговоров\n\nПереговоры России и Украины в Стамбуле завершились.",
             "Стамбул\n\nВ Стамбуле прошли переговоры.",
             "Talks in Istanbul end\n\nRussia and Ukraine held peace talks in Istanbul.",
             "Istanbul talks\n\nRussian and Ukrainian negotiators met in Istanbul.",
             "Peace talks resume\n\nThe peace talks in Istanbul ended on Tuesday."]
    titles = [t.split("\n\n", 1)[0] for t in texts]
    languages = ["ru"] * 4 + ["en"] * 3
    outlets = ["Lenta.ru"] * 4 + ["NYT", "Guardian", "HuffPost"]
    assert label_language(languages, outlets) == "en"
    names = event_labels(texts, titles, [0] * 7, languages=languages, outlets=outlets)
    assert names[0] in titles[4:]
    # Without languages the most central title wins, whatever its language.
    assert event_labels(texts, titles, [0] * 7)[0] in titles
    # Ties in outlets go to the language with more articles; unknown counts last.
    assert label_language(["ru", "ru", "en"], ["A", "A", "B"]) == "ru"
    assert label_language(["", "", "de"], ["A", "B", "C"]) == "de"
    assert label_language(["", ""], ["A", "B"]) == ""


def test_b_cubed_matches_hand_computed_values() -> None:
    assert b_cubed([0, 0, 1, 1], ["a", "a", "b", "b"]) == (1.0, 1.0, 1.0)
    precision, recall, f1 = b_cubed([0, 0, 0, 0], ["a", "a", "b", "b"])
    assert precision == pytest.approx(0.5) and recall == pytest.approx(1.0)
    assert f1 == pytest.approx(2 / 3)
    precision, recall, _ = b_cubed([0, 1, 2, 3], ["a", "a", "b", "b"])
    assert precision == pytest.approx(1.0) and recall == pytest.approx(0.5)
    with pytest.raises(ValueError):
        b_cubed([0], [0, 1])


# The Chile earthquake as a Russian outlet reports it: no word, and no name spelling, in common
# with the English coverage.
CHILE_RU = ("Землетрясение магнитудой 7,1 произошло в Чили\n\nВ результате землетрясения "
            "вблизи Вальпараисо погибли по меньшей мере 12 человек. Президент Габриэль Борич "
            "объявил режим чрезвычайной ситуации.")


def _leads_for(groups: list[int]) -> np.ndarray:
    """Hand-made lead vectors: one direction per group (what a multilingual encoder gives
    articles that report the same thing)."""
    basis = np.eye(4, dtype=np.float32)
    return basis[groups]


def test_articles_in_two_languages_form_one_event_through_their_leads() -> None:
    texts = [*CHILE, *JAPAN, CHILE_RU]
    languages = ["en"] * 6 + ["ru"]
    leads = _leads_for([0, 0, 0, 1, 1, 1, 0])
    words_only = EventGrouper().fit(texts).labels_
    assert words_only[6] not in words_only[:3]  # TF-IDF alone cannot read the Russian report
    joined = EventGrouper().fit(texts, languages=languages, lead_embeddings=leads).labels_
    assert joined.tolist() == [0, 0, 0, 1, 1, 1, 0]
    off = EventGrouper(cross_language=False).fit(texts, languages=languages,
                                                 lead_embeddings=leads).labels_
    assert off.tolist() == words_only.tolist()


def test_a_language_the_multilingual_encoder_lacks_is_read_from_the_wide_leads() -> None:
    # Ukrainian is outside the multilingual encoder's languages: its leads' cosine is not
    # trusted, the wide encoder's (on the multilingual scale) is.
    texts = [*CHILE, *JAPAN, CHILE_RU]
    languages = ["en"] * 6 + ["uk"]
    drifting = _leads_for([0, 0, 0, 1, 1, 1, 2])  # what USE gives a language it never saw
    wide = _leads_for([0, 0, 0, 1, 1, 1, 0])
    alone = EventGrouper().fit(texts, languages=languages, lead_embeddings=drifting).labels_
    assert alone[6] not in alone[:3]
    joined = EventGrouper().fit(texts, languages=languages, lead_embeddings=drifting,
                                wide_lead_embeddings=wide).labels_
    assert joined.tolist() == [0, 0, 0, 1, 1, 1, 0]
    # in covered languages the wide leads are never read
    covered = EventGrouper().fit(texts, languages=["en"] * 6 + ["ru"],
                                 lead_embeddings=drifting, wide_lead_embeddings=wide).labels_
    assert covered.tolist() == alone.tolist()


def test_leads_never_change_pairs_in_one_language_or_of_unknown_language() -> None:
    texts = [*CHILE, *JAPAN, *BUDGET]
    everything_alike = np.full((len(texts), 4), 0.5, dtype=np.float32)
    plain = EventGrouper().fit(texts).labels_.tolist()
    one_language = EventGrouper().fit(texts, languages=["en"] * 7,
                                      lead_embeddings=everything_alike).labels_.tolist()
    assert one_language == plain
    # an article whose language is unknown is compared by its words only
    unknown = EventGrouper().fit(texts, languages=["en"] * 6 + [""],
                                 lead_embeddings=everything_alike).labels_.tolist()
    assert unknown == plain
    # a second language: only the pairs across it are read from the leads
    words = EventGrouper().fit(texts).graph_.toarray()
    mixed = EventGrouper().fit(texts, languages=["en"] * 6 + ["de"],
                               lead_embeddings=everything_alike).graph_.toarray()
    np.testing.assert_array_equal(mixed[:6, :6], words[:6, :6])
    assert np.all(mixed[6, :6] > words[6, :6])


def test_cross_language_similarity_is_on_the_tfidf_scale() -> None:
    cosines = np.array([0.0, 0.3, 0.38, 0.54, 0.7, 1.0])
    predicted = cross_language_similarity(cosines)
    assert predicted[0] == predicted[1] == 0.0  # unrelated leads count as nothing
    assert np.all(np.diff(predicted) >= 0)
    # a cross-language cosine of about 0.54 (0.66 in one language) reaches the default threshold
    assert predicted[3] == pytest.approx(0.19, abs=0.01)
    with pytest.raises(ValueError, match="languages and"):
        EventGrouper().fit(_texts(), languages=["en"] * 7, lead_embeddings=np.ones((3, 4)))


def test_two_reports_of_one_happening_in_chinese_are_one_event() -> None:
    # Chinese is written without spaces: read as whole clauses, the two football reports shared
    # no word (similarity 0.00); read as character pairs, 0.42.
    texts = [("阿雷格里港发生6.1级地震\n\n周一，沿海城市阿雷格里港发生6.1级地震，造成12人死亡、数十人"
             "受伤，官员表示。市长表示，救援队整夜在倒塌的建筑物中搜寻。政府宣布全国哀悼三天。"),
             ("巴西南部强烈地震致12死\n\n巴西南部沿海城市阿雷格里港周一遭遇强烈地震，震级为6.1级。当局称"
             "地震已造成12人遇难，数十人受伤。救援人员连夜在废墟中搜救幸存者，政府宣布全国哀悼三天。"),
             ("国家队赢得亚洲杯决赛\n\n周一晚上，国家足球队在决赛中以2比1击败对手，赢得亚洲杯冠军。主教练"
             "表示，球员们在整个比赛中表现出色。数万名球迷在首都街头庆祝。"),
             ("足球：国家队夺得亚洲杯\n\n国家足球队周一在亚洲杯决赛中2比1获胜，夺得冠军。数万名球迷涌上"
             "首都街头庆祝胜利，主教练称赞球员们的表现。")]
    grouper = EventGrouper().fit(texts, ["2026-11-02"] * 4)
    assert grouper.labels_.tolist() == [0, 0, 1, 1]


def test_the_approximate_neighbour_search_groups_as_every_pair_does() -> None:
    dates = ["2023-03-07"] * 3 + ["2023-06-11"] * 3 + ["2023-05-18"]
    exact = EventGrouper(exact_up_to=None).fit(_texts(), dates)
    approximate = EventGrouper(exact_up_to=0, n_neighbors=3, candidates=3).fit(_texts(), dates)
    assert approximate.labels_.tolist() == exact.labels_.tolist() == [0, 0, 0, 1, 1, 1, 2]
    # Each article keeps at most its 3 best candidates; every kept pair is scored exactly.
    kept = approximate.graph_.tocoo()
    assert np.allclose(kept.data, exact_pairs(exact, kept.row, kept.col), atol=1e-5)
    again = EventGrouper(exact_up_to=0, n_neighbors=3, candidates=3).fit(_texts(), dates)
    assert (again.graph_ != approximate.graph_).nnz == 0  # the index is deterministic


def exact_pairs(exact: EventGrouper, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The similarities every-pair scoring gives (the exact graph keeps all 6 neighbours)."""
    return np.asarray(exact.graph_[rows, cols]).ravel()


def test_the_approximate_path_is_checked() -> None:
    with pytest.raises(SettingsError, match="candidates=10"):
        EventGrouper(n_neighbors=50, candidates=10).fit(_texts())
    with pytest.raises(SettingsError, match="exact_up_to=-1"):
        EventGrouper(exact_up_to=-1).fit(_texts())
