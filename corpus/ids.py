"""Stable identities: canonical URLs and article ids that do not change between runs."""
from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid", "ref", "_r")


def canonical_url(url: str) -> str:
    """A URL with tracking parameters, fragment, ``www.``, scheme and trailing-slash noise removed.

    Two links to the same page from different feeds map to one canonical URL, so the page is
    stored once. A URL that cannot be parsed (a port out of range, an unclosed ``[``) is
    returned stripped but otherwise as it is: fetching it fails later with a readable reason.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    if not parts.scheme or not parts.netloc:
        return url.strip()
    host = (parts.hostname or "").lower().removeprefix("www.")
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING)
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https", host, path, urlencode(query), ""))


def article_key(url: str, source_id: str, outlet: str, content_hash: str) -> str:
    """What makes an article the same article: its URL (and record id), else outlet and record
    id, else its text."""
    if url:
        canon = canonical_url(url)
        same = not source_id or canonical_url(source_id) == canon
        return f"url:{canon}" if same else f"url:{canon}|{source_id}"
    if source_id:
        return f"rec:{outlet}|{source_id}"
    return f"text:{content_hash}"


def article_id(key: str) -> str:
    """A short stable id from an article key: 16 hex digits of its SHA-1."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
