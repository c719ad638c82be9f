"""Framing across languages: word choice within one language, tone only where measured,
substitutions only between passages in one language, English lexicons only on English text,
and no signal computed a second time (tone and speakers arrive from analyze and passages).

The English passages are test_framing's TASS and Reuters sentences; two Russian-language outlets
tell the same talks in their own words (written for the test, not real articles).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from compare.framing.signals import FramingSettings, framing_signals
from tests.test_framing import EVENT, _frames

# (topic, RIA sentence, Lenta sentence); RIA writes "спецоперация" and "Киев", Lenta "вторжение".
RUSSIAN = [
    ("ops", "Спецоперация продолжится до достижения целей, заявил Мединский в Стамбуле.",
            "Вторжение продолжится до достижения целей, заявил Мединский в Стамбуле."),
    ("ops", "Спецоперация сосредоточится на Донбассе, сообщило министерство обороны.",
            "Вторжение сосредоточится на Донбассе, сообщило министерство обороны."),
    ("kiev", "Киев впервые передал свои предложения в письменном виде, сказал Мединский.",
             "Украина впервые передала свои предложения в письменном виде, сказал Мединский."),
    ("kiev", "Войска под Киевом перегруппируются, спецоперация идёт по плану.",
             "Войска под Киевом отступают, вторжение буксует, пишут аналитики."),
    ("talks", "Переговоры в Стамбуле были конструктивными, заявил Мединский.",
              "Переговоры в Стамбуле не принесли прорыва, пишут аналитики."),
    ("talks", "Делегация Киева предложила нейтральный статус страны, заявил Мединский.",
              "Украина предложила нейтральный статус в обмен на гарантии, пишут аналитики."),
]
LOOSE = FramingSettings(z_threshold=1.0, min_term_count=1)


def _mixed() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The English talks plus the Russian outlets in the same event and topics; no tone for
    Russian (analyze's VADER reads English only)."""
    english, aligns = _frames()
    russian = pd.DataFrame([
        {"passage_id": f"{outlet[0].lower()}{i}", "outlet": outlet, "event_id": EVENT,
         "topic_id": f"{EVENT}:{topic}", "text": text, "is_quote": False, "speaker": "",
         "tone": np.nan, "language": "ru"}
        for i, (topic, ria, lenta) in enumerate(RUSSIAN)
        for outlet, text in (("RIA", ria), ("Lenta", lenta))])
    return pd.concat([english.assign(language="en"), russian], ignore_index=True), aligns


def _cyrillic(term: str) -> bool:
    return any("а" <= ch <= "я" or ch == "ё" for ch in term)


def test_word_choice_compares_each_outlet_with_outlets_of_its_language() -> None:
    english, aligns = _frames()
    passages, _ = _mixed()
    alone = framing_signals(english, aligns, settings=LOOSE)
    mixed = framing_signals(passages, aligns, settings=LOOSE)
    words = mixed[mixed["signal"] == "word_choice"]
    en = words[words["outlet"].isin(["TASS", "Reuters"])]
    ru = words[words["outlet"].isin(["RIA", "Lenta"])]
    # The English outlets' statistics are untouched by the Russian coverage...
    before = alone[alone["signal"] == "word_choice"].reset_index(drop=True)
    assert en["detail"].str.endswith(" (language: en)").all()
    after = en.assign(detail=en["detail"].str.removesuffix(" (language: en)"))
    pd.testing.assert_frame_equal(after.reset_index(drop=True), before)
    # ...and the Russian outlets are compared with each other, in Russian words.
    assert {"спецоперация", "вторжение"} <= set(ru["term"])
    assert ru["term"].map(_cyrillic).all() and not en["term"].map(_cyrillic).any()
    assert ru["detail"].str.endswith(" (language: ru)").all()
    assert set(ru.loc[ru["term"] == "спецоперация", "outlet"]) == {"RIA", "Lenta"}


def test_an_outlet_alone_in_its_language_has_no_word_choice() -> None:
    passages, aligns = _mixed()
    table = framing_signals(passages[passages["outlet"] != "Lenta"], aligns, settings=LOOSE)
    assert "RIA" not in set(table.loc[table["signal"] == "word_choice", "outlet"])
    assert {"TASS", "Reuters"} <= set(table.loc[table["signal"] == "word_choice", "outlet"])


