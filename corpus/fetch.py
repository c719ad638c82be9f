"""The only module that touches the network: polite, bounded, SSRF-safe HTTP GETs.

``HttpFetcher.get(url)`` returns the raw bytes of one page (a ``Fetched`` record) or raises
``FetchError`` with a short readable reason. Safety rules, in the order they apply:

* only ``http`` and ``https`` URLs;
* the host is resolved here and every address is checked: private, loopback, link-local,
  reserved, multicast and unspecified addresses are refused unless ``allow_private``; the
  connection then goes to the checked address itself (the hostname travels in the ``Host``
  header and TLS SNI), so a second DNS answer cannot swap in an internal address;
* redirects are followed by hand, at most ``MAX_REDIRECTS`` hops, and every hop gets the same
  checks (scheme, address, robots.txt, rate limit); a URL seen twice is a redirect loop;
* robots.txt is honoured (fetched through this same safe path, cached per host);
* consecutive requests to one host are at least ``per_host_interval_s`` apart;
* the body is streamed and abandoned past ``max_bytes``, decoded in bounded steps (at most two
  stacked gzip/deflate encodings, ``corpus._encoding``); a response must finish within
  ``RESPONSE_DEADLINE_FACTOR * timeout_s`` so a server trickling bytes cannot hold a worker;
* connect errors, HTTP 5xx and 429 are retried with exponential backoff; nothing else is.

Environment proxy variables are ignored on purpose (``trust_env=False``): the address checks
only mean something when this process opens the connection itself.
"""
from __future__ import annotations

import ipaddress
import logging
import re
import socket
import ssl
import threading
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Protocol, Self
from urllib.parse import urljoin, urlsplit

import httpx

