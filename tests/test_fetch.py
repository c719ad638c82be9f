"""HttpFetcher against a real local HTTP server: safety rules, limits, retries, robots.txt."""
from __future__ import annotations

import itertools
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from corpus import fetch
from corpus.errors import FetchError
from corpus.fetch import FetchSettings, HttpFetcher, address_refusal, wayback_url

if TYPE_CHECKING:
    from conftest import LocalServer

FAST = FetchSettings(timeout_s=2, retries=0, backoff_s=0.01, per_host_interval_s=0,
                     allow_private=True)


def fetcher(**changes: object) -> HttpFetcher:
    """A fetcher with fast test settings, allowed to reach 127.0.0.1."""
    values = {**FAST.__dict__, **changes}
    return HttpFetcher(FetchSettings(**values))  # type: ignore[arg-type]


def test_get_returns_page_bytes_and_metadata(http_server: str) -> None:
    page = fetcher().get(f"{http_server}/meridian-herald.html")
    assert page.status == 200
    assert page.url == page.final_url == f"{http_server}/meridian-herald.html"
    assert page.content_type == "text/html"
    assert page.headers["content-type"] == "text/html"
    assert b"Dolmabah\xc3\xa7e palace" in page.body


def test_loopback_is_refused_without_allow_private_before_any_connection(
    http_server: str, server_log: LocalServer
) -> None:
    strict = HttpFetcher(FetchSettings(timeout_s=2, per_host_interval_s=0))
    with pytest.raises(FetchError) as err:
        strict.get(f"{http_server}/meridian-herald.html")
    assert "127.0.0.1 is a loopback address" in err.value.reason
    assert "allow_private" in err.value.reason
    assert server_log.paths() == []  # not even robots.txt was requested


@pytest.mark.parametrize("address, kind", [
    ("10.1.2.3", "private"), ("192.168.0.10", "private"), ("172.16.5.5", "private"),
    ("169.254.169.254", "link-local"), ("::1", "loopback"), ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"), ("0.0.0.0", "unspecified"), ("240.0.0.1", "reserved"),
    ("::ffff:127.0.0.1", "loopback"), ("100.64.0.1", "non-global"),
])
def test_non_public_addresses_are_named(address: str, kind: str) -> None:
    assert address_refusal(address) == f"{address} is a {kind} address"


def test_public_addresses_pass() -> None:
    assert address_refusal("93.184.216.34") == ""
    assert address_refusal("2606:4700:4700::1111") == ""


def test_hostname_resolving_to_private_address_is_refused(server_log: LocalServer) -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.5"] if host == "news.example" else []

    strict = HttpFetcher(FetchSettings(per_host_interval_s=0), resolver=resolver)
    expected = r"refused: news\.example resolves to 10\.0\.0\.5, a private address"
    with pytest.raises(FetchError, match=expected):
        strict.get("https://news.example/article")


def test_unknown_host_is_a_readable_error() -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(FetchError, match="host not found: nowhere.invalid"):
        HttpFetcher(FAST, resolver=resolver).get("http://nowhere.invalid/x")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/",
                                 "javascript:alert(1)", "not a url"])
def test_only_http_urls(url: str) -> None:
    with pytest.raises(FetchError, match=r"only http\(s\) URLs"):
        fetcher().get(url)


def test_redirects_are_followed(http_server: str) -> None:
    page = fetcher().get(f"{http_server}/redirect-to-redirect-to-atom.xml")
    assert page.final_url == f"{http_server}/atom.xml"
    assert page.url == f"{http_server}/redirect-to-redirect-to-atom.xml"
    assert b"<feed" in page.body


def test_redirect_loop_is_detected(http_server: str, server_log: LocalServer) -> None:
    with pytest.raises(FetchError, match="redirect loop"):
        fetcher().get(f"{http_server}/loop")
    assert server_log.paths().count("/loop") == 1


def test_too_many_redirects(http_server: str) -> None:
    chain = "redirect-to-" * (fetch.MAX_REDIRECTS + 1) + "rss.xml"
    with pytest.raises(FetchError, match=r"too many redirects \(more than 5\)"):
        fetcher().get(f"{http_server}/{chain}")
    exactly_max = "redirect-to-" * fetch.MAX_REDIRECTS + "rss.xml"
    assert fetcher().get(f"{http_server}/{exactly_max}").status == 200