def test_tone_is_not_measured_rather_than_zero() -> None:
    english, aligns = _frames()
    passages, _ = _mixed()
    # Reuters also ran one Russian-language passage: it has no tone either.
    extra = {"passage_id": "r99", "outlet": "Reuters", "event_id": EVENT, "topic_id": "",
             "text": "Переговоры продолжатся.", "tone": np.nan, "language": "ru"}
    passages = pd.concat([passages, pd.DataFrame([extra])], ignore_index=True)
    tone = framing_signals(passages, aligns).query("signal == 'tone' and topic_id == ''")
    before = framing_signals(english, aligns).query("signal == 'tone' and topic_id == ''")
    assert set(tone["outlet"]) == {"TASS", "Reuters"}  # RIA and Lenta: no measured passage
    cols = ["outlet", "value", "z_score", "count", "passage_ids"]
    pd.testing.assert_frame_equal(tone[cols].reset_index(drop=True),
                                  before[cols].reset_index(drop=True))
    reuters = tone.set_index("outlet").loc["Reuters", "detail"]
    assert reuters.startswith("mean of 18 passages (1 more not measured")


def test_framing_computes_neither_tone_nor_speakers(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: object) -> None:
        raise AssertionError("computed again in framing")

    monkeypatch.setattr("compare.framing.signals.passage_tone", boom)
    monkeypatch.setattr("compare.framing.signals.attribution", boom, raising=False)
    passages, aligns = _frames()
    table = framing_signals(passages.drop(columns=["tone", "speaker"]), aligns)
    assert not table["signal"].isin(["tone", "source"]).any()
    assert {"word_choice", "substitution", "hedge"} <= set(table["signal"])


def _pair(text_b: str, language_b: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    passages = pd.DataFrame({
        "passage_id": ["a1", "b1", "a2", "b2"], "outlet": ["A", "B", "A", "B"],
        "event_id": "e", "topic_id": "",
        "text": ["Troops near Kiev regrouped overnight.", text_b,
                 "Troops near Kiev regrouped again.", text_b.replace("overnight", "again")],
        "tone": 0.0, "language": ["en", language_b, "en", language_b]})
    aligns = pd.DataFrame({"passage_id_a": ["a1", "a2"], "passage_id_b": ["b1", "b2"],
                           "similarity": 0.9})
    return passages, aligns


def test_substitutions_read_pairs_in_one_language_only() -> None:
    same = framing_signals(*_pair("Troops near Kyiv regrouped overnight.", "en"))
    assert "kiev -> kyiv" in set(same.loc[same["signal"] == "substitution", "term"])
    # The same words labelled as another language's passage: a translation, not a swap.
    across = framing_signals(*_pair("Troops near Kyiv regrouped overnight.", "uk"))
    assert not (across["signal"] == "substitution").any()


def test_substitutions_follow_the_calibrated_probability_when_given() -> None:
    passages, aligns = _frames()
    swaps = set(framing_signals(passages, aligns).query("signal == 'substitution'")["term"])
    assert swaps
    unlikely = aligns.assign(probability=0.2)  # similar, but not the same fact
    assert not (framing_signals(passages, unlikely)["signal"] == "substitution").any()
    lowered = FramingSettings(min_pair_probability=0.1)
    assert set(framing_signals(passages, unlikely, settings=lowered)
               .query("signal == 'substitution'")["term"]) == swaps
    likely = aligns.drop(columns=["similarity"]).assign(probability=0.9)
    assert set(framing_signals(passages, likely).query("signal == 'substitution'")["term"]) \
        == swaps


def test_english_lexicons_count_english_and_unknown_language_passages_only() -> None:
    english, aligns = _frames()
    # German: "brutal" and "Regime" are German words too, not loaded English ones.
    german = pd.DataFrame([{"passage_id": f"s{i}", "outlet": "Spiegel", "event_id": EVENT,
                            "topic_id": "", "text": text, "tone": np.nan, "language": "de"}
                           for i, text in enumerate([
                               "Das Regime sagte, die Lage sei brutal.",
                               "Die Armee könnte sich neu formieren, sagte Peskow."])])
    def lexicons(table: pd.DataFrame) -> pd.DataFrame:
        keep = table["signal"].isin(["hedge", "intensifier", "attribution_verb"])
        return table[keep].reset_index(drop=True)

    before = lexicons(framing_signals(english, aligns))
    after = lexicons(framing_signals(pd.concat([english, german], ignore_index=True), aligns))
    assert "Spiegel" not in set(after["outlet"])
    # ...and the German passages do not dilute the other outlets' rates either.
    pd.testing.assert_frame_equal(after, before)
    unknown = framing_signals(pd.concat([english, german.assign(language="")],
                                        ignore_index=True), aligns)
    spiegel = unknown.query("signal == 'intensifier' and outlet == 'Spiegel'")
    assert {"regime", "brutal"} <= set(spiegel["term"])  # unknown language reads as English
