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
syllable: "12人", "12명"). Text without those scripts is read exactly as before.
"""
from __future__ import annotations

import re

WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
TOKEN = re.compile(r"\w+")
# Han (with its extensions and compatibility ideographs), Hiragana, Katakana (and their
# half-width forms): scripts written without spaces between words.
_UNSPACED_CHARS = ("\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
                   "\uff66-\uff9f\U00020000-\U0002ebef")
_UNSPACED = re.compile(f"[{_UNSPACED_CHARS}]+")
# A word character that a number cannot touch: not a letter of an unspaced script, nor a
# Hangul syllable, where a figure stands right beside its words ("造成12人死亡", "6.1级",
# "12명").
GLUED = f"[^\\W{_UNSPACED_CHARS}\uac00-\ud7af]"
NUMBER = re.compile(rf"(?<![.,]|{GLUED})\d{{1,3}}(?:[,\u00a0\u202f ]\d{{3}})+(?:\.\d+)?"
                    rf"(?![,.]\d|{GLUED}\d)"
                    rf"|(?<![.,]|{GLUED})\d+(?:[.,]\d+)?(?!{GLUED})")


# Bump when what a word, a token or a number is changes: it is part of the passages' cache
# key and of every analysis run's parameters.
TOKENS_VERSION = "unspaced-pairs;unspaced-numbers"


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


def with_unspaced_pairs(found: list[str], text: str) -> list[str]:
    """``found``, the tokens of ``text``, with their runs of Chinese or Japanese script cut
    into character pairs (:func:`unspaced_pairs`); as is when ``text`` has none."""
    if not _UNSPACED.search(text):
        return found
    return [piece for token in found for piece in unspaced_pairs(token)]


def words(text: str) -> list[str]:
    """The words of ``text`` (``WORD``), lower case, in order; runs of Chinese or Japanese
    script as their character pairs (module docstring)."""
    lower = text.lower()
    return with_unspaced_pairs(WORD.findall(lower), lower)


def tokens(text: str) -> list[str]:
    """The tokens of ``text`` (``TOKEN``), in order, case kept; runs of Chinese or Japanese
    script as their character pairs (module docstring)."""
    return with_unspaced_pairs(TOKEN.findall(text), text)


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
