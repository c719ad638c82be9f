"""Passages: sentences of an article with exact character offsets into its stored text.

Paragraphs are split on blank lines (or single newlines), sentences within a paragraph with
pysbd (rule-based, handles "Mr.", "U.S.", "5 p.m."). Boilerplate that survived extraction
(share prompts, newsletter pitches, disclaimers) is dropped. Quotes and, where the text says
so, who is quoted are marked.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import pysbd

from compare.quotes import attribution, find_quotes
from corpus.records import Article

# Patterns of extraction leftovers that are not reporting. Matched against a whole paragraph
# of at most BOILERPLATE_MAX_WORDS words (a long paragraph that mentions "subscribe" is news).
_BOILERPLATE = re.compile(
    r"(click here|sign up (for|to)|subscribe (to|now|for)|newsletter|follow us on|"
    r"share (this|on)|feel free to repost|repost and share|all rights reserved|"
    r"the views expressed|opinions expressed|do not necessarily reflect|"
    r"originally published (at|on|by)|read more:|related:|advertisement|cookie|"
    r"translate website|in-depth report:|copyright ©|©\s*\d{4}|visit and follow|"
    r"support (our|independent) journalism|donate|become a member|image caption|"
    r"photo:|getty images|reuters/|ap photo)",
    re.IGNORECASE,
)
BOILERPLATE_MAX_WORDS = 40
MIN_WORDS = 3
_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Passage:
    """One sentence of an article. ``text == article.text[char_start:char_end]``."""

    passage_id: str
    article_id: str
    index: int
    char_start: int
    char_end: int
    text: str
    is_quote: bool = False
    speaker: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def passage_id(article_id: str, char_start: int, char_end: int) -> str:
    """A stable passage id: 16 hex digits of SHA-1 over the article id and offsets."""
    return hashlib.sha1(f"{article_id}:{char_start}:{char_end}".encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def is_boilerplate(paragraph: str) -> bool:
    """True for short paragraphs that are site furniture rather than reporting."""
    words = _WORD.findall(paragraph)
    return len(words) <= BOILERPLATE_MAX_WORDS and bool(_BOILERPLATE.search(paragraph))


# pysbd's cost grows faster than linearly with input length (its abbreviation rules rewrite the
# whole string repeatedly), and some sources (press-release CSVs, transcripts) carry a whole
# article as one newline-free paragraph. Such paragraphs are cut into pieces of about
# CHUNK_CHARS at unambiguous sentence ends (a lowercase word, a full stop, a space, an
# uppercase letter or an opening quote): never after "Mr.", "U.S." or a number, so pysbd still
# decides every hard case.
CHUNK_CHARS = 1500
_SAFE_END = re.compile(r"(?<=[a-z]{3}[.!?])\s+(?=[A-Z\"“])")


def _chunks(paragraph: str) -> Iterator[tuple[int, str]]:
    """(offset, piece) of a paragraph, cut at safe sentence ends when it is long."""
    start = 0
    while len(paragraph) - start > CHUNK_CHARS:
        cut = _SAFE_END.search(paragraph, start + CHUNK_CHARS // 2)
        if cut is None:
            break
        yield start, paragraph[start : cut.start()]
        start = cut.end()
    yield start, paragraph[start:]


def _sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    for para in _PARAGRAPH.finditer(text):
        if is_boilerplate(para.group()):
            continue
        for local, piece in _chunks(para.group()):
            yield from _piece_spans(text, para.start() + local, piece)


def _piece_spans(text: str, offset: int, piece: str) -> Iterator[tuple[int, int]]:
    """Sentence spans of one piece of a paragraph, as offsets into the article text."""
    for span in _segmenter().segment(piece):
        start, end = offset + span.start, offset + span.end
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            yield start, end


def split_passages(article: Article) -> list[Passage]:
    """Split an article into sentence passages, dropping boilerplate and fragments.

    Fragments under MIN_WORDS words (a dateline, "Photo") are merged into the next sentence of
    the same paragraph when one follows, else dropped.
    """
    text = article.text
    spans = list(_sentence_spans(text))
    merged: list[tuple[int, int]] = []
    pending: int | None = None
    for start, end in spans:
        if pending is not None and "\n" not in text[pending:start]:
            start = pending
        pending = None
        if len(_WORD.findall(text[start:end])) < MIN_WORDS:
            pending = start
            continue
        merged.append((start, end))
    passages = []
    for index, (start, end) in enumerate(merged):
        sentence = text[start:end]
        speaker, _verb = attribution(sentence)
        passages.append(Passage(
            passage_id=passage_id(article.article_id, start, end),
            article_id=article.article_id, index=index, char_start=start, char_end=end,
            text=sentence, is_quote=_has_quote(sentence), speaker=speaker,
        ))
    return passages


def _has_quote(sentence: str) -> bool:
    """A direct quote of at least three words."""
    return any(
        len(_WORD.findall(sentence[q.char_start : q.char_end])) >= 3 for q in find_quotes(sentence)
    )


def split_all(articles: Sequence[Article]) -> list[Passage]:
    """Passages of many articles, in article order then text order."""
    return [p for article in articles for p in split_passages(article)]
