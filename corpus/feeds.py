"""RSS/Atom feeds and OPML subscription lists, parsed safely from bytes.

Every document is decoded first (``corpus._xml``: byte-order mark, declared encoding, UTF-8,
windows-1252), then refused if the decoded text declares any entity or has a DOCTYPE with an
internal subset: internal entities are the "billion laughs" expansion attack, external ones can
read local files. No legitimate news feed needs them. The parsers then get exactly the checked
text, as UTF-8, so an encoding such as UTF-7 cannot hide a declaration from the check.
feedparser always gets bytes (wrapped in a stream), never a string, because given a string it
fetches URLs and opens local file paths by itself. Every parse runs under a time bound.
"""
from __future__ import annotations

import io
import logging
import re
import time
import xml.etree.ElementTree as ET  # safe here: entities are refused before parsing
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import feedparser
import lxml.html
from lxml.etree import ParserError

from corpus._limits import time_limit
from corpus._xml import as_utf8, decode_xml, dtd_problem, root_tag
from corpus.errors import FeedError

log = logging.getLogger(__name__)

# Sniffing reads the root element from this much of the start of a document.
_SNIFF_BYTES = 16384
_FEED_ROOTS = frozenset({"rss", "feed", "rdf:rdf", "rdf"})
_SUMMARY_CHARS = 1000
# Seconds one feed or OPML parse may take. feedparser reads a 1 MB RSS feed of 4,200 entries in
# 1.8 s and a 10 MB one (the fetch cap, 42,000 entries) in 17 s on the shared 2-core development
# machine; about three and a half times that.
PARSE_TIMEOUT_S = 60.0
_TAG = re.compile(r"<[^<>]*>")
_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]*):")


@dataclass(frozen=True)
class FeedEntry:
    """One feed item: the article URL it links to, and what the feed says about it.

    ``published`` is an ISO date (``YYYY-MM-DD``, UTC) or ``""``; ``summary`` is plain text.
    """

    url: str
    title: str
    published: str = ""
    summary: str = ""


def _checked_text(data: bytes, what: str) -> str:
    """The decoded document, or FeedError if it declares entities or an internal DTD subset."""
    text, _ = decode_xml(data)
    problem = dtd_problem(text)
    if problem:
        raise FeedError(
            f"{what} refused: {problem} (a known attack, 'billion laughs'); no genuine news feed "
            "needs them"
        )
    return text


def _root_tag(data: bytes) -> str:
    """The lower-case name of the document's first element, skipping prolog and comments."""
    text, _ = decode_xml(data[:_SNIFF_BYTES], prefix=True)
    return root_tag(text)


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
        text = _TAG.sub(" ", html)
    return " ".join(text.split())


def _describe_bozo(parsed: Any) -> str:
    exc = parsed.get("bozo_exception")
    if exc is None:
        return "not a well-formed feed"
    line = getattr(exc, "getLineNumber", lambda: None)()
    where = f" at line {line}" if line else ""
    message = getattr(exc, "getMessage", lambda: str(exc))()
    return f"malformed XML ({message}{where})"


def _link(base: str, raw: Any) -> str:
    """The entry's link made absolute; a link that cannot be joined (malformed) is kept as is,
    so fetching it fails as one item with its reason instead of losing it here."""
    link = (raw.get("link") or "").strip()
    if not link:
        return ""
    try:
        return urljoin(base, link)
    except ValueError:
        return link


def _scheme(link: str) -> str:
    match = _SCHEME.match(link)
    return match.group(1).lower() if match else ""


def is_http_link(link: str) -> bool:
    """Whether a feed entry's link is an http(s) URL (the only kind Parallax fetches)."""
    return _scheme(link) in ("http", "https")


def _entries(parsed: Any, url: str) -> list[FeedEntry]:
    """Every entry, in feed order, whatever its link (http(s), another scheme or none)."""
    entries: list[FeedEntry] = []
    for raw in parsed.entries:
        link = _link(url, raw)
        summary = _plain_text(raw.get("summary") or "") if is_http_link(link) else ""
        entries.append(FeedEntry(
            url=link,
            title=" ".join((raw.get("title") or "").split()),
            published=_iso_date(raw),
            summary=summary[:_SUMMARY_CHARS],
        ))
    return entries


