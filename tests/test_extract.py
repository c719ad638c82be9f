"""Article extraction and HTML decoding on hand-written pages served by the test server."""
from __future__ import annotations

from pathlib import Path

import pytest

from corpus.errors import ExtractError
from corpus.extract import Extracted, decode_html, extract_page
from corpus.fetch import Fetched, FetchSettings, HttpFetcher

DATA = Path(__file__).parent / "data"
SETTINGS = FetchSettings(timeout_s=2, retries=0, per_host_interval_s=0, allow_private=True)

# Text that sits around each article body: navigation, ads, cookie banners, comments, footers.
BOILERPLATE = {
    "meridian-herald.html": ["Accept all cookies", "Subscribe from 99p", "Luxury cruises",
                             "Nobody should believe a word", "Energy bills to soar",
                             "All rights reserved", "Herald Morning Briefing"],
    "eastern-wire.html": ["This website uses cookies", "Search the wire", "Fly direct to Antalya",
                          "Finally some common sense", "Rouble strengthens",
                          "Registered as mass media outlet", "Share this article"],
    "kyiv-ledger.html": ["Our site uses cookies", "Front page", "monthly donation",
                         "Guarantees on paper meant nothing", "evening digest",
                         "Editorial office"],
    "continental-press.html": ["Accept All Cookies", "Fact check", "Five index funds",
                               "Oil down six percent", "Careers", "independent global news"],
}
FIRST_AND_LAST = {
    "meridian-herald.html": ("Russia said on Tuesday that it would sharply reduce",
                             "Ukraine would not reduce its defensive efforts."),
    "eastern-wire.html": ("The Russian Defence Ministry will radically cut",
                          "reacted to the outcome with open scepticism."),
    "kyiv-ledger.html": ("Ukraine's delegation came to Istanbul with a single",
                         "judge the enemy only by what happens on the ground."),
    "continental-press.html": ("ISTANBUL (CPA) — March 29, 2022\n\nRussia promised on Tuesday",
                               "previous rounds had produced little on the ground."),
}


def fetch_page(base: str, name: str) -> Fetched:
    return HttpFetcher(SETTINGS).get(f"{base}/{name}")


@pytest.mark.parametrize("name", sorted(BOILERPLATE))
def test_article_body_is_kept_and_boilerplate_dropped(http_server: str, name: str) -> None:
    page = fetch_page(http_server, name)
    article = extract_page(page.body, page.final_url, page.content_type)
    first, last = FIRST_AND_LAST[name]
    assert article.text.startswith(first)
    assert last in article.text
    assert len(article.text.split("\n\n")) >= 6  # paragraphs stay separate
    for junk in BOILERPLATE[name]:
        assert junk not in article.text, junk
    assert "<" not in article.text and "&amp;" not in article.text
    assert not article.text.startswith(article.title)  # the headline is not repeated


def test_metadata(http_server: str) -> None:
    page = fetch_page(http_server, "meridian-herald.html")
    article = extract_page(page.body, page.final_url, page.content_type)
    assert article == Extracted(
        title="Russia pledges to scale back near Kyiv as Istanbul talks show first signs of "
              "progress",
        text=article.text,
        author="Eleanor Whitcombe",
        published="2022-03-29",
        site_name="The Meridian Herald",
        language="en",  # from <html lang="en-GB">
        url=f"{http_server}/meridian-herald.html",
    )
    wire = fetch_page(http_server, "eastern-wire.html")
    assert extract_page(wire.body, wire.final_url, wire.content_type).author == "Dmitry Sokolov"


def test_local_file_gets_its_canonical_url() -> None:
    article = extract_page((DATA / "meridian-herald.html").read_bytes(), "", "text/html")
    assert article.url == ("https://www.meridianherald.example/world/europe/2022/mar/29/"
                           "istanbul-talks-russia-scale-back-kyiv")


def test_undeclared_windows_1251_page_is_decoded(http_server: str) -> None:
    page = fetch_page(http_server, "russian-cp1251.html")
    assert page.content_type == "text/html"  # no charset in the header, nor in the page
    assert b"charset" not in page.body.lower()
    article = extract_page(page.body, page.final_url, page.content_type)
    assert article.title == "Переговоры в Стамбуле: Москва сокращает активность под Киевом"
    assert "Владимир Мединский назвал разговор содержательным" in article.text
    assert "\ufffd" not in article.text
    assert "Реклама" not in article.text and "Все права защищены" not in article.text


def test_cookie_wall_is_an_extract_error(http_server: str) -> None:
    page = fetch_page(http_server, "cookie-wall.html")
    with pytest.raises(ExtractError, match=r"no article text found \(\d+ words\): likely a "
                                           r"cookie wall, paywall or empty page"):
        extract_page(page.body, page.final_url, page.content_type)


def test_empty_page_is_an_extract_error(http_server: str) -> None:
    page = fetch_page(http_server, "empty.html")
    assert page.body == b""
    with pytest.raises(ExtractError, match="empty page"):
        extract_page(page.body, page.final_url, page.content_type)


def test_image_is_not_html(http_server: str) -> None:
    page = fetch_page(http_server, "pixel.png")
    with pytest.raises(ExtractError, match=r"not an HTML page \(content type image/png\)"):
        extract_page(page.body, page.final_url, page.content_type)
    with pytest.raises(ExtractError, match=r"not an HTML page \(binary content\)"):
        extract_page(page.body, page.final_url, "")


def test_decode_prefers_http_charset_then_meta() -> None:
    text = "<p>Эрдоган открыл встречу</p>"
    assert decode_html(text.encode("koi8-r"), "text/html; charset=KOI8-R") == text
    meta = f'<html><head><meta charset="windows-1251"></head><body>{text}</body></html>'
    assert decode_html(meta.encode("cp1251"), "text/html") == meta
    http_equiv = ('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
                  "<p>Erdoğan? No: Cavusoglu, café</p>")
    assert "café" in decode_html(http_equiv.encode("latin-1", errors="replace"), "")


def test_decode_survives_wrong_declarations() -> None:
    text = "<p>Переговоры в Стамбуле прошли во вторник, делегации встретились во дворце.</p>"
    # declared UTF-8, really windows-1251: the declaration cannot decode it, detection can
    assert "Переговоры" in decode_html(text.encode("cp1251"), "text/html; charset=utf-8")
    # an unknown charset label is ignored
    assert decode_html(text.encode("utf-8"), "text/html; charset=x-made-up") == text
    # a UTF-8 byte-order mark wins over a wrong header
    assert decode_html(b"\xef\xbb\xbf" + text.encode("utf-8"), "charset=latin-1") == text
    # latin-1 labels mean windows-1252, as in browsers: 0x93/0x94 are curly quotes
    assert decode_html(b"\x93Istanbul\x94", "text/html; charset=iso-8859-1") == "“Istanbul”"
    assert isinstance(decode_html(bytes(range(256)) * 4, "text/html"), str)
