"""Passages: sentences of an article with exact character offsets into its stored text.

Paragraphs are split on blank lines (or single newlines), sentences within a paragraph with
pysbd (rule-based, handles "Mr.", "U.S.", "5 p.m."). Boilerplate that survived extraction
(share prompts, newsletter pitches, disclaimers) is dropped. Quotes and, where the text says
so, who is quoted are marked.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pandas as pd
import pysbd

from compare.text.quotes import attribution, find_quotes
from corpus.records import Article
from corpus.text import TOKEN, TOKENS_VERSION, tokens

if TYPE_CHECKING:
    from corpus.store import Store

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
# The seed page's furniture paragraphs (repost notices, newsletter and membership pitches,
# copyright lines) have 5-28 words; 40 leaves room for other sites' and keeps real paragraphs
# that mention "subscribe" or "cookie" in passing (tests/test_passages.py).
BOILERPLATE_MAX_WORDS = 40
# A passage of one or two words is a dateline, a byline or a caption stub ("Photo", "KYIV"),
# never a claim an outlet could share: it is merged into the next sentence instead.
MIN_WORDS = 3
_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*")


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
    words = tokens(paragraph)
    return len(words) <= BOILERPLATE_MAX_WORDS and bool(_BOILERPLATE.search(paragraph))


# pysbd's cost grows faster than linearly with input length (its abbreviation rules rewrite the
# whole string repeatedly), and some sources (press-release CSVs, transcripts) carry a whole
# article as one newline-free paragraph. Such paragraphs are cut into pieces of about
# CHUNK_CHARS at unambiguous sentence ends (a lowercase word, a full stop, a space, an
# uppercase letter or an opening quote): never after "Mr.", "U.S." or a number, so pysbd still
# decides every hard case.
# About ten sentences: pysbd's cost is flat up to here and climbs fast beyond (a 60-release
# Kremlin sample split 8x faster cut at 1,500 characters, with the same passages but 0.4 %).
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


# Scraped text often loses the break between two paragraphs and glues their sentences:
# "...everyone.”Those words", "...piled up.Western officials". pysbd keeps such a pair as one
# sentence, so the glue points (a sentence end, an optional closing quote, then at once a
# capital letter of a word) are cut first. Two lower-case letters (or digits: "annexed in
# 2014.Russia also said") before the stop keep "U.S.Army"-like abbreviations, "Lenta.ru" and
# decimals whole. The word after the stop may be a one-letter word ("skeptical.A Russian
# strike", "заявил.В Кремле").
_GLUED = re.compile(r"(?<=[^\W\d_]{2}[.!?][”\"’»])(?=[^\W\d_])"
                    r"|(?<=[a-zа-яё]{2}[.!?])(?=[A-ZА-ЯЁ](?:[a-zа-яё]|\s))"
                    r"|(?<=\d{2}[.!?])(?=[A-ZА-ЯЁ](?:[a-zа-яё]|\s))")


def _unglued(paragraph: str) -> Iterator[tuple[int, str]]:
    """(offset, piece) of a paragraph cut where scraping glued two sentences together."""
    start = 0
    for cut in _GLUED.finditer(paragraph):
        if cut.start() > start:
            yield start, paragraph[start : cut.start()]
            start = cut.start()
    yield start, paragraph[start:]


# Scraped pages keep photo captions inline, glued like the sentences above: "...as Mr. Putin
# has demanded.ImageA photograph released by the Ukrainian Armed Forces ... in the Sumy
# region.Credit...General Staff of the Armed Forces of Ukraine, via Agence France-Presse — Getty
# ImagesIn Washington, President Biden ...". A caption (the sentence after a glued "Image", or
# the one right before a glued credit) and its credit (from "Credit..." to the next capital or
# quote glued to a word) describe a photograph, not what the outlet reports, and are not
# passages. Only glued forms are read: "Credit Suisse said" and "Images of the strike" stay.
_CAPTION = re.compile(r"Image(?!Net\b)(?=[A-Z“\"‘])")
_CREDIT = re.compile(r"Credit(?:(?P<marked>\.\.\.|…|:\s?)|(?=[A-Z]))")
_CREDIT_END = re.compile(r"(?<=[a-z)])(?=[A-Z][a-z]|[“\"‘«])")


def _credit(part: str, glued: bool) -> re.Match[str] | None:
    """The credit ``part`` starts with: "Credit..." anywhere, "CreditJoshua Roberts" only
    glued to the sentence before ("CreditSights said" opening a paragraph is a sentence)."""
    credit = _CREDIT.match(part)
    return credit if credit and (glued or credit.group("marked")) else None


def _credit_skipped(part: str, credit: re.Match[str] | None) -> int:
    """How many leading characters of ``part`` are its photo ``credit`` (0 when it starts with
    none; all of it when nothing follows the credit)."""
    if credit is None:
        return 0
    end = _CREDIT_END.search(part, credit.end() + 1)
    return end.start() if end else len(part)


def _sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    for para in _PARAGRAPH.finditer(text):
        if is_boilerplate(para.group()):
            continue
        parts = list(_unglued(para.group()))
        credits = [_credit(part, k > 0) for k, (_, part) in enumerate(parts)]
        for k, (glued_at, part) in enumerate(parts):
            skip = _credit_skipped(part, credits[k])
            credited_next = k + 1 < len(parts) and credits[k + 1] is not None
            # a caption is glued to the sentence before, or credited ("ImageA photo ...
            # Credit..."), so "ImageMagick converts files." opening a paragraph stays
            caption = bool(_CAPTION.match(part, skip)) and (k > 0 or credited_next)
            skip += len("Image") if caption else 0  # "ImageMr. Abramovich": "Mr." stays whole
            spans = [span for local, piece in _chunks(part[skip:])
                     for span in _piece_spans(text, para.start() + glued_at + skip + local,
                                              piece)]
            if caption:
                spans = spans[1:]
            if credited_next:
                spans = spans[:-1]  # the caption the next part credits
            yield from spans


# Sentence ends of scripts the English segmenter does not know: the Devanagari and Bengali
# danda, the Arabic question mark, the Urdu full stop, the Ethiopic and Myanmar full stops (a
# Hindi paragraph was one passage). Followed by a space, they always end a sentence.
_OTHER_END = re.compile(r"(?<=[।॥؟۔።။])\s+")


def _piece_spans(text: str, offset: int, piece: str) -> Iterator[tuple[int, int]]:
    """Sentence spans of one piece of a paragraph, as offsets into the article text."""
    for span in _segmenter().segment(piece):
        cuts = list(_OTHER_END.finditer(span.sent))
        starts = [0] + [m.end() for m in cuts]
        ends = [m.start() for m in cuts] + [span.end - span.start]
        for first, last in zip(starts, ends, strict=True):
            start, end = offset + span.start + first, offset + span.start + last
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                yield start, end


# A sentence that only points back ("Об этом сообщает ТАСС." "Про це заявив Зеленський.": this
# was reported by TASS / said Zelensky) states no fact of its own: alone it would match any
# other sentence naming the same source. It joins the sentence it points to, in the same
# paragraph. Russian and Ukrainian news write it this way (7 % of Lenta.ru's passages in the
# Istanbul coverage); the pattern is fixed there, so no other language is guessed at.
_ANAPHORIC = re.compile(r"(?:Об этом|Про це)\s")


def passage_spans(text: str) -> list[tuple[int, int, bool, str]]:
    """``(char_start, char_end, is_quote, speaker)`` of each passage of a text, dropping
    boilerplate and fragments.

    Fragments under MIN_WORDS words (a dateline, "Photo") are merged into the next sentence of
    the same paragraph when one follows, else dropped; a sentence that only points back
    ("Об этом сообщает ТАСС.") joins the one before it in its paragraph.
    """
    merged: list[tuple[int, int]] = []
    pending: int | None = None
    for start, end in _sentence_spans(text):
        if not TOKEN.search(text[start:end]) and merged and pending is None and (
                "\n" not in text[merged[-1][1]:start]):
            merged[-1] = (merged[-1][0], end)  # a closing quote cut off its sentence
            continue
        if pending is not None and "\n" not in text[pending:start]:
            start = pending
        pending = None
        if len(tokens(text[start:end])) < MIN_WORDS:
            pending = start
            continue
        if merged and _ANAPHORIC.match(text, start) and "\n" not in text[merged[-1][1]:start]:
            merged[-1] = (merged[-1][0], end)  # "Об этом сообщает ТАСС": says who, not what
            continue
        merged.append((start, end))
    return [(start, end, _has_quote(text[start:end]), attribution(text[start:end])[0])
            for start, end in merged]


def split_passages(article: Article) -> list[Passage]:
    """Split an article into sentence passages (see :func:`passage_spans`)."""
    text = article.text
    return [Passage(passage_id=passage_id(article.article_id, start, end),
                    article_id=article.article_id, index=index, char_start=start,
                    char_end=end, text=text[start:end], is_quote=quote, speaker=speaker)
            for index, (start, end, quote, speaker) in enumerate(passage_spans(text))]


def _has_quote(sentence: str) -> bool:
    """A direct quote of at least three words."""
    return any(
        len(tokens(sentence[q.char_start : q.char_end])) >= 3 for q in find_quotes(sentence)
    )


# Bump when a rule of this module or of compare.text.quotes changes what a passage is: cached
# passages of the old rules are then split again.
SPLITTER_RULES = "8"


def splitter_key() -> str:
    """What the passages of a text depend on besides the text: the splitter and its rules."""
    return (f"pysbd=={importlib.metadata.version('pysbd')};rules={SPLITTER_RULES};"
            f"min_words={MIN_WORDS};boilerplate_max_words={BOILERPLATE_MAX_WORDS};"
            f"chunk_chars={CHUNK_CHARS};tokens={TOKENS_VERSION}")


_SPAN_FIELDS = ("char_start", "char_end", "is_quote", "speaker")


def split_cached(store: Store | None, articles: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Passages of ``articles`` (``article_id, text, content_hash``), splitting each distinct
    text once: spans are a pure function of the text and the splitter, cached in the store by
    content hash and :func:`splitter_key`.

    Returns:
        The passages (``passage_id, article_id, index, char_start, char_end, text, is_quote,
        speaker``) in article order then text order, and how many texts were split now.
    """
    key = splitter_key()
    texts = dict(zip(articles["content_hash"], articles["text"], strict=True))
    spans = store.cached_passages(key, list(texts)) if store is not None else {}
    missing = {h: t for h, t in texts.items() if h not in spans}
    fresh = {h: [list(span) for span in passage_spans(t)] for h, t in missing.items()}
    if store is not None and fresh:
        store.cache_passages(key, fresh)
    spans.update(fresh)
    rows = []
    for aid, text, digest in zip(articles["article_id"], articles["text"],
                                 articles["content_hash"], strict=True):
        for index, (start, end, quote, speaker) in enumerate(spans[digest]):
            rows.append({"passage_id": passage_id(aid, start, end), "article_id": aid,
                         "index": index, "char_start": start, "char_end": end,
                         "text": text[start:end], "is_quote": bool(quote), "speaker": speaker})
    frame = pd.DataFrame(rows, columns=["passage_id", "article_id", "index", *_SPAN_FIELDS[:2],
                                        "text", *_SPAN_FIELDS[2:]])
    return frame, len(missing)