def _feedparser(data: bytes, url: str) -> Any:
    """feedparser's result; an exception from it (it reports problems as "bozo", so a raise is
    one of its own bugs) becomes a FeedError for this one feed."""
    try:
        return feedparser.parse(io.BytesIO(data),
                                response_headers={"content-type": "application/xml; charset=utf-8"})
    except Exception as exc:
        log.warning("feedparser failed on %s", url, exc_info=True)
        raise FeedError(f"unreadable feed (the feed parser failed: {type(exc).__name__}: "
                        f"{exc})") from exc


def read_feed(data: bytes, url: str, *, timeout_s: float = PARSE_TIMEOUT_S) -> list[FeedEntry]:
    """Every entry of an RSS/Atom feed, in feed order, whatever its link: collection records
    an entry without an http(s) link (``is_http_link``) as a failed item instead of losing it.

    Relative links are resolved against ``url``; broken feeds are parsed leniently: if any
    entries can be recovered they are returned (the problem is logged).

    Raises:
        FeedError: entity declarations, not a feed, too slow to parse, or no entry linking to
            an http(s) page could be recovered.
    """
    text = _checked_text(data, "feed")
    if not text.strip():
        raise FeedError("feed is empty (0 bytes of XML)")
    with time_limit(timeout_s, FeedError):
        # The content type is fixed so feedparser judges the XML itself, not a missing header;
        # the charset is the one the checked text was re-encoded in. No base URL is given:
        # links are made absolute here (``_link``), because feedparser turns a link it cannot
        # join (a malformed URL) into "" and the entry would be lost without a word.
        parsed = _feedparser(as_utf8(text), url)
        entries = _entries(parsed, url)
    usable = sum(is_http_link(e.url) for e in entries)
    if parsed.bozo and usable:
        log.warning("feed %s is broken (%s); recovered %d entries", url,
                    _describe_bozo(parsed), usable)
    if usable:
        return entries
    if entries:
        raise FeedError(f"none of the feed's {len(entries)} entries links to an http(s) page")
    if not parsed.get("version") and root_tag(text[:_SNIFF_BYTES]) not in _FEED_ROOTS:
        raise FeedError("not an RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> root element)")
    if parsed.bozo:
        raise FeedError(f"unreadable feed, no entries could be recovered: "
                        f"{_describe_bozo(parsed)}")
    raise FeedError("feed has no entries")


def parse_feed(data: bytes, url: str, *, timeout_s: float = PARSE_TIMEOUT_S) -> list[FeedEntry]:
    """The entries of an RSS/Atom feed that link to http(s) pages, in feed order.

    As ``read_feed``; entries without an http(s) link are left out, said in one log line.

    Args:
        data: the feed document's raw bytes.
        url: where the feed came from (base for relative links, and for messages).
        timeout_s: give up on a document that takes longer than this to parse.

    Returns:
        The entries, in feed order.

    Raises:
        FeedError: entity declarations, not a feed, too slow to parse, or no usable entry
            could be recovered.
    """
    entries = read_feed(data, url, timeout_s=timeout_s)
    usable = [e for e in entries if is_http_link(e.url)]
    if len(usable) < len(entries):
        first = next(e for e in entries if not is_http_link(e.url))
        more = len(entries) - len(usable) - 1
        log.warning("feed %s: skipping entry %r with no http(s) link (%r)%s", url, first.title,
                    first.url, f" and {more} more" if more else "")
    return usable


def parse_opml(data: bytes, *, timeout_s: float = PARSE_TIMEOUT_S) -> list[str]:
    """The feed URLs (``xmlUrl``) of an OPML list, nested outlines included, in order.

    Duplicates are dropped; outlines without ``xmlUrl`` (folders, bookmarks) are skipped.

    Raises:
        FeedError: entity declarations, malformed XML, not OPML, too slow to parse, or no
            feed URL at all.
    """
    text = _checked_text(data, "OPML file")
    try:
        with time_limit(timeout_s, FeedError):
            root = ET.fromstring(as_utf8(text))  # entity declarations were refused above
    except (ET.ParseError, ValueError) as exc:
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


__all__ = ["FeedEntry", "is_feed", "is_http_link", "is_opml", "parse_feed", "parse_opml",
           "read_feed"]
