"""Local sources: record files (JSONL/CSV), saved HTML pages, plain text, URL lists, folders.

Each reader yields ``Draft`` articles or failed ``ItemOutcome``s, never raising for one bad
item: a malformed line is recorded with its line number and reason, and the run goes on.
"""
from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.dedupe import content_hash
from corpus.errors import ExtractError, SourceError
from corpus.records import ItemOutcome

log = logging.getLogger(__name__)

RECORD_FIELDS = ("id", "outlet", "url", "title", "published", "text")
# Column names other datasets use for the same fields (first match wins).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "source_id", "doc_id", "article_id", "guid"),
    "outlet": ("outlet", "source", "publisher", "site_name", "site", "media", "domain"),
    "url": ("url", "link", "href", "article_url"),
    "title": ("title", "headline", "heading"),
    "published": ("published", "date", "published_at", "pub_date", "publish_date", "datetime"),
    "text": ("text", "body", "content", "article", "full_text", "maintext"),
}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".txt", ".md", ".text"}
RECORD_SUFFIXES = {".jsonl", ".ndjson", ".csv", ".json"}
FEED_SUFFIXES = {".xml", ".rss", ".atom", ".opml"}
_URL_LINE = re.compile(r"^https?://\S+$", re.IGNORECASE)


@dataclass(frozen=True)
class Draft:
    """An article read or extracted but not yet identified, de-duplicated or stored."""

    source: str
    url: str
    title: str
    text: str
    source_id: str = ""
    outlet: str = ""
    published: str = ""
    language: str = ""
    author: str = ""
    site_name: str = ""
    origin: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    raw_page: dict[str, Any] | None = None
    # Set for local files, whose identity is their content (not their path, which moves).
    identity: str = ""


def _pick(record: dict[str, Any], name: str) -> tuple[str, str]:
    """The value of a field under its name or an alias, and the key it was found under."""
    lowered = {str(k).strip().lower(): k for k in record}
    for alias in FIELD_ALIASES[name]:
        key = lowered.get(alias)
        if key is not None and record[key] not in (None, ""):
            return str(record[key]).strip(), key
    return "", ""


def draft_from_record(record: dict[str, Any], source: str, origin: str) -> Draft:
    """Map one record (``id, outlet, url, title, published, text`` or aliases) to a Draft.

    Fields beyond the known ones are kept in ``metadata``.

    Raises:
        SourceError: the record has no text.
    """
    values: dict[str, str] = {}
    used: set[str] = set()
    for name in RECORD_FIELDS:
        values[name], key = _pick(record, name)
        used.add(key)
    if not values["text"]:
        raise SourceError("record has no text (expected a 'text' or 'body' field)")
    metadata = {str(k): v for k, v in record.items() if k not in used and v not in (None, "")}
    return Draft(
        source=source, url=values["url"], title=values["title"], text=values["text"],
        source_id=values["id"], outlet=values["outlet"], published=values["published"],
        origin=origin, metadata=metadata,
    )


def iter_jsonl(path: Path) -> Iterator[Draft | ItemOutcome]:
    """Records from a JSON Lines file (or a .json file holding a list of records)."""
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            yield ItemOutcome(str(path), "failed", "read", f"not valid JSON: {exc}")
            return
        rows = data if isinstance(data, list) else [data]
        for n, row in enumerate(rows, 1):
            yield _record_or_failure(row, f"{path}#{n}", str(path))
        return
    with path.open("rb") as handle:
        for n, raw in enumerate(handle, 1):
            label = f"{path}#{n}"
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield ItemOutcome(label, "failed", "read", "line is not UTF-8 text")
                continue
            except json.JSONDecodeError as exc:
                yield ItemOutcome(label, "failed", "read", f"line is not valid JSON ({exc.msg})")
                continue
            yield _record_or_failure(row, label, str(path))


def _record_or_failure(row: Any, label: str, origin: str) -> Draft | ItemOutcome:
    if not isinstance(row, dict):
        return ItemOutcome(label, "failed", "read", "record is not a JSON object")
    try:
        return draft_from_record(row, label, origin)
    except SourceError as exc:
        return ItemOutcome(label, "failed", "read", str(exc))


def _read_csv_rows(path: Path) -> tuple[list[str], Iterator[dict[str, str]]]:
    csv.field_size_limit(2**31 - 1)
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(text.splitlines(keepends=True))
    return list(reader.fieldnames or []), reader


