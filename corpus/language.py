"""The language of an article: ISO 639-1, detected offline from its text.

``py3langid`` (BSD-3, a numpy port of langid.py; 97 languages, model inside the wheel, about a
millisecond per article here) reads the title and the first few thousand characters. A language
given by the page (``<html lang>``, the record's own field) fills in only where the text is too
short or too mixed to decide: templates often declare a site-wide ``lang`` that an article in
another language does not follow. Every source kind gets a language this way.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

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


def _distribution(text: str) -> dict[str, float]:
    """langid's normalised probability of each language for ``text`` (ISO 639-3 varieties
    merged into their macrolanguage); empty when there are too few letters to decide."""
    sample = text[:_SAMPLE_CHARS]
    if len(_LETTER.findall(sample)) + 2 * len(_CJK.findall(sample)) < _MIN_LETTERS:
        return {}
    totals: dict[str, float] = {}
    for code, probability in _identifier().rank(sample):
        key = _MACROLANGUAGE.get(str(code), str(code))
        totals[key] = totals.get(key, 0.0) + float(probability)
    return totals


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
    totals = _distribution(text)
    if not totals:
        return ""
    code, probability = max(totals.items(), key=lambda item: item[1])
    decided = best_guess or probability >= _MIN_PROBABILITY
    return code if decided and _ISO_639_1.match(code) else ""


# A sentence detected at least this surely keeps its language in a batch: a lone Ukrainian
# sentence among Russian ones stays Ukrainian. Below it, the batch's languages decide.
_SURE = 0.9
# Rounds of re-estimating the batch's language shares (they settle within two or three).
_PRIOR_ROUNDS = 3


def detect_languages(texts: Sequence[str], known: Sequence[str] | None = None) -> list[str]:
    """The language of each of a batch of sentences, read together (ISO 639-1, ``""`` when a
    text has too few letters).

    One short sentence alone is often misread as a neighbouring language: of STS-B dev's
    3,000 Russian sentences langid's best guess calls 129 Bulgarian or Macedonian (42 of them
    with probability above 0.5), of its English ones 20 Latin, Aragonese, Somali and the like.
    A pair of passages then reads as a translation, and Russian pairs scored worse than
    Russian-English ones (Spearman 0.71 against 0.79). Sentences given together mostly share
    a few languages, so the batch's share of each language is estimated from the texts
    themselves (the mean of their langid distributions, re-weighted a few rounds: expectation
    maximisation of a mixture whose components langid provides), and each text takes its
    most likely language under those shares, unless langid is sure of it alone
    (:data:`_SURE`). On STS-B dev (each language file read with each other, 18,000
    sentences) this leaves 3 in a wrong language and 18 undecided (too few letters); the best
    guess alone, 348 and 116. A batch of two or three sentences gives the shares little to read:
    there each keeps about its best guess.

    ``known`` gives the language of some texts already (``""`` where not): those keep it, read
    by no detector, and count toward the shares (:func:`fill_languages`).
    """
    given = list(known) if known is not None else [""] * len(texts)
    found = [{lang: 1.0} if lang else _distribution(str(t))
             for t, lang in zip(texts, given, strict=True)]
    codes = sorted({code for totals in found for code in totals if _ISO_639_1.match(code)})
    if not codes:
        return [""] * len(found)
    index = {code: k for k, code in enumerate(codes)}
    scores = np.zeros((len(found), len(codes)))
    for row, totals in enumerate(found):
        for code, probability in totals.items():
            if code in index:
                scores[row, index[code]] = probability
    readable = scores.sum(axis=1) > 0
    shares = scores[readable].mean(axis=0)
    for _ in range(_PRIOR_ROUNDS):
        weighted = scores[readable] * shares
        shares = (weighted / weighted.sum(axis=1, keepdims=True).clip(min=1e-12)).mean(axis=0)
    out = []
    for row in range(len(found)):
        if given[row] or not readable[row]:
            out.append(given[row])
            continue
        best = int(np.argmax(scores[row]))
        chosen = best if scores[row, best] >= _SURE else int(np.argmax(scores[row] * shares))
        out.append(codes[chosen])
    return out


def fill_languages(texts: Sequence[str], languages: Sequence[str]) -> list[str]:
    """``languages`` with each undecided one (``""``) filled: its text's most likely language
    under the shares of the languages of the others (:func:`detect_languages`), so that a
    short item (a feed summary, a lead paragraph) langid alone leaves undecided still gets one
    when it has letters to read. A text with too few letters stays ``""``."""
    if all(languages):
        return list(languages)
    return detect_languages(texts, known=languages)


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
