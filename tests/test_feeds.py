"""Feed and OPML parsing: real fixture documents, fetched from the local test server."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from corpus.errors import FeedError
from corpus.feeds import FeedEntry, is_feed, is_opml, parse_feed, parse_opml
from corpus.fetch import FetchSettings, HttpFetcher

DATA = Path(__file__).parent / "data"


def served(base: str, name: str) -> bytes:
    """The fixture as the test server serves it (with its port filled in)."""
    settings = FetchSettings(timeout_s=2, retries=0, per_host_interval_s=0, allow_private=True)
    return HttpFetcher(settings).get(f"{base}/{name}").body


def test_rss_entries(http_server: str) -> None:
    entries = parse_feed(served(http_server, "rss.xml"), f"{http_server}/rss.xml")
    assert entries == [
        FeedEntry(
            url=f"{http_server}/meridian-herald.html",
            title="Russia pledges to scale back near Kyiv as Istanbul talks show first signs "
                  "of progress",
            published="2022-03-29",
            summary="Negotiators meeting in Istanbul produced the first concrete offers since "
                    "the invasion began.",
        ),
        FeedEntry(
            url=f"{http_server}/continental-press.html",
            title="Russia, Ukraine report progress at Istanbul talks; Moscow to cut activity "
                  "near Kyiv",
            published="2022-03-29",
            summary="Russia promised on Tuesday to scale down military operations around Kyiv "
                    "and Chernihiv.",
        ),
    ]


def test_atom_entries_resolve_relative_links_and_fall_back_to_updated(http_server: str) -> None:
    entries = parse_feed(served(http_server, "atom.xml"), f"{http_server}/atom.xml")
    assert [e.url for e in entries] == [
        f"{http_server}/eastern-wire.html",  # written as href="/eastern-wire.html"
        f"{http_server}/kyiv-ledger.html",
    ]
    assert [e.published for e in entries] == ["2022-03-29", "2022-03-29"]
    assert entries[1].summary == "Kyiv sees no reason to trust Russian de-escalation."
    assert "<" not in entries[1].summary


def test_sniffing_feeds_and_opml() -> None:
    for name in ("rss.xml", "atom.xml", "entity-bomb.xml", "truncated.xml"):
        assert is_feed((DATA / name).read_bytes()), name
        assert not is_opml((DATA / name).read_bytes()), name
    assert is_opml((DATA / "feeds.opml").read_bytes())
    assert not is_feed((DATA / "feeds.opml").read_bytes())
    for name in ("meridian-herald.html", "empty.html", "pixel.png"):
        assert not is_feed((DATA / name).read_bytes()), name
        assert not is_opml((DATA / name).read_bytes()), name
    rdf = b'<?xml version="1.0"?>\n<!-- RSS 1.0 -->\n<rdf:RDF xmlns:rdf="x"><channel/></rdf:RDF>'
    assert is_feed(rdf)
    assert is_feed("\ufeff<rss version='2.0'/>".encode("utf-16"))


def test_entity_bomb_is_refused_before_parsing(http_server: str) -> None:
    with pytest.raises(FeedError, match="declares XML entities"):
        parse_feed(served(http_server, "entity-bomb.xml"), f"{http_server}/entity-bomb.xml")


def test_entity_declarations_are_refused_in_utf16_too() -> None:
    bomb = (DATA / "entity-bomb.xml").read_text(encoding="utf-8").replace("UTF-8", "UTF-16")
    with pytest.raises(FeedError, match="declares XML entities"):
        parse_feed(bomb.encode("utf-16"), "http://feeds.example/bomb.xml")


def test_external_entity_is_refused() -> None:
    xxe = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b"<rss><channel><item><title>&x;</title><link>http://a.example/1</link></item>"
           b"</channel></rss>")
    with pytest.raises(FeedError, match="declares XML entities"):
        parse_feed(xxe, "http://feeds.example/x.xml")
    with pytest.raises(FeedError, match="declares XML entities"):
        parse_opml(xxe.replace(b"rss", b"opml"))


def test_plain_doctype_is_fine() -> None:
    rss091 = (b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD '
              b'RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
              b'<rss version="0.91"><channel><title>Old</title><item><title>One</title>'
              b"<link>http://old.example/1</link></item></channel></rss>")
    assert is_feed(rss091)
    assert [e.url for e in parse_feed(rss091, "http://old.example/rss")] == [
        "http://old.example/1"
    ]


def test_malformed_feed_without_entries_is_an_error(http_server: str) -> None:
    with pytest.raises(FeedError, match=r"unreadable feed.*malformed XML \(.* at line \d+\)"):
        parse_feed(served(http_server, "malformed.xml"), f"{http_server}/malformed.xml")


def test_truncated_feed_without_usable_entries_is_an_error(http_server: str) -> None:
    with pytest.raises(FeedError, match="entries links to an http"):
        parse_feed(served(http_server, "truncated.xml"), f"{http_server}/truncated.xml")


def test_broken_feed_with_recoverable_entries_returns_them(
    http_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="corpus.feeds"):
        entries = parse_feed(served(http_server, "recoverable.xml"),
                             f"{http_server}/recoverable.xml")
    assert [e.url for e in entries] == [
        f"{http_server}/meridian-herald.html", f"{http_server}/continental-press.html",
    ]
    assert "malformed XML" in caplog.text and "recovered 2 entries" in caplog.text


def test_html_page_is_not_a_feed(http_server: str) -> None:
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        parse_feed(served(http_server, "meridian-herald.html"), f"{http_server}/x.html")


def test_empty_feed_is_an_error() -> None:
    with pytest.raises(FeedError, match="feed is empty"):
        parse_feed(b"  \n", "http://feeds.example/empty.xml")
    valid_but_empty = b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    with pytest.raises(FeedError, match="feed has no entries"):
        parse_feed(valid_but_empty, "http://feeds.example/quiet.xml")


def test_non_http_entry_links_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    rss = (b'<rss version="2.0"><channel><title>T</title>'
           b"<item><title>local</title><link>file:///etc/passwd</link></item>"
           b"<item><title>ok</title><link>https://news.example/a</link></item>"
           b"</channel></rss>")
    with caplog.at_level(logging.WARNING, logger="corpus.feeds"):
        entries = parse_feed(rss, "https://news.example/rss")
    assert [e.url for e in entries] == ["https://news.example/a"]
    assert "skipping entry 'local' with no http(s) link" in caplog.text


def test_parse_feed_never_treats_bytes_as_a_path() -> None:
    with pytest.raises(FeedError):
        parse_feed(str(DATA / "rss.xml").encode(), "http://feeds.example/x")


def test_opml_lists_nested_feed_urls(http_server: str) -> None:
    assert parse_opml(served(http_server, "feeds.opml")) == [
        f"{http_server}/rss.xml", f"{http_server}/atom.xml",
    ]


def test_opml_errors_are_readable() -> None:
    with pytest.raises(FeedError, match="malformed OPML file"):
        parse_opml(b"<opml><body><outline xmlUrl='http://a.example/rss'></body>")
    with pytest.raises(FeedError, match=r"not an OPML file \(root element <rss>"):
        parse_opml((DATA / "rss.xml").read_bytes())
    with pytest.raises(FeedError, match="lists no feeds"):
        parse_opml(b"<opml version='2.0'><body><outline text='folder'/></body></opml>")