def test_redirect_to_non_http_scheme_is_refused(http_server: str) -> None:
    with pytest.raises(FetchError, match=r"only http\(s\) URLs.*file:///etc/passwd"):
        fetcher().get(f"{http_server}/redirect-to-file:///etc/passwd")


def test_every_redirect_hop_is_address_checked(
    http_server: str, server_log: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A public page redirecting to an internal address is refused at that hop.

    The test server is on 127.0.0.1, so 127.0.0.1 alone is treated as public here; the redirect
    then points at 127.0.0.2, which the real rules refuse.
    """
    real = fetch.address_refusal
    monkeypatch.setattr(fetch, "address_refusal",
                        lambda address: "" if address == "127.0.0.1" else real(address))
    strict = HttpFetcher(FetchSettings(timeout_s=2, per_host_interval_s=0))
    port = http_server.rsplit(":", 1)[1]
    with pytest.raises(FetchError, match="127.0.0.2 is a loopback address"):
        strict.get(f"{http_server}/redirect-to-http://127.0.0.2:{port}/meridian-herald.html")
    assert "/meridian-herald.html" not in server_log.paths()


def test_http_errors_name_the_status(http_server: str) -> None:
    with pytest.raises(FetchError) as err:
        fetcher().get(f"{http_server}/404")
    assert err.value.reason == "HTTP 404 Not Found"
    assert err.value.url == f"{http_server}/404"
    assert str(err.value) == f"{http_server}/404: HTTP 404 Not Found"


def test_timeout_is_reported_quickly(http_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 0.3s"):
        fetcher(timeout_s=0.3, retries=2).get(f"{http_server}/slow")
    assert time.monotonic() - started < 2  # read timeouts are not retried


def test_page_over_size_cap_is_abandoned(http_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetcher(max_bytes=10_000_000).get(f"{http_server}/huge")
    assert err.value.reason == "page larger than 10 MB cap"
    assert time.monotonic() - started < 5


def test_declared_size_over_cap_is_refused_before_reading(http_server: str) -> None:
    with pytest.raises(FetchError, match=r"page larger than 10 MB cap \(server says 50 MB\)"):
        fetcher().get(f"{http_server}/huge-declared")


def test_5xx_is_retried_then_succeeds(http_server: str, server_log: LocalServer) -> None:
    page = fetcher(retries=2).get(f"{http_server}/flaky-2/rss.xml")
    assert page.status == 200
    assert server_log.paths().count("/flaky-2/rss.xml") == 3


def test_retries_back_off_exponentially_and_give_up(
    http_server: str, server_log: LocalServer
) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetcher(retries=2, backoff_s=0.1).get(f"{http_server}/status/503")
    assert err.value.reason == "HTTP 503 Service Unavailable after 3 attempts"
    assert server_log.paths().count("/status/503") == 3
    assert time.monotonic() - started >= 0.1 + 0.2


def test_429_is_retried(http_server: str, server_log: LocalServer) -> None:
    with pytest.raises(FetchError, match="HTTP 429 Too Many Requests after 2 attempts"):
        fetcher(retries=1).get(f"{http_server}/status/429")
    assert server_log.paths().count("/status/429") == 2


def test_other_4xx_are_not_retried(http_server: str, server_log: LocalServer) -> None:
    with pytest.raises(FetchError, match="HTTP 403 Forbidden"):
        fetcher(retries=3).get(f"{http_server}/status/403")
    assert server_log.paths().count("/status/403") == 1


def test_connection_refused_is_retried_and_reported() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchError, match=r"could not connect .* after 2 attempts"):
        fetcher(retries=1, respect_robots=False).get(f"http://127.0.0.1:{port}/x")


def test_robots_txt_is_honoured_and_cached(http_server: str, server_log: LocalServer) -> None:
    polite = fetcher()
    with pytest.raises(FetchError, match="disallowed by .*/robots.txt"):
        polite.get(f"{http_server}/private/embargoed.html")
    polite.get(f"{http_server}/rss.xml")
    polite.get(f"{http_server}/atom.xml")
    assert server_log.paths() == ["/robots.txt", "/rss.xml", "/atom.xml"]


def test_robots_can_be_ignored_on_purpose(http_server: str) -> None:
    page = fetcher(respect_robots=False).get(f"{http_server}/private/embargoed.html")
    assert b"Embargoed draft" in page.body


def test_redirect_into_disallowed_path_is_refused(http_server: str) -> None:
    with pytest.raises(FetchError, match="disallowed by"):
        fetcher().get(f"{http_server}/redirect-to-private/embargoed.html")


def test_unreachable_robots_fails_the_page_with_the_real_reason(
    http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    polite = fetcher()
    monkeypatch.setattr(polite, "_follow", _failing_robots(polite._follow, "timed out after 2s"))
    with pytest.raises(FetchError) as err:
        polite.get(f"{http_server}/rss.xml")
    assert err.value.reason == "timed out after 2s"
    assert err.value.url == f"{http_server}/rss.xml"


def test_robots_5xx_disallows_host_as_rfc_9309_asks(
    http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    polite = fetcher()
    monkeypatch.setattr(polite, "_follow", _failing_robots(polite._follow, "HTTP 503"))
    with pytest.raises(FetchError, match="disallowed by"):
        polite.get(f"{http_server}/rss.xml")


def test_missing_robots_txt_allows_everything(
    http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    polite = fetcher()
    monkeypatch.setattr(polite, "_follow", _failing_robots(polite._follow, "HTTP 404 Not Found"))
    assert polite.get(f"{http_server}/private/embargoed.html").status == 200


def _failing_robots(follow, reason: str):  # type: ignore[no-untyped-def]
    def patched(url: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if url.endswith("/robots.txt"):
            raise FetchError(url, reason)
        return follow(url, *args, **kwargs)
    return patched


def test_requests_to_one_host_are_spaced(http_server: str, server_log: LocalServer) -> None:
    polite = fetcher(per_host_interval_s=0.25, respect_robots=False)
    for name in ("rss.xml", "atom.xml", "feeds.opml"):
        polite.get(f"{http_server}/{name}")
    times = [t for t, _ in server_log.requests]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(gaps) == 2
    assert min(gaps) >= 0.24


def test_user_agent_and_host_are_sent(http_server: str, server_log: LocalServer) -> None:
    fetcher(respect_robots=False).get(f"{http_server}/rss.xml")
    assert server_log.headers[-1]["User-Agent"] == FetchSettings().user_agent
    assert server_log.headers[-1]["Host"] == http_server.removeprefix("http://")


def test_settings_validate_values() -> None:
    with pytest.raises(ValueError, match="timeout_s=0"):
        FetchSettings(timeout_s=0)
    with pytest.raises(ValueError, match="retries=-1"):
        FetchSettings(retries=-1)


def test_wayback_url() -> None:
    assert wayback_url("https://www.reuters.com/world/x-2022-03-29/") == (
        "https://web.archive.org/web/2022/https://www.reuters.com/world/x-2022-03-29/"
    )


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[int, Path, list[str]]]:
    """A TLS server on 127.0.0.1 with a self-signed certificate for ``news.test`` only."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=news.test", "-addext", "subjectAltName=DNS:news.test",
         "-keyout", str(key), "-out", str(cert)],
        capture_output=True, check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"openssl could not make a test certificate: {made.stderr[-200:]!r}")
    seen_hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen_hosts.append(self.headers.get("Host", ""))
            body = b"<html><body><p>over TLS</p></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield int(httpd.server_address[1]), cert, seen_hosts
    httpd.shutdown()
    httpd.server_close()


def test_https_connects_to_the_checked_address_with_the_hostname_for_tls(
    https_server: tuple[int, Path, list[str]]
) -> None:
    port, cert, seen_hosts = https_server
    trust = ssl.create_default_context(cafile=str(cert))
    resolved: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        resolved.append(host)
        return ["127.0.0.1"]

    pinned = HttpFetcher(FAST, resolver=resolver, verify=trust)
    page = pinned.get(f"https://news.test:{port}/story")
    assert b"over TLS" in page.body
    assert page.final_url == f"https://news.test:{port}/story"
    assert set(resolved) == {"news.test"}
    assert seen_hosts == [f"news.test:{port}", f"news.test:{port}"]  # robots.txt, then the page
    with pytest.raises(FetchError, match="TLS handshake failed.*(?i:hostname mismatch)"):
        # the certificate is for news.test, so another name on the same address must fail
        HttpFetcher(FAST, resolver=resolver, verify=trust).get(f"https://other.test:{port}/")
