"""Hostile and broken input (issue 9): nothing hangs, nothing crashes, every bad item is one
readable failure in the store and the run goes on.

Each test names the numbered item of issue 9 it proves.
"""
from __future__ import annotations

import _thread
import base64
import json
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from corpus.collect import CollectSettings, collect
from corpus.errors import FeedError, FetchError
from corpus.feeds import is_feed, is_opml, parse_feed, parse_opml
from corpus.fetch import FetchSettings, HttpFetcher
from corpus.ids import article_key, canonical_url
from corpus.records import CollectReport
from corpus.store import Store

DATA = Path(__file__).parent / "data"
FAST = FetchSettings(timeout_s=2, retries=0, backoff_s=0.01, per_host_interval_s=0,
                     allow_private=True)


@contextmanager
def finishes_within(seconds: float) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the block runs longer than ``seconds``."""
    def too_slow(signum: int, frame: object) -> None:
        raise AssertionError(f"still running after {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _collect(tmp_path: Path, sources: list[str]) -> tuple[CollectReport, Store]:
    store = Store(tmp_path / "s.db")
    report = collect(sources, store, CollectSettings(fetch=FAST),
                     fetcher=HttpFetcher(FAST))
    return report, store


def _failures(report: CollectReport) -> dict[str, str]:
    return {item.source: f"[{item.stage}] {item.reason}" for item in report.failures}


# -- item 1: feed sniffing is linear -------------------------------------------------------------
@pytest.mark.parametrize("body", [
    b"\n" * 40 + b"x",
    b" " * 200_000 + b"x",
    b"<!--" + b" " * 100_000,
    b"<?xml" + b" " * 100_000,
    b"<!DOCTYPE rss " + b"[" * 50_000,
    b"\n<!-- c -->" * 20_000 + b"x",
])
def test_item1_sniffing_a_hostile_prolog_is_fast(body: bytes) -> None:
    with finishes_within(2):
        assert not is_feed(body)
        assert not is_opml(body)


def test_item1_a_41_byte_file_does_not_hang_collect(tmp_path: Path) -> None:
    ws = tmp_path / "ws.xml"
    ws.write_bytes(b"\n" * 40 + b"x")
    with finishes_within(5):
        report, store = _collect(tmp_path, [str(ws)])
    assert _failures(report) == {str(ws): "[read] not a feed or OPML document"}
    assert len(store.items(outcome="failed")) == 1


def test_item1_sniffing_still_finds_real_roots_after_a_prolog() -> None:
    feed = (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- generated -->\n'
            b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
            b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"/>')
    assert is_feed(feed) and not is_opml(feed)
    assert is_feed('<?xml version="1.0" encoding="utf-16"?><feed/>'.encode("utf-16"))
    assert is_opml(b"  <opml version='2.0'><body/></opml>")


# -- item 2: malformed URLs are one failed item each ---------------------------------------------
MALFORMED = ("http://127.0.0.1:99999/x", "http://[::1/x", "http://0177.0.0.1/", "http://xn--/")


def test_item2_malformed_urls_in_a_url_list_fail_one_by_one(tmp_path: Path,
                                                            http_server: str) -> None:
    urls = tmp_path / "urls.txt"
    good = f"{http_server}/meridian-herald.html"
    urls.write_text("\n".join([*MALFORMED, good]) + "\n", encoding="utf-8")
    report, store = _collect(tmp_path, [str(urls)])
    failures = _failures(report)
    assert set(failures) == set(MALFORMED)
    for url, reason in failures.items():
        assert reason.startswith("[fetch] malformed URL"), (url, reason)
        assert "\n" not in reason
    assert report.count("stored") == 1 and store.articles()[0].url == good
    assert len(store.items(outcome="failed")) == len(MALFORMED)


def test_item2_malformed_links_in_a_feed_fail_one_by_one(tmp_path: Path, http_server: str) -> None:
    items = "".join(f"<item><title>t</title><link>{u}</link></item>"
                    for u in (*MALFORMED, f"{http_server}/meridian-herald.html"))
    feed = tmp_path / "bad-links.xml"
    feed.write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}'
                    "</channel></rss>", encoding="utf-8")
    report, _ = _collect(tmp_path, [str(feed)])
    assert set(_failures(report)) == set(MALFORMED)
    assert report.count("stored") == 1


@pytest.mark.parametrize("url", MALFORMED)
def test_item2_fetcher_and_ids_say_malformed_url(url: str) -> None:
    with pytest.raises(FetchError, match="malformed URL"):
        HttpFetcher(FAST).get(url)
    assert canonical_url(url)  # never raises
    assert article_key(url, url, "", "").startswith("url:")


# -- item 3: deeply nested JSON ------------------------------------------------------------------
def test_item3_deeply_nested_jsonl_line_fails_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    good = {"id": "g1", "outlet": "Daily", "title": "Fine", "text": "A perfectly fine record."}
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n" + '{"a": ' * 100_000 + "1"
                    + "}" * 100_000 + "\n" + json.dumps(good) + "\n", encoding="utf-8")
    report, store = _collect(tmp_path, [str(path)])
    assert _failures(report) == {
        f"{path}#1": "[read] line is nested too deeply to read (JSON nesting over the limit)",
        f"{path}#2": "[read] line is nested too deeply to read (JSON nesting over the limit)",
    }
    assert [a.source_id for a in store.articles()] == ["g1"]


def test_item3_deeply_nested_json_file_fails_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    report, _ = _collect(tmp_path, [str(path)])
    assert _failures(report) == {
        str(path): "[read] file is nested too deeply to read (JSON nesting over the limit)"}


# -- item 4 and 7: declared encodings ------------------------------------------------------------
def test_item4_opml_declaring_utf7_is_read_not_a_traceback(tmp_path: Path) -> None:
    opml = (b'<?xml version="1.0" encoding="utf-7"?><opml version="2.0"><body>'
            b'<outline text="a" xmlUrl="https://a.example/feed.xml"/></body></opml>')
    assert parse_opml(opml) == ["https://a.example/feed.xml"]
    path = tmp_path / "list.opml"
    path.write_bytes(opml.replace(b"https://a.example/feed.xml", b"http://[::1/feed"))
    report, _ = _collect(tmp_path, [str(path)])
    assert list(_failures(report)) == ["http://[::1/feed"]


def test_item4_opml_with_an_unknown_or_broken_encoding_is_a_clean_failure() -> None:
    with pytest.raises(FeedError, match="malformed OPML"):
        parse_opml(b'<?xml version="1.0" encoding="utf-7"?><opml><body><outline xmlUrl="+AG"')
    assert parse_opml(b'<?xml version="1.0" encoding="x-no-such-thing"?><opml><body>'
                      b'<outline xmlUrl="https://a.example/f"/></body></opml>') == [
        "https://a.example/f"]


def _utf7_hidden(text: str, chars: str = "<![") -> bytes:
    """``text`` in UTF-7 with ``chars`` base64-encoded, so ``<!ENTITY`` is not in the bytes."""
    return "".join(
        "+" + base64.b64encode(ch.encode("utf-16-be")).decode().rstrip("=") + "-"
        if ch in chars else ch for ch in text
    ).encode("ascii")


def _utf7_bomb(root: str) -> bytes:
    """An entity bomb whose ``<!ENTITY`` only appears once decoded from UTF-7."""
    big = "A" * 10_000
    return b'<?xml version="1.0" encoding="utf-7"?>' + _utf7_hidden(
        f'<!DOCTYPE {root} [<!ENTITY big "{big}">]><{root} version="2.0"><channel><title>x'
        "</title><item><title>&big;&big;&big;</title><link>https://a.example/1</link></item>"
        f"</channel></{root}>")


def test_item7_entity_declared_through_utf7_is_refused() -> None:
    with pytest.raises(FeedError, match="DOCTYPE"):
        parse_feed(_utf7_bomb("rss"), "https://a.example/feed.xml")
    opml = b'<?xml version="1.0" encoding="utf-7"?>' + _utf7_hidden(
        '<!DOCTYPE opml [<!ENTITY a "x">]><opml><body><outline xmlUrl="https://a.example/&a;"/>'
        "</body></opml>")
    with pytest.raises(FeedError, match="DOCTYPE"):
        parse_opml(opml)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32", "utf-16-be"])
def test_item7_any_internal_subset_is_refused_whatever_the_encoding(encoding: str) -> None:
    feed = (f'<?xml version="1.0" encoding="{encoding}"?>'
            '<!DOCTYPE rss [<!ATTLIST rss a CDATA "x">]>'
            '<rss version="2.0"><channel><item><link>https://a.example/1</link></item>'
            "</channel></rss>")
    data = feed.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    with pytest.raises(FeedError, match="DOCTYPE"):
        parse_feed(data, "https://a.example/feed.xml")
    with pytest.raises(FeedError, match="DOCTYPE"):
        parse_opml(data.replace("rss".encode(encoding), "opml".encode(encoding)))


def test_item7_a_public_doctype_without_subset_is_still_read() -> None:
    feed = (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
            b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
            b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
            b'<rss version="0.91"><channel><title>x</title><item><title>Caf\xe9</title>'
            b"<link>https://a.example/1</link></item></channel></rss>")
    (entry,) = parse_feed(feed, "https://a.example/feed.xml")
    assert entry.title == "Caf\u00e9" and entry.url == "https://a.example/1"


# -- item 13: encodings of local text files, empty record files ----------------------------------
SPANISH = ("La señal llegó a Estambul el martes por la mañana, según la delegación ucraniana, "
           "y las conversaciones continuarán el miércoles en el palacio de Dolmabahçe.")


def test_item13_latin1_csv_records_are_read_without_replacement_characters(
        tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(f'id,outlet,title,text\n1,El País,Señal,"{SPANISH.replace("ç", "c")}"\n'
                     .encode("latin-1"))
    report, store = _collect(tmp_path, [str(path)])
    assert report.count("stored") == 1, _failures(report)
    (article,) = store.articles()
    assert article.title == "Señal" and article.outlet == "El País"
    assert "\ufffd" not in article.text and "señal llegó" in article.text


def test_item13_latin1_text_file_is_read_as_written(tmp_path: Path) -> None:
    path = tmp_path / "nota.txt"
    path.write_bytes(f"Señal de alarma\n\n{SPANISH.replace('ç', 'c')}\n".encode("latin-1"))
    report, store = _collect(tmp_path, [str(path)])
    assert report.count("stored") == 1, _failures(report)
    (article,) = store.articles()
    assert article.title == "Señal de alarma"
    assert article.text.startswith("La señal llegó a Estambul")


@pytest.mark.parametrize(("name", "content"), [
    ("empty.jsonl", ""), ("blank.jsonl", "\n\n  \n"), ("empty.json", "[]"),
    ("header-only.csv", "id,outlet,text\n"),
])
def test_item13_a_record_file_without_records_says_so(tmp_path: Path, name: str,
                                                     content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    report, store = _collect(tmp_path, [str(path)])
    assert _failures(report) == {str(path): "[read] no records in this file"}
    assert len(store.items(outcome="failed")) == 1


def test_item13_a_genuinely_empty_json_file_is_one_failure(tmp_path: Path) -> None:
    path = tmp_path / "nothing.json"
    path.write_bytes(b"")
    report, _ = _collect(tmp_path, [str(path)])
    assert list(_failures(report)) == [str(path)]


def test_hostile_feed_through_collect_is_one_failure_and_fast(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(_utf7_bomb("rss"))
    start = time.monotonic()
    report, store = _collect(tmp_path, [str(bomb)])
    assert time.monotonic() - start < 5
    (reason,) = _failures(report).values()
    assert reason.startswith("[feed] feed refused") and "DOCTYPE" in reason
    assert store.articles() == []


def test_item3_a_parseable_but_deeply_nested_record_fails_alone(tmp_path: Path) -> None:
    path = tmp_path / "nested.jsonl"
    deep = {"id": "d1", "text": "Some text.", "extra": json.loads("[" * 500 + "]" * 500)}
    good = {"id": "g1", "text": "A perfectly fine record.", "extra": {"a": [1, {"b": 2}]}}
    path.write_text(json.dumps(deep) + "\n" + json.dumps(good) + "\n", encoding="utf-8")
    report, store = _collect(tmp_path, [str(path)])
    assert _failures(report) == {f"{path}#1": "[read] record is nested more than 32 levels "
                                              "deep; extra fields must be shallow"}
    assert [a.metadata for a in store.articles()] == [{"extra": {"a": [1, {"b": 2}]}}]


# -- a time bound on every parser call -----------------------------------------------------------
def _stall(*args: object, **kwargs: object) -> None:
    while True:  # Python-level work that never ends, like a parser stuck on a hostile input
        sum(range(1000))


@pytest.mark.parametrize("call", ["feed", "opml", "page"])
def test_a_stalled_parser_is_abandoned_with_a_reason(monkeypatch: pytest.MonkeyPatch,
                                                     call: str) -> None:
    import xml.etree.ElementTree as ET

    import feedparser

    import corpus.extract
    from corpus.errors import CorpusError, ExtractError
    from corpus.extract import extract_page

    monkeypatch.setattr(feedparser, "parse", _stall)
    monkeypatch.setattr(ET, "fromstring", _stall)
    monkeypatch.setattr(corpus.extract.trafilatura, "bare_extraction", _stall)
    calls = {
        "feed": (FeedError, lambda: parse_feed((DATA / "rss.xml").read_bytes(), "https://a.b/",
                                               timeout_s=0.3)),
        "opml": (FeedError, lambda: parse_opml((DATA / "feeds.opml").read_bytes(),
                                               timeout_s=0.3)),
        "page": (ExtractError, lambda: extract_page((DATA / "kyiv-ledger.html").read_bytes(),
                                                    "https://a.b/", timeout_s=0.3)),
    }
    error, run = calls[call]
    started = time.monotonic()
    # The guard must not use SIGALRM itself (the bound under test does): a thread interrupts
    # the main thread instead, so a missing bound fails the test rather than hanging it.
    guard = threading.Timer(10, _thread.interrupt_main)
    guard.start()
    try:
        with pytest.raises(error, match=r"gave up after 0.3s") as caught:
            run()
    finally:
        guard.cancel()
    assert isinstance(caught.value, CorpusError)
    assert time.monotonic() - started < 2
    # nothing is left behind: no timer running, the default SIGALRM disposition restored
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL


def test_item13_a_url_list_without_urls_says_so(tmp_path: Path) -> None:
    path = tmp_path / "urls.csv"
    path.write_text("url,title\n", encoding="utf-8")  # found by benchmarks/fuzz_parsers.py
    report, store = _collect(tmp_path, [str(path)])
    assert _failures(report) == {str(path): "[read] no URLs in this file"}
    assert len(store.items(outcome="failed")) == 1


def test_a_crash_inside_feedparser_is_a_feed_error() -> None:
    # Found by benchmarks/fuzz_parsers.py: feedparser splits namespaced names on any Unicode
    # space, so a namespace URI holding U+3000 makes it raise ValueError.
    feed = '<rss xmlns:x="a\u3000b"><x:title>x</x:title></rss>'.encode()
    with pytest.raises(FeedError, match="feed parser failed"):
        parse_feed(feed, "https://a.example/feed.xml")
