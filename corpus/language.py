"""The language of an article: ISO 639-1, detected offline from its text.

``py3langid`` (BSD-3, a numpy port of langid.py; 97 languages, model inside the wheel, about a
millisecond per article here) reads the title and the first few thousand characters. A language
given by the page (``<html lang>``, the record's own field) fills in only where the text is too
short or too mixed to decide: templates often declare a site-wide ``lang`` that an article in
another language does not follow. Every source kind gets a language this way.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Enough text to decide: langid's accuracy on news is above 99 % from a few sentences on;
# the first characters of an article (title and lead) are its most typical.
_SAMPLE_CHARS = 3000
# Below this many letters (a headline fragment, a number) no language is claimed.
_MIN_LETTERS = 12
# Probability (langid's normalised score) under which the text is called undecided: mixed or
# boilerplate texts score below it; real articles in one language score above 0.99.
_MIN_PROBABILITY = 0.5
_ISO_639_1 = re.compile(r"^[a-z]{2}$")
# langid names some varieties by their ISO 639-3 codes; they count for their ISO 639-1
# macrolanguage (a short Chinese sentence scored Wu 0.71 and Chinese 0.28, and was called
# undecided: the verifier then read it as English).
_MACROLANGUAGE = {"wuu": "zh", "yue": "zh", "arz": "ar", "ary": "ar", "uzs": "uz", "gug": "gn",
                  "sdh": "ku"}
_LETTER = re.compile(r"[^\W\d_]")
# A Chinese, Japanese or Korean character carries about a word: it counts as three letters
# toward _MIN_LETTERS ("三月份小麦价格上涨了20%。", a whole sentence, has 10 characters).
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, *, best_guess: bool = False) -> str:
    """The ISO 639-1 code of the language ``text`` is written in, or ``""`` when undecided.

    Args:
        text: an article (title and text) or a single sentence.
        best_guess: for a sentence, take the most likely language even below
            ``_MIN_PROBABILITY``. A short sentence often stays undecided ("A woman peels a
            potato.": English 0.27; "Женщина чистит картошку.": Russian 0.44, Bulgarian 0.26),
            and an undecided side of a pair is read as the other side's language: a Russian
            sentence beside an English one was then compared as English. The guess may name a
            neighbour (Macedonian or Bulgarian for a Russian sentence), which is still read as
            another language than English. Not for articles, where a low score marks mixed or
            boilerplate text and the page's declared language decides.
    """
    sample = text[:_SAMPLE_CHARS]
    if len(_LETTER.findall(sample)) + 2 * len(_CJK.findall(sample)) < _MIN_LETTERS:
        return ""
    totals: dict[str, float] = {}
    for code, probability in _identifier().rank(sample):
        key = _MACROLANGUAGE.get(str(code), str(code))
        totals[key] = totals.get(key, 0.0) + float(probability)
    code, probability = max(totals.items(), key=lambda item: item[1])
    decided = best_guess or probability >= _MIN_PROBABILITY
    return code if decided and _ISO_639_1.match(code) else ""


def detector_version() -> str:
    """The detector and its settings, as a cache key: detections made under another version
    are not reused."""
    import importlib.metadata

    return (f"py3langid@{importlib.metadata.version('py3langid')}:{_SAMPLE_CHARS}:"
            f"{_MIN_PROBABILITY}:macrolanguages")


def normalise_language(given: str) -> str:
    """A declared language (``"en-GB"``, ``"EN"``, ``"ru_RU"``) as ISO 639-1, or ``""``."""
    code = re.split(r"[-_]", (given or "").strip().lower(), maxsplit=1)[0]
    return code if _ISO_639_1.match(code) else ""


def article_language(given: str, title: str, text: str) -> str:
    """The article's language: detected from its text, else the declared one when valid."""
    return detect_language(f"{title}\n\n{text}") or normalise_language(given)
