"""The one word tokenizer (corpus.text), in spaced and unspaced scripts."""
from __future__ import annotations

from corpus.text import NUMBER, tokens, words


def test_words_of_spaced_scripts_are_runs_of_letters():
    assert words("The Kremlin’s de-escalation, 30 km from Киев.") == [
        "the", "kremlin’s", "de-escalation", "km", "from", "киев"]
    assert tokens("Talks in Istanbul, 29 March") == ["Talks", "in", "Istanbul", "29", "March"]


def test_chinese_and_japanese_runs_are_read_as_character_pairs():
    assert words("政府宣布全国哀悼。") == ["政府", "府宣", "宣布", "布全", "全国", "国哀", "哀悼"]
    # a lone character stays itself; other scripts and numbers beside it are kept apart
    assert words("我 Putin说") == ["我", "putin", "说"]
    assert tokens("ギターを弾く 12人") == ["ギタ", "ター", "ーを", "を弾", "弾く", "12", "人"]


def test_numbers_beside_chinese_or_japanese_words_are_read():
    # "造成12人死亡" (12 people died): the figure stands right beside its words, and was read as
    # no number at all ("6.1级" as 6)
    assert NUMBER.findall("造成12人死亡、6.1级地震，14,000人。") == ["12", "6.1", "14,000"]
    assert NUMBER.findall("12명이 숨졌다") == ["12"]  # Korean counters too (12 people)
    assert NUMBER.findall("abc12, 5км, 3.5%, 2022-й") == ["3.5", "2022"]


def test_combining_marks_stay_inside_their_words():
    # Devanagari vowel signs and viramas are combining marks, which \w does not hold: the word
    # for "national" fell apart into five letters.
    assert words("सरकार ने राष्ट्रीय शोक की घोषणा की") == [
        "सरकार", "ने", "राष्ट्रीय", "शोक", "की", "घोषणा", "की"]
    assert tokens("রাষ্ট্রীয় শোক 12") == ["রাষ্ট্রীয়", "শোক", "12"]
    # decomposed accents (NFD) too
    assert words("Cafe\u0301 de\u0301ja\u0300 vu") == ["cafe\u0301", "de\u0301ja\u0300", "vu"]
    # Thai is written without spaces: read as character pairs, like Chinese
    assert words("ประกาศ")[:3] == ["ปร", "ระ", "ะก"]
