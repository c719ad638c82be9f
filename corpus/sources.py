"""Local sources: record files (JSONL/CSV), saved HTML pages, plain text, URL lists, folders.

Each reader yields ``Draft`` articles or failed ``ItemOutcome``s, never raising for one bad
item: a malformed line is recorded with its line number and reason, and the run goes on.
"""
from __future__ import annotations

import codecs
import csv
import json
import logging
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from corpus.dedupe import content_hash
from corpus.errors import ExtractError, SourceError, os_reason
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
NO_RECORDS = "no records in this file"
# Extra fields are kept as metadata and copied recursively on the way to the store; real
# datasets nest two or three levels, so this is generous and keeps far from the stack limit.
MAX_RECORD_DEPTH = 32
_TOO_DEEP = "is nested too deeply to read (JSON nesting over the limit)"
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


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


def _kind_of(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISDIR, "a folder"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def open_local(path: Path) -> BinaryIO:
    """Open a local file for reading; anything but a regular file is refused, never read.

    Opened without blocking, so a FIFO with no writer cannot hold the run, then checked on the
    open descriptor itself (a symlink is judged by what it points to, and a file swapped after
    a check is still caught): a device such as /dev/zero would read without end.

    Raises:
        SourceError: not a regular file (FIFO, device, socket, folder).
        OSError: the file cannot be opened (missing, no permission, a name too long).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise SourceError(f"{path} is {_kind_of(mode)}, not a regular file: Parallax reads "
                              "regular files only (save the data to a file first)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_local(path: Path, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular local file, never more than ``max_bytes`` (None: its size when
    opened, so a file growing while it is read cannot run on).

    Raises:
        SourceError: not a regular file, or larger than ``max_bytes``.
        OSError: the file cannot be opened or read.
    """
    with open_local(path) as handle:
        bound = os.fstat(handle.fileno()).st_size if max_bytes is None else max_bytes
        data = handle.read(bound + 1)
    if len(data) > bound:
        if max_bytes is None:
            raise SourceError(f"{path} grew while it was read; read it again once it is "
                              "complete")
        raise SourceError(f"file is over the {max_bytes / 1e6:.0f} MB cap for one page")
    return data


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
    """Records from a JSON Lines file (or a .json file holding a list of records).

    Every non-blank line ends as a Draft or a failed item naming it (``path#line``); a file
    without any record is one failed item saying so.
    """
    if path.suffix.lower() == ".json":
        yield from _iter_json_file(path)
        return
    found = False
    with open_local(path) as handle:
        for n, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            found = True
            yield _jsonl_line(raw, n, path)
    if not found:
        yield ItemOutcome(str(path), "failed", "read", NO_RECORDS)


def _jsonl_line(raw: bytes, n: int, path: Path) -> Draft | ItemOutcome:
    label = f"{path}#{n}"
    try:
        row = json.loads(raw.decode("utf-8-sig" if n == 1 else "utf-8"))
    except UnicodeDecodeError:
        return ItemOutcome(label, "failed", "read", "line is not UTF-8 text")
    except json.JSONDecodeError as exc:
        return ItemOutcome(label, "failed", "read", f"line is not valid JSON ({exc.msg})")
    except RecursionError:
        return ItemOutcome(label, "failed", "read", f"line {_TOO_DEEP}")
    return _record_or_failure(row, label, str(path))


def _iter_json_file(path: Path) -> Iterator[Draft | ItemOutcome]:
    raw = read_local(path)
    if not raw.strip():
        yield ItemOutcome(str(path), "failed", "read", NO_RECORDS)
        return
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        yield ItemOutcome(str(path), "failed", "read", f"not valid JSON: {exc}")
        return
    except RecursionError:
        yield ItemOutcome(str(path), "failed", "read", f"file {_TOO_DEEP}")
        return
    rows = data if isinstance(data, list) else [data]
    if not rows:
        yield ItemOutcome(str(path), "failed", "read", NO_RECORDS)
    for n, row in enumerate(rows, 1):
        yield _record_or_failure(row, f"{path}#{n}", str(path))


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects in ``value`` nest more than ``limit`` levels (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(
            item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _record_or_failure(row: Any, label: str, origin: str) -> Draft | ItemOutcome:
    if not isinstance(row, dict):
        return ItemOutcome(label, "failed", "read", "record is not a JSON object")
    if _nested_deeper_than(row, MAX_RECORD_DEPTH):
        return ItemOutcome(label, "failed", "read", f"record is nested more than "
                           f"{MAX_RECORD_DEPTH} levels deep; extra fields must be shallow")
    try:
        return draft_from_record(row, label, origin)
    except SourceError as exc:
        return ItemOutcome(label, "failed", "read", str(exc))


def decode_text(raw: bytes) -> tuple[str, str]:
    """The text of a local file and the encoding it was read with.

    A byte-order mark or valid UTF-8 decides at once. Otherwise charset_normalizer ranks the
    readings; among the equally plausible best ones windows-1252 is preferred (what browsers
    assume for undeclared Western text, and what Excel writes on Western Windows), because the
    detector's own tie-break reads "señal" as cp1250 "seńal". UTF-16/32 without a byte-order
    mark is never guessed.

    Raises:
        SourceError: the encoding cannot be told (readings that differ are equally plausible).
    """
    for bom, encoding in _BOMS:
        if raw.startswith(bom):  # these codecs read the mark (and so the byte order) and drop it
            return raw.decode(encoding, errors="replace"), encoding
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(raw) if not m.encoding.startswith(("utf_16", "utf_32"))]
    if not matches:
        raise SourceError("cannot tell this file's text encoding (it is not UTF-8); "
                          "save it as UTF-8")
    best = matches[0]
    tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    chosen = next((m for m in tied if m.encoding == "cp1252"), None)
    if chosen is None and len({str(m) for m in tied}) == 1:
        chosen = best
    if chosen is None:
        names = ", ".join(m.encoding for m in tied[:4])
        raise SourceError(f"cannot tell this file's text encoding: it is not UTF-8 and reads "
                          f"equally well as {names}; save it as UTF-8")
    return str(chosen), chosen.encoding


def _read_text(path: Path, quiet: bool = False) -> str:
    text, encoding = decode_text(read_local(path))
    if encoding not in ("utf-8", "utf-8-sig") and not quiet:
        log.warning("%s is not UTF-8: read as %s (detected)", path, encoding)
    return text


def _read_csv_rows(path: Path, quiet: bool = False) -> tuple[list[str], Iterator[dict[str, str]]]:
    csv.field_size_limit(2**31 - 1)
    reader = csv.DictReader(_read_text(path, quiet).splitlines(keepends=True))
    return list(reader.fieldnames or []), reader


def csv_kind(path: Path) -> str:
    """``"records"`` when the CSV has a text column, ``"urls"`` when it has only URLs."""
    fields, _ = _read_csv_rows(path, quiet=True)
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
    found = False
    for n, row in enumerate(rows, 2):
        found = True
        yield _record_or_failure(dict(row), f"{path}#{n}", str(path))
    if not found:
        yield ItemOutcome(str(path), "failed", "read", NO_RECORDS)


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
    lines = _read_text(path, quiet=True).splitlines()
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
    raw = read_local(path)
    if b"\x00" in raw[:4096] and not raw.startswith(tuple(bom for bom, _ in _BOMS)):
        raise SourceError("file looks binary, not text")
    text, encoding = decode_text(raw)
    metadata = {} if encoding in ("utf-8", "utf-8-sig") else {"encoding": encoding}
    if metadata:
        log.warning("%s is not UTF-8: read as %s (detected)", path, encoding)
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise SourceError("file is empty")
    first, _, rest = text.partition("\n")
    title = first.strip().lstrip("#").strip() if len(first) <= 200 and rest.strip() else ""
    body = rest.strip() if title else text
    return Draft(
        source=str(path), url="", title=title, text=body, source_id=path.name,
        outlet=outlet, origin=str(path), identity=f"file:{content_hash(text)}",
        metadata=metadata,
    )


def read_html_file(path: Path, outlet: str = "") -> Draft:
    """A saved HTML page, extracted with trafilatura (the raw bytes are kept too).

    Raises:
        ExtractError: no article text could be extracted.
    """
    from corpus.extract import extract_page

    body = read_local(path)
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

    Hidden files and dataset paperwork (README, LICENSE, PROVENANCE...) are skipped. Anything
    else named like a source is listed even when it is not a regular file (a FIFO, a link to a
    device), so that reading it fails as one item with its reason, never silently.
    """
    known = HTML_SUFFIXES | TEXT_SUFFIXES | RECORD_SUFFIXES | FEED_SUFFIXES
    return sorted(
        p for p in path.rglob("*")
        if p.suffix.lower() in known and not p.name.startswith(".")
        and not _NOT_ARTICLES.match(p.name) and not p.is_dir()
    )


def ensure_readable(path: Path, max_bytes: int) -> None:
    """Raise SourceError when a file is missing, not a regular file or over the size cap."""
    try:
        found = path.stat()
    except FileNotFoundError:
        raise SourceError(f"no such file or folder: {path}") from None
    except OSError as exc:
        raise SourceError(f"cannot read: {os_reason(exc)}") from exc
    if not stat.S_ISREG(found.st_mode):
        raise SourceError(f"{_kind_of(found.st_mode)}, not a regular file: Parallax reads "
                          "regular files only (save the data to a file first)")
    size = found.st_size
    if path.suffix.lower() not in RECORD_SUFFIXES and size > max_bytes:
        raise SourceError(
            f"file is {size / 1e6:.0f} MB, over the {max_bytes / 1e6:.0f} MB cap for one page"
        )


__all__ = [
    "Draft", "ExtractError", "csv_kind", "draft_from_record", "ensure_readable", "is_url_list",
    "iter_csv_records", "iter_jsonl", "list_folder", "open_local", "read_html_file",
    "read_local", "read_text_file", "read_url_list",
]
