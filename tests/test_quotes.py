"""Quotes and attribution: the speaker and verb a reader would name for each sentence."""
from __future__ import annotations

import pytest

from compare.text.quotes import (
    Quote,
    attribution,
    attribution_verbs,
    find_quotes,
    normalise_speaker,
)


def _quoted(text: str) -> list[tuple[str, str, str]]:
    return [(text[q.char_start:q.char_end], q.speaker, q.verb) for q in find_quotes(text)]


@pytest.mark.parametrize(("text", "expected"), [
    # quote, then speaker and verb
    ('"We will not allow this to stand," Blinken said on Tuesday.',
     [("We will not allow this to stand,", "Blinken", "said")]),
    # quote, then inverted verb and a titled speaker: the title is dropped
    (("“There is what Russia says and what Russia does,” said Secretary of State Antony "
     "Blinken."),
     [("There is what Russia says and what Russia does,", "Antony Blinken", "said")]),
    # speaker and verb with an object before the quote
    ('Medinsky told reporters "de-escalation does not mean a ceasefire."',
     [("de-escalation does not mean a ceasefire.", "Medinsky", "told")]),
    ('Blinken said: "We are focused on the latter."',
     [("We are focused on the latter.", "Blinken", "said")]),
    # an institution keeps its article
    ('"This is a provocation," the Kremlin said.',
     [("This is a provocation,", "the Kremlin", "said")]),
    # a pronoun is not resolved, but the verb is still read
    ('"We have seen no real signs," he warned.', [("We have seen no real signs,", "", "warned")]),
    # guillemets
    ("«Мы готовы», сказал он.", [("Мы готовы", "", "")]),
])
def test_find_quotes_reads_speaker_and_verb(text: str,
                                            expected: list[tuple[str, str, str]]) -> None:
    assert _quoted(text) == expected


def test_quote_embedded_in_a_sentence_goes_to_the_sentence_speaker() -> None:
    text = 'Blinken said the proposals were "delaying tactics" meant to "deceive people".'
    assert _quoted(text) == [("delaying tactics", "Blinken", "said"),
                             ("deceive people", "Blinken", "said")]


def test_participle_attribution_names_no_one() -> None:
    text = 'Medinsky walked back the remarks, saying "de-escalation is not a ceasefire."'
    assert _quoted(text) == [("de-escalation is not a ceasefire.", "", "said")]


def test_quote_spans_point_inside_the_marks() -> None:
    text = 'He said "no deal" twice.'
    (quote,) = find_quotes(text)
    assert quote == Quote(9, 16, "", "said")
    assert text[quote.char_start:quote.char_end] == "no deal"


def test_no_quote_marks_no_quotes() -> None:
    assert find_quotes("Russia will reduce military activity near Kyiv, officials said.") == []


@pytest.mark.parametrize(("sentence", "expected"), [
    ("The Kremlin said that the talks had produced no breakthrough.", ("the Kremlin", "said")),
    ("Kremlin spokesman Dmitry Peskov said the talks were positive.", ("Dmitry Peskov", "said")),
    ("Russia will cut activity near Kiev, according to Russian state-run news agency Tass.",
     ("Tass", "according to")),
    ("Ukrainian officials said the shelling continued.", ("Ukrainian officials", "said")),
    ("The Russian Defence Ministry said the strikes hit military targets.",
     ("the Russian Defence Ministry", "said")),
    ("Russian President Vladimir Putin told Macron that the talks were progressing.",
     ("Vladimir Putin", "told")),
    ("On Tuesday, Ukraine's Foreign Minister Dmytro Kuleba said talks were difficult.",
     ("Dmytro Kuleba", "said")),
    ("Zelensky insisted that Ukraine would not give up territory.", ("Zelensky", "insisted")),
    ("Head of the Russian delegation Vladimir Medinsky said the meeting was constructive.",
     ("Vladimir Medinsky", "said")),
    ("He said the talks were positive.", ("", "said")),
    # "claimed" as taking land, not speech: no cue (that, colon, quote) follows it
    ("Russia claimed the region as its own.", ("", "")),
    ("Russia claimed that the region was its own.", ("Russia", "claimed")),
    ("The talks resumed in Istanbul on Tuesday.", ("", "")),
])
def test_attribution_of_a_sentence(sentence: str, expected: tuple[str, str]) -> None:
    assert attribution(sentence) == expected


def test_direct_quote_speaker_wins_over_indirect_one() -> None:
    sentence = '"No," said Blinken, after Lavrov said that talks went well.'
    assert attribution(sentence) == ("Blinken", "said")


def test_attribution_verbs_are_canonical_and_skip_quoted_words() -> None:
    sentence = 'Peskov says "they said nothing", and Lavrov admitted that it was true.'
    assert attribution_verbs(sentence) == ["said", "admitted"]


@pytest.mark.parametrize(("words", "expected"), [
    (["Secretary", "of", "State", "Antony", "Blinken"], "Antony Blinken"),
    (["Russian", "state-run", "news", "agency", "Tass"], "Tass"),
    (["the", "Kremlin"], "the Kremlin"),
    (["He"], ""),
    (["officials"], ""),
    (["Then", "Lavrov"], "Lavrov"),
    (["the", "President"], ""),
    (["the", "Russian", "Defence", "Ministry"], "the Russian Defence Ministry"),
])
def test_normalise_speaker(words: list[str], expected: str) -> None:
    assert normalise_speaker(words) == expected


def test_quote_marks_do_not_pair_across_paragraphs() -> None:
    # a multi-paragraph quote leaves its first paragraph unclosed
    text = '"We will fight.\n\n"We will win," Zelensky said.'
    assert _quoted(text) == [("We will win,", "Zelensky", "said")]


def test_empty_text() -> None:
    assert find_quotes("") == [] and attribution("") == ("", "")