from corpus._encoding import ACCEPT_ENCODING, EncodingProblem, decoded
from corpus.errors import FetchError

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
# robots.txt files are small; RFC 9309 asks crawlers to read at least 500 KiB of one.
ROBOTS_MAX_BYTES = 512 * 1024
# Connect, headers and body may each take up to timeout_s; three of them bound one response.
RESPONSE_DEADLINE_FACTOR = 3
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A server's Retry-After is honoured up to this many seconds, so one host cannot stall a run.
MAX_RETRY_AFTER_S = 30.0
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,*/*;q=0.8"
)

Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class FetchSettings:
    """How the fetcher behaves. Defaults are polite for news sites.

    Attributes:
        timeout_s: seconds allowed for connecting and for each read.
        max_bytes: pages larger than this are abandoned (decoded bytes).
        retries: extra attempts after a connect error, HTTP 5xx or 429.
        backoff_s: first retry delay; doubles on each further retry.
        per_host_interval_s: minimum seconds between two requests to the same host.
        user_agent: sent with every request and matched against robots.txt.
        allow_private: allow private, loopback and link-local addresses (local testing only).
        respect_robots: honour robots.txt (turn off only for sites you have permission for).
    """

    timeout_s: float = 20
    max_bytes: int = 10_000_000
    retries: int = 2
    backoff_s: float = 0.5
    per_host_interval_s: float = 1.0
    user_agent: str = "Parallax/0.1 (+https://github.com/parallax-news; news framing research)"
    allow_private: bool = False
    respect_robots: bool = True

    def __post_init__(self) -> None:
        for name in ("timeout_s", "backoff_s", "per_host_interval_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"FetchSettings.{name}={getattr(self, name)!r}: use 0 or more")
        if self.timeout_s == 0:
            raise ValueError("FetchSettings.timeout_s=0: use a positive number of seconds")
        if self.max_bytes <= 0:
            raise ValueError(f"FetchSettings.max_bytes={self.max_bytes!r}: use a positive size")
        if self.retries < 0:
            raise ValueError(f"FetchSettings.retries={self.retries!r}: use 0 or more")


@dataclass(frozen=True)
class Fetched:
    """One fetched page: the URL asked for, where it ended up, and the raw body bytes.

    ``headers`` has lower-case names; ``content_type`` is the raw ``Content-Type`` value.
    """

    url: str
    final_url: str
    status: int
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class Fetcher(Protocol):
    """Anything that turns a URL into a ``Fetched`` page (tests may pass a fake)."""

    def get(self, url: str) -> Fetched: ...


def wayback_url(url: str) -> str:
    """The Internet Archive form of ``url``: its capture nearest to 2022.

    Useful for 2022 articles that have since moved or died.
    """
    return f"https://web.archive.org/web/2022/{url}"


def _describe_status(status: int, phrase: str = "") -> str:
    if not phrase:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
    return f"HTTP {status} {phrase}".strip()


def _size_text(n_bytes: int) -> str:
    return f"{n_bytes / 1_000_000:g} MB"


_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 address carries, and how (``"6to4"``...), or None.

    These wrappings can route to the IPv4 address inside (a relay or translator unwraps them),
    so a wrapped private address must count as private: IPv4-mapped (``::ffff:a.b.c.d``),
    IPv4-compatible (``::a.b.c.d``), 6to4 (``2002::/16``), Teredo (``2001::/32``, the client)
    and NAT64 (``64:ff9b::/96`` and the local-use ``64:ff9b:1::/48``).
    """
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, "IPv4-mapped"
    if ip.sixtofour is not None:
        return ip.sixtofour, "6to4"
    if ip.teredo is not None:
        return ip.teredo[1], "Teredo"
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if any(ip in net for net in _NAT64):
        return low32, "NAT64"
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # not :: or ::1, which are IPv6 themselves
        return low32, "IPv4-compatible"
    return None


def _kind_of(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    checks = (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-global", not ip.is_global),
    )
    return next((kind for kind, hit in checks if hit), "")


def address_kind(address: str) -> str:
    """What kind of non-public address ``address`` is (``"loopback"``...), or ``""`` if public.

    An IPv6 address wrapping an IPv4 one (see ``embedded_ipv4``) is judged by the IPv4 address
    first, then by itself; an IPv4-mapped one only by its IPv4 address, since a connection to
    it is an IPv4 connection.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None and (_kind_of(inner[0]) or inner[1] == "IPv4-mapped"):
            return _kind_of(inner[0])
    return _kind_of(ip)


def address_refusal(address: str) -> str:
    """Why ``address`` must not be contacted without ``allow_private``, or ``""`` if public."""
    kind = address_kind(address)
    if not kind:
        return ""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    # IPv4-mapped addresses are written with their IPv4 address in them already.
    how = f" ({inner[1]} wrapping {inner[0]})" if inner and inner[1] != "IPv4-mapped" else ""
    return f"{address} is a {kind} address{how}"


def resolve_host(host: str, port: int) -> list[str]:
    """Every IP address ``host`` resolves to (the host itself if it is an IP literal)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _HostClock:
    """Keeps requests to one host at least ``interval`` seconds apart (thread-safe).

    The interval counts from the end of the previous request, so a slow answer never lets the
    next request follow it closely.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> None:
        """Sleep until ``host`` may be contacted again, and book that moment."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + self.interval
        if slot > now:
            time.sleep(slot - now)

    def done(self, host: str) -> None:
        """Mark the end of a request to ``host``; the interval starts again from now."""
        with self._lock:
            self._next[host] = max(self._next.get(host, 0.0), time.monotonic() + self.interval)


class HttpFetcher:
    """Fetches pages over HTTP(S) with the safety rules described in the module docstring.

    Args:
        settings: behaviour; defaults to ``FetchSettings()``.
        resolver: ``(host, port) -> [ip, ...]``; defaults to the system resolver.
        verify: TLS verification as httpx takes it: True (system CAs via certifi), a CA bundle
            path or an ``ssl.SSLContext`` (for a corporate or test CA).
    """

    def __init__(self, settings: FetchSettings | None = None, *,
                 resolver: Resolver | None = None,
                 verify: ssl.SSLContext | str | bool = True) -> None:
        self.settings = settings or FetchSettings()
        self._resolve = resolver or resolve_host
        self._clock = _HostClock(self.settings.per_host_interval_s)
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._robots_lock = threading.Lock()
        # No keep-alive: each connection goes to a pinned IP with its own SNI, so a pooled
        # connection must never be reused for another hostname on the same address.
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.settings.timeout_s),
            follow_redirects=False,
            trust_env=False,
            verify=verify,
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"User-Agent": self.settings.user_agent, "Accept": _ACCEPT,
                     "Accept-Encoding": ACCEPT_ENCODING},
        )

    def close(self) -> None:
        """Release the HTTP client's connections."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ------------------------------------------------------------------------------
    def get(self, url: str) -> Fetched:
        """Fetch ``url``, following redirects safely.

        Returns:
            The page, with ``final_url`` the URL after redirects.

        Raises:
            FetchError: refused (scheme, address, robots.txt), unreachable, too slow, too
                large, redirect loop, too many redirects, or an HTTP 4xx/5xx answer.
        """
        return self._follow(url, self.settings.max_bytes, check_robots=True, truncate=False)

    # -- redirects ---------------------------------------------------------------------------
    def _follow(self, url: str, max_bytes: int, *, check_robots: bool, truncate: bool) -> Fetched:
        seen: set[str] = set()
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            if current in seen:
                raise FetchError(url, f"redirect loop (back to {current})")
            seen.add(current)
            target = _target(url, current)
            if check_robots:
                self._check_robots(url, current)
            status, headers, body = self._request_with_retries(url, target, max_bytes, truncate)
            if status in _REDIRECT_STATUSES and headers.get("location"):
                current = _redirect_target(url, current, headers["location"])
                log.debug("redirect %s -> %s", url, current)
                continue
            if status >= 400:
                raise FetchError(url, _describe_status(status))
            if status >= 300:
                raise FetchError(url, f"{_describe_status(status)} without a redirect target")
            return Fetched(url=url, final_url=current, status=status,
                           content_type=headers.get("content-type", ""), headers=headers,
                           body=body)
        raise FetchError(url, f"too many redirects (more than {MAX_REDIRECTS})")

    # -- one request, with retries -----------------------------------------------------------
    def _request_with_retries(self, url: str, current: httpx.URL, max_bytes: int,
                              truncate: bool) -> tuple[int, dict[str, str], bytes]:
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            delay = self.settings.backoff_s * (2 ** attempt)
            try:
                status, headers, body = self._request(url, current, max_bytes, truncate)
            except httpx.ConnectError as exc:
                tls = _tls_problem(exc)
                if tls:
                    raise FetchError(url, f"TLS handshake failed ({tls})") from exc
                if last:
                    raise FetchError(url, f"could not connect ({_short(exc)})"
                                     f"{_after(attempts)}") from exc
                log.info("connect error on %s, retrying in %.2fs", current, delay)
            except httpx.ConnectTimeout as exc:
                if last:
                    raise FetchError(url, f"connection timed out after {self.settings.timeout_s:g}s"
                                     f"{_after(attempts)}") from exc
                log.info("connect timeout on %s, retrying in %.2fs", current, delay)
            else:
                if status not in RETRY_STATUSES:
                    return status, headers, body
                if last:
                    raise FetchError(url, _describe_status(status) + _after(attempts))
                delay = max(delay, _retry_after(headers))
                log.info("%s on %s, retrying in %.2fs", _describe_status(status), current, delay)
            time.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _request(self, url: str, target: httpx.URL, max_bytes: int,
                 truncate: bool) -> tuple[int, dict[str, str], bytes]:
        """One GET of ``target`` to a checked address. Raises FetchError or httpx.Connect*."""
        host = target.raw_host.decode("ascii")
        port = target.port or (443 if target.scheme == "https" else 80)
        address = self._checked_address(url, host, port)
        self._clock.wait(host.lower())
        try:
            return self._send(url, target, address, host, max_bytes, truncate)
        finally:
            self._clock.done(host.lower())

    def _send(self, url: str, target: httpx.URL, address: str, host: str, max_bytes: int,
              truncate: bool) -> tuple[int, dict[str, str], bytes]:
        """Send the GET to the pinned ``address``, naming ``host`` in Host and TLS SNI."""
        host_header = f"[{host}]" if ":" in host else host
        if target.port is not None:
            host_header += f":{target.port}"
        extensions = {"sni_hostname": host} if target.scheme == "https" else {}
        request = self._client.build_request(
            "GET", target.copy_with(host=address), headers={"Host": host_header},
            extensions=extensions,
        )
        try:
            response = self._client.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            raise  # retried by the caller
        except httpx.TimeoutException as exc:
            raise FetchError(url, f"timed out after {self.settings.timeout_s:g}s "
                             "waiting for the server") from exc
        except httpx.HTTPError as exc:
            raise FetchError(url, f"request failed ({_short(exc)})") from exc
        try:
            headers = {k.lower(): v for k, v in response.headers.items()}
            if response.status_code >= 300:
                return response.status_code, headers, b""
            body = self._read_body(url, response, max_bytes, truncate)
            return response.status_code, headers, body
        finally:
            response.close()

    def _read_body(self, url: str, response: httpx.Response, max_bytes: int,
                   truncate: bool) -> bytes:
        cap = f"page larger than {_size_text(max_bytes)} cap"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes and not truncate:
            raise FetchError(url, f"{cap} (server says {_size_text(int(declared))})")
        deadline = time.monotonic() + RESPONSE_DEADLINE_FACTOR * self.settings.timeout_s
        chunks: list[bytes] = []
        size = 0
        try:
            # The raw bytes, decoded here in bounded steps (corpus._encoding), never by httpx.
            for chunk in decoded(response.iter_raw(), response.headers.get("content-encoding",
                                                                            "")):
                size += len(chunk)
                chunks.append(chunk)
                if size > max_bytes:
                    if truncate:
                        return b"".join(chunks)[:max_bytes]
                    raise FetchError(url, cap)
                if time.monotonic() > deadline:
                    raise FetchError(url, "server too slow: page not received within "
                                     f"{RESPONSE_DEADLINE_FACTOR * self.settings.timeout_s:g}s")
        except EncodingProblem as exc:
            raise FetchError(url, f"page cannot be decoded: {exc}") from exc
        except httpx.TimeoutException as exc:
            raise FetchError(url, f"timed out after {self.settings.timeout_s:g}s "
                             "while reading the page") from exc
        except httpx.HTTPError as exc:
            raise FetchError(url, f"connection broke while reading the page "
                             f"({_short(exc)})") from exc
        return b"".join(chunks)

    def _checked_address(self, url: str, host: str, port: int) -> str:
        try:
            addresses = self._resolve(host, port)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(url, f"host not found: {host} (DNS lookup failed)") from exc
        if not addresses:
            raise FetchError(url, f"host not found: {host} (no addresses)")
        if not self.settings.allow_private:
            for address in addresses:
                why = address_refusal(address)
                if why and address != host:
                    why = f"{host} resolves to {why.replace(' is a ', ', a ', 1)}"
                if why:
                    raise FetchError(url, f"refused: {why} "
                                     "(set allow_private=True only for local testing)")
        return addresses[0]

    # -- robots.txt --------------------------------------------------------------------------
    def _check_robots(self, url: str, current: str) -> None:
        if not self.settings.respect_robots:
            return
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return  # _request refuses it with a clearer reason
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        with self._robots_lock:
            cached = origin in self._robots
            parser = self._robots.get(origin)
        if not cached:
            parser = self._load_robots(url, origin)
            with self._robots_lock:
                self._robots[origin] = parser
        if parser is not None and not parser.can_fetch(self.settings.user_agent, current):
            raise FetchError(url, f"disallowed by {origin}/robots.txt (ask the site, or set "
                             "respect_robots=False only if you have permission)")

    def _load_robots(self, url: str, origin: str) -> urllib.robotparser.RobotFileParser | None:
        """The parsed robots.txt of ``origin``, or None when everything is allowed.

        As RFC 9309 asks: a missing robots.txt (any 4xx, or a broken redirect chain) allows
        everything, and a server error (5xx) disallows the whole host. When the host cannot
        be reached at all (refused address, DNS, connect, TLS, timeout), the page fails with
        that reason, since the page request would fail the same way.
        """
        robots_url = f"{origin}/robots.txt"
        try:
            page = self._follow(robots_url, ROBOTS_MAX_BYTES, check_robots=False, truncate=True)
        except FetchError as exc:
            if exc.reason.startswith(("HTTP 4", "redirect loop", "too many redirects")):
                log.debug("no robots.txt at %s (%s): all allowed", origin, exc.reason)
                return None
            if not exc.reason.startswith("HTTP 5"):
                raise FetchError(url, exc.reason) from exc
            log.warning("robots.txt of %s unavailable (%s): treating host as disallowed",
                        origin, exc.reason)
            parser = urllib.robotparser.RobotFileParser()
            parser.parse(["User-agent: *", "Disallow: /"])
            return parser
        parser = urllib.robotparser.RobotFileParser(robots_url)
        parser.parse(page.body.decode("utf-8", errors="replace").splitlines())
        return parser


def _is_http(url: str) -> bool:
    match = _SCHEME.match(url)
    return bool(match) and match.group(1).lower() in ("http", "https")  # type: ignore[union-attr]


def _target(url: str, current: str) -> httpx.URL:
    """``current`` as a URL httpx can request, or FetchError saying why it is not one.

    Both parsers must accept it: ``urlsplit`` (robots.txt, canonical URLs) and httpx (the
    request), so a port out of range, an unclosed ``[``, an octal IPv4 address or a broken
    internationalised name fails here as this one item, never as a traceback.
    """
    if not _is_http(current):
        raise FetchError(url, f"only http(s) URLs can be fetched, not {current[:80]!r}")
    try:
        _ = urlsplit(current).port
        target = httpx.URL(current)
        _ = target.port
        host = target.host  # decodes internationalised names: a broken one raises here
    except (ValueError, httpx.InvalidURL, UnicodeError) as exc:
        raise FetchError(url, f"malformed URL ({_short(exc)})") from exc
    if not host:
        raise FetchError(url, "malformed URL (no host name)")
    return target


def _redirect_target(url: str, current: str, location: str) -> str:
    try:
        return urljoin(current, location.strip())
    except ValueError as exc:
        raise FetchError(url, f"malformed redirect target {location[:80]!r} ({_short(exc)})"
                         ) from exc


def _tls_problem(exc: BaseException) -> str:
    """The TLS error behind a connect error (bad certificate...), or ``""``: never retried."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return _short(seen)
        seen = seen.__cause__ or seen.__context__
    return ""


def _after(attempts: int) -> str:
    return f" after {attempts} attempts" if attempts > 1 else ""


def _retry_after(headers: dict[str, str]) -> float:
    value = headers.get("retry-after", "").strip()
    return min(float(value), MAX_RETRY_AFTER_S) if value.isdigit() else 0.0


def _short(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


__all__ = [
    "MAX_REDIRECTS", "FetchSettings", "Fetched", "Fetcher", "HttpFetcher", "address_kind",
    "address_refusal",
    "resolve_host", "wayback_url",
]
