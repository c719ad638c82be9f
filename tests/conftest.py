"""Shared fixtures: a real local HTTP server that serves ``tests/data`` plus misbehaving routes.

The server is real (``http.server`` in a background thread on ``127.0.0.1``, free port) so the
fetcher's sockets, timeouts, redirects and size caps are exercised for real. Fixture files may
contain the placeholder ``{PORT}``; the server replaces it with its port when serving them, so
feeds and OPML files link back to this server.

Special routes:
    /robots.txt             disallows ``/private/`` for every user agent
    /404                    404 Not Found
    /status/<code>          an empty answer with that HTTP status
    /flaky-<n>/<path>       503 for the first ``n`` requests, then serves ``/<path>``
    /slow                   sleeps ``SLOW_SECONDS`` before answering (use a shorter timeout)
    /loop                   redirects to itself
    /redirect-to-<target>   302 to ``/<target>`` (or to ``<target>`` itself if it has a scheme)
    /huge                   streams 50 MB of HTML with no Content-Length
    /huge-declared          declares a 50 MB Content-Length up front
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

log = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data"
SLOW_SECONDS = 3.0
HUGE_BYTES = 50 * 1_000_000
ROBOTS_TXT = b"User-agent: *\nDisallow: /private/\n"
_CONTENT_TYPES = {
    ".html": "text/html",
    ".opml": "text/x-opml",
    ".png": "image/png",
    ".txt": "text/plain",
}


def content_type_for(path: Path) -> str:
    """The Content-Type the server sends for a fixture file (never with a charset)."""
    if path.suffix == ".xml":
        if path.stem == "rss":
            return "application/rss+xml"
        if path.stem == "atom":
            return "application/atom+xml"
        return "application/xml"
    return _CONTENT_TYPES.get(path.suffix, "application/octet-stream")


@dataclass
class LocalServer:
    """A running test server: its base URL and every request (time, path, headers) it saw."""

    url: str
    port: int
    requests: list[tuple[float, str]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    flaky_hits: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        """The request paths seen since the last reset, in order."""
        with self.lock:
            return [path for _, path in self.requests]

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.headers.clear()
            self.flaky_hits.clear()


class _Handler(BaseHTTPRequestHandler):
    server_version = "ParallaxTestServer/1.0"
    local: LocalServer  # set on a subclass per server

    def log_message(self, format: str, *args: object) -> None:
        log.debug("test server: " + format, *args)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        with self.local.lock:
            self.local.requests.append((time.monotonic(), path))
            self.local.headers.append(dict(self.headers.items()))
        try:
            self._route(path)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("client went away during %s", path)

    def _route(self, path: str) -> None:
        if path == "/robots.txt":
            return self._send(200, ROBOTS_TXT, "text/plain")
        if path == "/404":
            return self._send(404, b"<html><body>Not here</body></html>", "text/html")
        if path.startswith("/status/"):
            return self._send(int(path.removeprefix("/status/")), b"", "text/plain")
        if path.startswith("/flaky-"):
            count, _, rest = path.removeprefix("/flaky-").partition("/")
            with self.local.lock:
                seen = self.local.flaky_hits.get(path, 0)
                self.local.flaky_hits[path] = seen + 1
            if seen < int(count):
                return self._send(503, b"busy, try again", "text/plain")
            return self._serve_file("/" + rest)
        if path == "/slow":
            time.sleep(SLOW_SECONDS)
            return self._send(200, b"<html><body><p>finally</p></body></html>", "text/html")
        if path == "/loop":
            return self._redirect("/loop")
        if path.startswith("/redirect-to-"):
            target = self.path.removeprefix("/redirect-to-")
            return self._redirect(target if "://" in target else "/" + target)
        if path in ("/huge", "/huge-declared"):
            return self._stream_huge(declare=path == "/huge-declared")
        return self._serve_file(path)

    def _serve_file(self, path: str) -> None:
        file = (DATA / path.lstrip("/")).resolve()
        if DATA.resolve() not in file.parents or not file.is_file():
            return self._send(404, b"<html><body>Not found</body></html>", "text/html")
        body = file.read_bytes().replace(b"{PORT}", str(self.local.port).encode())
        self._send(200, body, content_type_for(file))

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _stream_huge(self, *, declare: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if declare:
            self.send_header("Content-Length", str(HUGE_BYTES))
        self.end_headers()
        chunk = b"<p>" + b"lorem ipsum " * 5455 + b"</p>\n"  # about 64 KB
        sent = 0
        while sent < HUGE_BYTES:
            self.wfile.write(chunk)
            sent += len(chunk)


@pytest.fixture(scope="session")
def local_server() -> Iterator[LocalServer]:
    """One test server for the whole session (see the module docstring for its routes)."""
    handler = type("Handler", (_Handler,), {})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    port = int(httpd.server_address[1])
    server = LocalServer(url=f"http://127.0.0.1:{port}", port=port)
    handler.local = server
    thread = threading.Thread(target=httpd.serve_forever, name="test-http-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def http_server(local_server: LocalServer) -> str:
    """The base URL (``http://127.0.0.1:<port>``) of the test server, its request log reset."""
    local_server.reset()
    return local_server.url


@pytest.fixture
def server_log(local_server: LocalServer) -> LocalServer:
    """The running test server, to inspect which paths were requested (and when)."""
    return local_server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser), one per module;
    the test is skipped (failed in CI), with the install command, where it is absent."""
    from dashboard_fixtures import BROWSER_ARGS, CHROMIUM

    from tests.shared_data import missing

    if not CHROMIUM.exists():
        missing("no browser at /usr/bin/chromium: apt-get install -y chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=BROWSER_ARGS)
        yield chromium
        chromium.close()