def csv_kind(path: Path) -> str:
    """``"records"`` when the CSV has a text column, ``"urls"`` when it has only URLs."""
    fields, _ = _read_csv_rows(path)
    lowered = {f.strip().lower() for f in fields}
    if lowered & set(FIELD_ALIASES["text"]):
        return "records"
    if lowered & set(FIELD_ALIASES["url"]):
        return "urls"
    raise SourceError(
        f"{path}: a CSV needs a 'text' column (article records) or a 'url' column (a URL list);"
        f" found columns {', '.join(fields) or 'none'}"
    )


def iter_csv_records(path: Path) -> Iterator[Draft | ItemOutcome]:
    """Article records from a CSV with a header row (line numbers count the header as 1)."""
    _, rows = _read_csv_rows(path)
    for n, row in enumerate(rows, 2):
        yield _record_or_failure(dict(row), f"{path}#{n}", str(path))


def read_url_list(path: Path) -> list[str]:
    """URLs from a text file (one a line, ``#`` comments) or a CSV with a ``url`` column."""
    if path.suffix.lower() == ".csv":
        _, rows = _read_csv_rows(path)
        urls = []
        for row in rows:
            value, _ = _pick(dict(row), "url")
            if value:
                urls.append(value)
        return urls
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def is_url_list(path: Path) -> bool:
    """True when every non-comment line of a text file is an http(s) URL."""
    try:
        lines = read_url_list(path)
    except OSError:
        return False
    return bool(lines) and all(_URL_LINE.match(ln) for ln in lines)


def read_text_file(path: Path, outlet: str = "") -> Draft:
    """A plain-text article: the first short line is its title, the rest its text.

    Raises:
        SourceError: the file is empty or not decodable text.
    """
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise SourceError("file looks binary, not text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is None:
            raise SourceError("cannot tell this file's text encoding; save it as UTF-8") from None
        text = str(best)
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise SourceError("file is empty")
    first, _, rest = text.partition("\n")
    title = first.strip().lstrip("#").strip() if len(first) <= 200 and rest.strip() else ""
    body = rest.strip() if title else text
    return Draft(
        source=str(path), url="", title=title, text=body, source_id=path.name,
        outlet=outlet, origin=str(path), identity=f"file:{content_hash(text)}",
    )


def read_html_file(path: Path, outlet: str = "") -> Draft:
    """A saved HTML page, extracted with trafilatura (the raw bytes are kept too).

    Raises:
        ExtractError: no article text could be extracted.
    """
    from corpus.extract import extract_page

    body = path.read_bytes()
    extracted = extract_page(body, url="", content_type="text/html")
    return Draft(
        source=str(path), url=extracted.url, title=extracted.title, text=extracted.text,
        source_id=path.name, outlet=outlet, published=extracted.published,
        language=extracted.language, author=extracted.author, site_name=extracted.site_name,
        origin=str(path), identity=f"file:{content_hash(extracted.text)}",
        raw_page={"url": f"file://{path.resolve()}", "status": 200,
                  "content_type": "text/html", "body": body},
    )


# Files that sit beside datasets and are not articles.
_NOT_ARTICLES = re.compile(r"^(readme|license|licence|provenance|changelog|notice|copying)\b",
                           re.IGNORECASE)


def list_folder(path: Path) -> list[Path]:
    """The files of a folder that Parallax can read, recursively, in a stable order.

    Hidden files and dataset paperwork (README, LICENSE, PROVENANCE...) are skipped.
    """
    known = HTML_SUFFIXES | TEXT_SUFFIXES | RECORD_SUFFIXES | FEED_SUFFIXES
    return sorted(
        p for p in path.rglob("*")
        if p.is_file() and p.suffix.lower() in known and not p.name.startswith(".")
        and not _NOT_ARTICLES.match(p.name)
    )


def ensure_readable(path: Path, max_bytes: int) -> None:
    """Raise SourceError when a file is missing, unreadable or over the size cap."""
    if not path.exists():
        raise SourceError(f"no such file or folder: {path}")
    size = path.stat().st_size
    if path.suffix.lower() not in RECORD_SUFFIXES and size > max_bytes:
        raise SourceError(
            f"file is {size / 1e6:.0f} MB, over the {max_bytes / 1e6:.0f} MB cap for one page"
        )


__all__ = [
    "Draft", "ExtractError", "csv_kind", "draft_from_record", "ensure_readable", "is_url_list",
    "iter_csv_records", "iter_jsonl", "list_folder", "read_html_file", "read_text_file",
    "read_url_list",
]
