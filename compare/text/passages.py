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
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pysbd

from compare.embed.embedders import text_hash
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
# Longest paragraph that can be site furniture: above the seed page's (5-28 words), below real
# paragraphs that mention "subscribe" in passing (tests/test_passages.py).
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


# pysbd's cost grows faster than linearly with length, and some sources carry a whole article
# as one paragraph, so long paragraphs are cut at unambiguous sentence ends first (never after
# "Mr.", "U.S." or a number: pysbd still decides every hard case).
# Piece size, about ten sentences, where pysbd's cost stops being flat; timed on Kremlin press
# releases (docs/evaluation.md#benchmarks).
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


# Scraping glues sentences of two paragraphs ("...piled up.Western officials"), which pysbd
# keeps as one, so glue points are cut first. Two lower-case letters or digits before the stop
# keep "U.S.Army", "Lenta.ru" and decimals whole; a one-letter word may follow ("заявил.В").
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


# Scraped pages keep photo captions inline, glued like the sentences above: a caption (after a
# glued "Image", or before a glued credit) and its credit ("Credit..." up to the next glued
# capital) describe a photograph, not the story, so they are no passages. Only glued forms are
# read: "Credit Suisse said" and "Images of the strike" stay.
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


# Sentence ends the English segmenter does not know (danda, Arabic question mark, Urdu,
# Ethiopic and Myanmar full stops); followed by a space, they always end a sentence.
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


# A Russian or Ukrainian sentence that only points back ("Об этом сообщает ТАСС.": this was
# reported by TASS) states no fact and would match any sentence naming the same source, so it
# joins the sentence before it in its paragraph. The phrasing is fixed in these two languages;
# no other is guessed at.
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
            f"chunk_chars={CHUNK_CHARS};tokens={TOKENS_VERSION};key=exact")


_SPAN_FIELDS = ("char_start", "char_end", "is_quote", "speaker")


def spans_of(texts: list[str]) -> list[list[list[Any]]]:
    """Passage spans of each text, as the passage cache stores them."""
    return [[list(span) for span in passage_spans(text)] for text in texts]


def _here(compute: Callable[[list[str]], list[Any]], texts: list[str]) -> list[Any]:
    return compute(texts)


def split_cached(store: Store | None, articles: pd.DataFrame,
                 map_texts: Callable[[Callable[[list[str]], list[Any]], list[str]], list[Any]]
                 | None = None) -> tuple[pd.DataFrame, int]:
    """Passages of ``articles`` (``article_id, text``), splitting each distinct text once:
    spans are a pure function of the text and the splitter, cached in the store by
    :func:`compare.embed.embedders.text_hash` and :func:`splitter_key`. ``map_texts`` (an
    engine's, ``compare.engine``) splits the texts missing from the cache instead of this
    process.

    Returns:
        The passages (``passage_id, article_id, index, char_start, char_end, text, is_quote,
        speaker``) in article order then text order, and how many texts were split now.
    """
    spans, split = _spans(store, articles, map_texts)
    rows = []
    for aid, text in zip(articles["article_id"], articles["text"], strict=True):
        for index, (start, end, quote, speaker) in enumerate(spans[text_hash(text)]):
            rows.append({"passage_id": passage_id(aid, start, end), "article_id": aid,
                         "index": index, "char_start": start, "char_end": end,
                         "text": text[start:end], "is_quote": bool(quote), "speaker": speaker})
    frame = pd.DataFrame(rows, columns=["passage_id", "article_id", "index", *_SPAN_FIELDS[:2],
                                        "text", *_SPAN_FIELDS[2:]])
    return frame, split


# Articles whose spans the counting pass holds at a time (about 30 passages each).
COUNT_ARTICLES = 10_000


def passage_counts(store: Store, articles: pd.DataFrame,
                   map_texts: Callable[[Callable[[list[str]], list[Any]], list[str]], list[Any]]
                   | None = None) -> tuple[np.ndarray, int]:
    """How many passages each of ``articles`` has, splitting (and caching, as
    :func:`split_cached`) the texts not yet in the passage cache, ``COUNT_ARTICLES`` at a
    time; and how many texts were split now. A later :func:`split_cached` of the same
    articles reads the cache only."""
    counts: list[int] = []
    split = 0
    for start in range(0, len(articles), COUNT_ARTICLES):
        chunk = articles.iloc[start:start + COUNT_ARTICLES]
        spans, fresh = _spans(store, chunk, map_texts)
        counts += [len(spans[text_hash(text)]) for text in chunk["text"]]
        split += fresh
    return np.array(counts, dtype=np.int64), split


def _spans(store: Store | None, articles: pd.DataFrame,
           map_texts: Callable[[Callable[[list[str]], list[Any]], list[str]], list[Any]]
           | None) -> tuple[dict[str, list[list[Any]]], int]:
    """The spans of ``articles``' texts by ``text_hash``, from the cache or split now (and
    cached); and how many distinct texts were split now."""
    key = splitter_key()
    # Keyed by the exact text, as the embedding cache is: spans are offsets into one text, so
    # copies the de-duplicator calls one (``content_hash``: spacing, case normalised) may not share.
    texts = {text_hash(text): text for text in articles["text"]}
    spans = store.cached_passages(key, list(texts)) if store is not None else {}
    missing = {h: t for h, t in texts.items() if h not in spans}
    fresh = dict(zip(missing, (map_texts or _here)(spans_of, list(missing.values())),
                     strict=True))
    if store is not None and fresh:
        store.cache_passages(key, fresh)
    spans.update(fresh)
    return spans, len(missing)
