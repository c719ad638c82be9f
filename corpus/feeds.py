"""RSS/Atom feeds and OPML subscription lists, parsed safely from bytes.

Every document is checked for entity declarations first and refused if it has any: internal
entities are the "billion laughs" expansion attack, external ones can read local files. No
legitimate news feed needs them. feedparser always gets bytes (wrapped in a stream), never a
string, because given a string it fetches URLs and opens local file paths by itself.
"""
from __future__ import annotations

import io
import logging
import re
import time
import xml.etree.ElementTree as ET  # safe here: entities are refused before parsing
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html
from lxml.etree import ParserError

from corpus.errors import FeedError

log = logging.getLogger(__name__)

_SNIFF_BYTES = 4096
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_PROLOG = re.compile(
    rb"\A(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)*<([A-Za-z_][\w.:-]*)",
    re.DOTALL | re.IGNORECASE,
)
_FEED_ROOTS = frozenset({"rss", "feed", "rdf:rdf", "rdf"})
_SUMMARY_CHARS = 1000


@dataclass(frozen=True)
class FeedEntry:
    """One feed item: the article URL it links to, and what the feed says about it.

    ``published`` is an ISO date (``YYYY-MM-DD``, UTC) or ``""``; ``summary`` is plain text.
    """

    url: str
    title: str
    published: str = ""
    summary: str = ""


def _as_utf8_candidates(data: bytes) -> list[bytes]:
    """``data`` plus, for UTF-16/32 documents, its UTF-8 form, so byte patterns still match."""
    head = data[:_SNIFF_BYTES]
    if b"\x00" not in head:
        return [data]
    for encoding in ("utf-32", "utf-16"):
        try:
            return [data, data.decode(encoding).encode("utf-8")]
        except UnicodeDecodeError:
            continue
    return [data, data.replace(b"\x00", b"")]


def refuse_entities(data: bytes, what: str = "feed") -> None:
    """Raise FeedError if ``data`` declares any XML entity (entity-expansion attack guard)."""
    for candidate in _as_utf8_candidates(data):
        if _ENTITY.search(candidate):
            raise FeedError(
                f"{what} refused: it declares XML entities in a DOCTYPE (a known attack, "
                "'billion laughs'); no genuine news feed needs them"
            )


def _root_tag(data: bytes) -> str:
    """The lower-case name of the document's first element, skipping prolog and comments."""
    for candidate in _as_utf8_candidates(data[: _SNIFF_BYTES * 4]):
        text = candidate.lstrip(b"\xef\xbb\xbf")
        match = _PROLOG.match(text)
        if match:
            return match.group(1).decode("ascii", errors="replace").lower()
    return ""


def is_feed(data: bytes) -> bool:
    """True if ``data`` looks like an RSS, RDF or Atom document (by its root element)."""
    return _root_tag(data) in _FEED_ROOTS


def is_opml(data: bytes) -> bool:
    """True if ``data`` looks like an OPML subscription list."""
    return _root_tag(data) == "opml"


def _iso_date(entry: Any) -> str:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            return time.strftime("%Y-%m-%d", value)
    return ""


def _plain_text(html: str) -> str:
    """Feed summaries are often HTML; keep their text only."""
    if "<" not in html:
        return " ".join(html.split())
    try:
        text = lxml.html.fromstring(html).text_content()
    except (ParserError, ValueError):
        text = re.sub(r"<[^>]+>", " ", html)
    return " ".join(text.split())


def _describe_bozo(parsed: Any) -> str:
    exc = parsed.get("bozo_exception")
    if exc is None:
        return "not a well-formed feed"
    line = getattr(exc, "getLineNumber", lambda: None)()
    where = f" at line {line}" if line else ""
    message = getattr(exc, "getMessage", lambda: str(exc))()
    return f"malformed XML ({message}{where})"


def parse_feed(data: bytes, url: str) -> list[FeedEntry]:
    """The entries of an RSS/Atom feed, with relative links resolved against ``url``.

    Broken feeds are parsed leniently: if any entries can be recovered they are returned (the
    problem is logged); only entries linking to http(s) pages are kept, others are logged.

    Args:
        data: the feed document's raw bytes.
        url: where the feed came from (base for relative links, and for messages).

    Returns:
        The entries, in feed order.

    Raises:
        FeedError: entity declarations, not a feed, or no usable entry could be recovered.
    """
    refuse_entities(data)
    if not data.strip():
        raise FeedError("feed is empty (0 bytes of XML)")
    # The content type is fixed so feedparser judges the XML itself, not a missing header.
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers={"content-location": url, "content-type": "application/xml"},
    )
    entries: list[FeedEntry] = []
    skipped = 0
    for raw in parsed.entries:
        link = (raw.get("link") or "").strip()
        link = urljoin(url, link) if link else ""
        if urlsplit(link).scheme.lower() not in ("http", "https"):
            skipped += 1
            log.warning("feed %s: skipping entry %r with no http(s) link (%r)",
                        url, raw.get("title", ""), link)
            continue
        summary = _plain_text(raw.get("summary") or "")
        entries.append(FeedEntry(
            url=link,
            title=" ".join((raw.get("title") or "").split()),
            published=_iso_date(raw),
            summary=summary[:_SUMMARY_CHARS],
        ))
    if parsed.bozo and entries:
        log.warning("feed %s is broken (%s); recovered %d entries", url,
                    _describe_bozo(parsed), len(entries))
    if entries:
        return entries
    if skipped:
        raise FeedError(f"none of the feed's {skipped} entries links to an http(s) page")
    if not parsed.get("version") and not is_feed(data):
        raise FeedError("not an RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> root element)")
    if parsed.bozo:
        raise FeedError(f"unreadable feed, no entries could be recovered: "
                        f"{_describe_bozo(parsed)}")
    raise FeedError("feed has no entries")


def parse_opml(data: bytes) -> list[str]:
    """The feed URLs (``xmlUrl``) of an OPML list, nested outlines included, in order.

    Duplicates are dropped; outlines without ``xmlUrl`` (folders, bookmarks) are skipped.

    Raises:
        FeedError: entity declarations, malformed XML, not OPML, or no feed URL at all.
    """
    refuse_entities(data, what="OPML file")
    try:
        root = ET.fromstring(data)  # entity declarations were refused above
    except ET.ParseError as exc:
        raise FeedError(f"malformed OPML file ({exc})") from exc
    if root.tag.lower() != "opml":
        raise FeedError(f"not an OPML file (root element <{root.tag}>, expected <opml>)")
    urls: list[str] = []
    for outline in root.iter():
        if not isinstance(outline.tag, str) or outline.tag.lower() != "outline":
            continue
        attrs = {key.lower(): value for key, value in outline.attrib.items()}
        value = attrs.get("xmlurl", "").strip()
        if value and value not in urls:
            urls.append(value)
    if not urls:
        raise FeedError("OPML file lists no feeds (no <outline> has an xmlUrl attribute)")
    return urls


__all__ = ["FeedEntry", "is_feed", "is_opml", "parse_feed", "parse_opml", "refuse_entities"]
