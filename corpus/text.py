"""The library's one word tokenizer: what a word, a number and a name are, in any script.

Every module that splits text into words uses these, so "a word" means the same thing in
duplicate detection, passages, events, framing and fact matching:

- ``WORD``: a run of letters (any script), with inner hyphens or apostrophes kept
  ("de-escalation", "Kremlin's"): the unit of word statistics;
- ``TOKEN``: a run of word characters (letters, digits, underscore): the unit of shingles and
  hashing, where a number counts as much as a word;
- ``NUMBER``: a written number ("14,000", "2.5", "30"), thousands separators included.

Chinese and Japanese are written without spaces, so a run of letters there is a whole clause.
:func:`words` and :func:`tokens` read such a run as its overlapping character pairs
("政府宣布" -> "政府", "府宣", "宣布"; a lone character stays itself), the usual unit of word
statistics for these languages without a dictionary (Lucene's CJK bigrams): a sentence is then
counted in about as many words as it has characters, not as one word, and two sentences that
share a term share its pairs. A number may stand right beside such a letter (or a Korean
syllable: "12人", "12명"). Thai, Lao, Khmer and Myanmar, also written without spaces, are read
the same way.

Python's ``\\w`` holds no combining mark, so a word of Devanagari, Bengali, Tamil or Thai, whose
vowel signs are marks, fell apart into single letters ("राष्ट्रीय" was five words: र, ष, ट, र, य).
In text that has a combining mark, :func:`words`, :func:`tokens` and every pattern read through
:func:`find_words` take a mark as part of its word. Text without those scripts or marks is read exactly as before.
"""
from __future__ import annotations

import re
import unicodedata

WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
TOKEN = re.compile(r"\w+")


def _class_of(codes: list[int]) -> str:
    """A regex character class body (ranges) holding the code points ``codes`` (sorted)."""
    parts, start = [], 0
    for k, code in enumerate(codes):
        if k + 1 == len(codes) or codes[k + 1] != code + 1:
            first = codes[start]
            parts.append(f"\\U{first:08x}" + ("" if first == code else f"-\\U{code:08x}"))
            start = k + 1
    return "".join(parts)


# Combining marks (Unicode category M, up to the supplementary planes' scripts): vowel signs,
# viramas, diacritics of decomposed letters.
MARKS = _class_of([code for code in range(0x300, 0x20000)
                   if unicodedata.category(chr(code)).startswith("M")])
_MARK = re.compile(f"[{MARKS}]")
LETTER_OR_MARK = rf"(?:[^\W\d_]|[{MARKS}])"
_MARKED_WORD = re.compile(rf"[^\W\d_]{LETTER_OR_MARK}*(?:[-'’][^\W\d_]{LETTER_OR_MARK}*)*")
_MARKED_TOKEN = re.compile(rf"(?:\w|[{MARKS}])+")
# Han (with its extensions and compatibility ideographs), Hiragana, Katakana (and their
# half-width forms), Thai, Lao, Myanmar, Khmer: scripts written without spaces between words.
_UNSPACED_CHARS = ("\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
                   "\uff66-\uff9f\U00020000-\U0002ebef\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff")
_UNSPACED = re.compile(f"[{_UNSPACED_CHARS}]+")
_SPECIAL = re.compile(f"[{MARKS}{_UNSPACED_CHARS}]")
# A word character that a number cannot touch: not a letter of an unspaced script, nor a
# Hangul syllable, where a figure stands right beside its words ("造成12人死亡", "6.1级",
# "12명").
GLUED = f"[^\\W{_UNSPACED_CHARS}\uac00-\ud7af]"
NUMBER = re.compile(rf"(?<![.,]|{GLUED})\d{{1,3}}(?:[,\u00a0\u202f ]\d{{3}})+(?:\.\d+)?"
                    rf"(?![,.]\d|{GLUED}\d)"
                    rf"|(?<![.,]|{GLUED})\d+(?:[.,]\d+)?(?!{GLUED})")


# Bump when what a word, a token or a number is changes: it is part of the passages' cache
# key and of every analysis run's parameters.
TOKENS_VERSION = "unspaced-pairs;unspaced-numbers;marks"


def unspaced_pairs(token: str) -> list[str]:
    """A token with its runs of unspaced script cut into overlapping character pairs."""
    out: list[str] = []
    position = 0
    for run in _UNSPACED.finditer(token):
        if run.start() > position:
            out.append(token[position:run.start()])
        text = run.group()
        out.extend([text] if len(text) == 1 else [text[k:k + 2] for k in range(len(text) - 1)])
        position = run.end()
    if position < len(token):
        out.append(token[position:])
    return out


def find_words(plain: re.Pattern[str], marked: re.Pattern[str], text: str) -> list[str]:
    """``plain.findall(text)``; in a text with a combining mark, ``marked`` (the same pattern
    with marks read inside their words) instead, and in a text of an unspaced script, each run
    of it cut into character pairs (:func:`unspaced_pairs`). One scan decides for most text,
    which has neither (module docstring)."""
    if text.isascii() or _SPECIAL.search(text) is None:
        return plain.findall(text)
    pattern = marked if _MARK.search(text) else plain
    return [piece for token in pattern.findall(text) for piece in unspaced_pairs(token)]


def words(text: str) -> list[str]:
    """The words of ``text`` (``WORD``), lower case, in order (:func:`find_words`)."""
    return find_words(WORD, _MARKED_WORD, text.lower())


def tokens(text: str) -> list[str]:
    """The tokens of ``text`` (``TOKEN``), in order, case kept (:func:`find_words`)."""
    return find_words(TOKEN, _MARKED_TOKEN, text)


def ascii_fold(text: str) -> str:
    """``text`` in ASCII letters, lower case (anyascii): "Мединский" -> "medinskii", so names
    in two scripts can meet."""
    from anyascii import anyascii

    return anyascii(text).lower()


def number_value(written: str) -> str:
    """A written number as a canonical key: ``"14,000"`` and ``"14 000"`` -> ``"14000"``,
    ``"2,5"`` (decimal comma) and ``"2.5"`` -> ``"2.5"``."""
    digits = re.sub(r"[\u00a0\u202f ]", "", written)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", digits):
        digits = digits.replace(",", "")
    digits = digits.replace(",", ".")
    if "." in digits:
        digits = digits.rstrip("0").rstrip(".")
    return digits.lstrip("0") or "0"
