"""End-to-end collection over a real local HTTP server: feeds, OPML, article URLs, bad inputs.

Every bad input must end as a stored failure with a readable reason, the run must go on, and
articles stored before must stay exactly as they were.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from corpus.collect import collect
from corpus.fetch import FetchSettings, HttpFetcher
from corpus.records import Article
from corpus.store import Store

if TYPE_CHECKING:
    from conftest import LocalServer

DATA = Path(__file__).parent / "data"
ARTICLES = ("meridian-herald.html", "continental-press.html", "eastern-wire.html",
            "kyiv-ledger.html")


@pytest.fixture
def fetcher() -> HttpFetcher:
    """Fast settings, allowed to reach the test server on 127.0.0.1."""
    return HttpFetcher(FetchSettings(timeout_s=1, retries=0, backoff_s=0.01,
                                     per_host_interval_s=0, allow_private=True))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "s.db") as opened:
        yield opened


@pytest.fixture
def seeded(http_server: str, store: Store, fetcher: HttpFetcher) -> list[Article]:
    """The store after collecting the RSS feed: two articles, before any bad input."""
    report = collect([f"{http_server}/rss.xml"], store, fetcher=fetcher)
    assert report.count("stored") == 2, report.items
    return store.articles()


def test_opml_feeds_and_pages_end_to_end(
    http_server: str, store: Store, fetcher: HttpFetcher
) -> None:
    report = collect([f"{http_server}/feeds.opml"], store, fetcher=fetcher)
    assert report.count("stored") == 4, [item.line() for item in report.items]
    assert report.failures == ()
    articles = {Path(a.url).name: a for a in store.articles()}
    assert sorted(articles) == sorted(ARTICLES)
    herald = articles["meridian-herald.html"]
    assert herald.title.startswith("Russia pledges to scale back near Kyiv")
    assert herald.published == "2022-03-29"
    assert herald.author == "Eleanor Whitcombe"
    assert "Dolmabahçe palace" in herald.text
    assert "Accept all cookies" not in herald.text and "ruralreader42" not in herald.text
    raw = store.raw_page(herald.url)
    assert raw is not None and b"Accept all cookies" in raw["body"]  # raw bytes kept as fetched
    assert articles["eastern-wire.html"].author == "Dmitry Sokolov"
    assert articles["kyiv-ledger.html"].text.startswith("Ukraine's delegation came to Istanbul")


def test_local_opml_file_and_direct_urls(
    http_server: str, store: Store, fetcher: HttpFetcher, tmp_path: Path
) -> None:
    port = http_server.rsplit(":", 1)[1]
    opml = tmp_path / "feeds.opml"
    opml.write_text((DATA / "feeds.opml").read_text(encoding="utf-8").replace("{PORT}", port),
                    encoding="utf-8")
    report = collect([str(opml), f"{http_server}/russian-cp1251.html"], store, fetcher=fetcher)
    assert report.count("stored") == 5, [item.line() for item in report.items]


@pytest.mark.parametrize("path, stage, reason", [
    ("/malformed.xml", "feed", "unreadable feed, no entries could be recovered: malformed XML"),
    ("/truncated.xml", "feed", "entries links to an http(s) page"),
    ("/entity-bomb.xml", "feed", "declares XML entities"),
    ("/404", "fetch", "HTTP 404 Not Found"),
    ("/slow", "fetch", "timed out after 1s"),
    ("/loop", "fetch", "redirect loop"),
    ("/huge", "fetch", "page larger than 10 MB cap"),
    ("/empty.html", "extract", "empty page"),
    ("/cookie-wall.html", "extract", "no article text found"),
    ("/pixel.png", "extract", "not an HTML page (content type image/png)"),
    ("/private/embargoed.html", "fetch", "disallowed by"),
    ("/status/500", "fetch", "HTTP 500 Internal Server Error"),
])
def test_bad_input_is_a_stored_failure(
    http_server: str, store: Store, fetcher: HttpFetcher, seeded: list[Article],
    path: str, stage: str, reason: str,
) -> None:
    url = f"{http_server}{path}"
    report = collect([url], store, fetcher=fetcher)
    assert [(item.source, item.outcome, item.stage) for item in report.items] == [
        (url, "failed", stage)
    ]
    assert reason in report.items[0].reason
    failed = store.items(run_id=report.run_id, outcome="failed")
    assert failed[["source", "stage"]].values.tolist() == [[url, stage]]
    assert reason in failed["reason"].iloc[0]
    assert store.articles() == seeded


def test_loopback_without_allow_private_is_refused_and_stored(
    http_server: str, store: Store, seeded: list[Article], server_log: LocalServer
) -> None:
    strict = HttpFetcher(FetchSettings(timeout_s=1, retries=0, per_host_interval_s=0))
    url = f"{http_server}/eastern-wire.html"
    before = len(server_log.paths())
    report = collect([url], store, fetcher=strict)
    failed = store.items(run_id=report.run_id, outcome="failed")
    assert failed[["source", "stage"]].values.tolist() == [[url, "fetch"]]
    assert "refused: 127.0.0.1 is a loopback address" in failed["reason"].iloc[0]
    assert len(server_log.paths()) == before  # refused before any connection
    assert store.articles() == seeded


def test_undeclared_windows_1251_page_is_decoded_and_stored(
    http_server: str, store: Store, fetcher: HttpFetcher, seeded: list[Article]
) -> None:
    report = collect([f"{http_server}/russian-cp1251.html"], store, fetcher=fetcher)
    assert [item.outcome for item in report.items] == ["stored"]
    article = store.article(report.items[0].article_id)
    assert article is not None
    assert article.title == "Переговоры в Стамбуле: Москва сокращает активность под Киевом"
    assert "Владимир Мединский" in article.text and "\ufffd" not in article.text
    assert store.articles()[:2] == seeded


def test_bad_inputs_mixed_with_good_ones_do_not_stop_the_run(
    http_server: str, store: Store, fetcher: HttpFetcher, seeded: list[Article]
) -> None:
    sources = [f"{http_server}{p}" for p in ("/entity-bomb.xml", "/404", "/atom.xml", "/loop")]
    report = collect(sources, store, fetcher=fetcher)
    assert report.count("failed") == 3
    assert report.count("stored") == 2  # the two Atom entries
    assert store.articles()[:2] == seeded
    assert len(store.articles()) == 4


def test_duplicate_run_changes_nothing(
    http_server: str, store: Store, fetcher: HttpFetcher, seeded: list[Article]
) -> None:
    report = collect([f"{http_server}/rss.xml"], store, fetcher=fetcher)
    assert [(item.outcome, item.reason) for item in report.items] == [
        ("unchanged", "already in the store"), ("unchanged", "already in the store"),
    ]
    assert report.failures == ()
    assert store.articles() == seeded
    assert len(store.items(outcome="stored")) == 2  # from the first run only
