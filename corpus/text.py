"""The library's one word tokenizer: what a word, a number and a name are, in any script.

Every module that splits text into words uses these, so "a word" means the same thing in
duplicate detection, passages, events, framing and fact matching:

- ``WORD``: a run of letters (any script), with inner hyphens or apostrophes kept
  ("de-escalation", "Kremlin's"): the unit of word statistics;
- ``TOKEN``: a run of word characters (letters, digits, underscore): the unit of shingles and
  hashing, where a number counts as much as a word;
- ``NUMBER``: a written number ("14,000", "2.5", "30"), thousands separators included.
"""
from __future__ import annotations

import re

WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
TOKEN = re.compile(r"\w+")
NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:[,\u00a0\u202f ]\d{3})+(?:\.\d+)?(?![\w,.]\d)"
                    r"|(?<![\w.,])\d+(?:[.,]\d+)?(?!\w)")


def words(text: str) -> list[str]:
    """The words of ``text``, lower case, in order."""
    return WORD.findall(text.lower())


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
