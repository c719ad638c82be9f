"""Collection: every source through one call, into the store, nothing lost or duplicated.

``collect(sources, store)`` reads feeds, OPML lists, article URLs, URL lists, saved pages,
text files, folders and record files (JSONL/CSV). Each item ends as one ``ItemOutcome``
(stored, duplicate, unchanged, out of scope, failed), recorded in the store with its reason.
"""
from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np

from corpus.dedupe import NEAR_THRESHOLD, NearDuplicateIndex, content_hash, minhash_signature
from corpus.errors import CorpusError, ExtractError, FeedError, FetchError, SourceError
from corpus.fetch import Fetched, Fetcher, FetchSettings, HttpFetcher, wayback_url
from corpus.ids import article_id, article_key, canonical_url
from corpus.language import article_language
from corpus.outlets import OutletResolver, default_resolver, host_of
from corpus.records import Article, CollectReport, ItemOutcome, one_line
from corpus.sources import (
    FEED_SUFFIXES,
    HTML_SUFFIXES,
    RECORD_SUFFIXES,
    TEXT_SUFFIXES,
    Draft,
    csv_kind,
    ensure_readable,
    is_url_list,
    iter_csv_records,
    iter_jsonl,
    list_folder,
    read_html_file,
    read_local,
    read_text_file,
    read_url_list,
)
from corpus.store import Store, now_iso
from corpus.text import ascii_fold

log = logging.getLogger(__name__)

SeedMatcher = Callable[[str], float]


@dataclass(frozen=True)
class EventScope:
    """Which articles belong to the event being collected. Empty: keep everything.

    ``keywords`` match case-insensitively in the title or text (any one suffices);
    ``since``/``until`` are inclusive ISO dates on ``published`` (articles with no date are
    kept, with ``date_unknown`` noted in their metadata); a ``seed_matcher`` (built by the
    caller from a seed article and an embedder) must score at least ``seed_threshold``.
    """

    keywords: tuple[str, ...] = ()
    since: str = ""
    until: str = ""
    # Cosine to the seed with the multilingual encoder (compare.workflows.seed_matcher). The
    # seed of the Istanbul demo against its real coverage: 0.28-0.79 (English and Russian,
    # 108 articles); against 80 random Kremlin releases of the
    # same half-year on other subjects: 0.09-0.63, median 0.34. 0.35 keeps 107 of the 108 and
    # drops about half of the unrelated items that keywords and dates let through.
    seed_threshold: float = 0.35

    def reason_to_skip(self, draft: Draft, seed_matcher: SeedMatcher | None) -> str:
        """Why a draft falls outside the event, or ``""`` when it is in scope."""
        day = normalise_date(draft.published)[:10]
        if day and self.since and day < self.since:
            return f"published {day}, before the event window starting {self.since}"
        if day and self.until and day > self.until:
            return f"published {day}, after the event window ending {self.until}"
        if self.keywords:
            haystack = f"{draft.title}\n{draft.text}".lower()
            keywords = [k.lower() for k in self.keywords]
            # A keyword in Latin letters such as "Medinsky" or "Zelensk" also finds
            # "Мединский" or "Зеленский"; translations ("Istanbul" / "Стамбул") need their own.
            found = any(k in haystack for k in keywords) or any(
                k in ascii_fold(haystack) for k in keywords)
            if not found:
                return f"mentions none of the event keywords ({', '.join(self.keywords)})"
        if seed_matcher is not None:
            score = seed_matcher(f"{draft.title}\n\n{draft.text}")
            if score < self.seed_threshold:
                return f"similarity {score:.2f} to the seed article is below {self.seed_threshold}"
        return ""


@dataclass(frozen=True)
class CollectSettings:
    """Settings of a collection run (``[collect]`` in parallax.toml; CLI flags override)."""

    fetch: FetchSettings = field(default_factory=FetchSettings)
    scope: EventScope = field(default_factory=EventScope)
    outlet: str = ""
    registry: str = ""
    near_duplicate_threshold: float = NEAR_THRESHOLD
    wayback_fallback: bool = False
    max_file_bytes: int = 50_000_000
    max_text_chars: int = 2_000_000
    max_feed_depth: int = 2


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")
# Long date forms ("Wednesday, 30 March 2022 12:00:00 +0000 (Coordinated Universal Time)") stay
# under 90 characters; anything longer is not a date and is not handed to the date parser.
_MAX_DATE_CHARS = 100


def normalise_date(value: str) -> str:
    """An ISO 8601 date (``YYYY-MM-DD``) or UTC datetime (``...THH:MM:SSZ``); ``""`` if unknown."""
    value = (value or "").strip()
    if not value or len(value) > _MAX_DATE_CHARS:
        return ""
    if _ISO_DAY.match(value) and len(value) == 10:
        return value
    import pandas as pd

    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return ""
    if stamp is pd.NaT:
        return ""
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    if (stamp.hour, stamp.minute, stamp.second) == (0, 0, 0) and "T" not in value and ":" not in value:
        return stamp.strftime("%Y-%m-%d")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


class Collector:
    """One collection run over a store. ``collect()`` is the function most callers want."""

    def __init__(
        self,
        store: Store,
        settings: CollectSettings,
        fetcher: Fetcher | None = None,
        seed_matcher: SeedMatcher | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self._fetcher = fetcher
        self.seed_matcher = seed_matcher
        self.resolver: OutletResolver = default_resolver(settings.registry or None)
        self.near = NearDuplicateIndex(settings.near_duplicate_threshold)
        self._near_seq = store.last_seq()  # the index holds every original up to this one
        self.near.extend(store.minhashes())
        self.items: list[ItemOutcome] = []
        self.run_id = ""

    @property
    def fetcher(self) -> Fetcher:
        if self._fetcher is None:
            self._fetcher = HttpFetcher(self.settings.fetch)
        return self._fetcher

    # -- the run -----------------------------------------------------------------------------
    def run(self, sources: Sequence[str], progress: bool = False,
            on_item: Callable[[ItemOutcome], None] | None = None) -> CollectReport:
        params = {"sources": list(sources), "scope": self.settings.scope.__dict__,
                  "near_duplicate_threshold": self.settings.near_duplicate_threshold}
        self.run_id = self.store.start_run("collect", params)
        ticker = _Ticker(progress)
        with ticker:
            for source in sources:
                for item in self._items_of(source):
                    outcome = item if isinstance(item, ItemOutcome) else self._safe_store(item)
                    self.store.record_item(self.run_id, outcome)
                    self.items.append(outcome)
                    ticker.advance(outcome)
                    if on_item is not None:
                        on_item(outcome)
        report = CollectReport(self.run_id, tuple(self.items))
        self.store.finish_run(self.run_id, {o: report.count(o) for o in (
            "stored", "duplicate", "unchanged", "out_of_scope", "failed")})
        return report

    def _items_of(self, source: str) -> Iterator[Draft | ItemOutcome]:
        try:
            if re.match(r"^[a-z][a-z0-9+.-]*://", source, re.IGNORECASE) and not source.lower(
            ).startswith("file://"):
                yield from self._from_url(source, depth=0)
            else:
                yield from self._from_path(Path(source.removeprefix("file://")), depth=0)
        except CorpusError as exc:
            yield ItemOutcome(source, "failed", "read", str(exc))
        except OSError as exc:
            yield ItemOutcome(source, "failed", "read", f"cannot read: {exc.strerror or exc}")
        except Exception as exc:  # a defect in Parallax or a library: fail this source only
            log.exception("unexpected error reading %s", source)
            yield ItemOutcome(source, "failed", "read",
                              f"internal error ({type(exc).__name__}: {exc}); please report it")

    # -- local paths -------------------------------------------------------------------------
    def _from_path(self, path: Path, depth: int) -> Iterator[Draft | ItemOutcome]:
        if path.is_dir():
            files = list_folder(path)
            if not files:
                yield ItemOutcome(str(path), "failed", "read",
                                  "folder holds no .html, .txt, .jsonl, .csv, feed or OPML files")
            for child in files:
                yield from self._items_of(str(child))
            return
        ensure_readable(path, self.settings.max_file_bytes)
        suffix = path.suffix.lower()
        if suffix in (".jsonl", ".ndjson", ".json"):
            yield from iter_jsonl(path)
        elif suffix == ".csv":
            if csv_kind(path) == "records":
                yield from iter_csv_records(path)
            else:
                yield from self._from_url_list(path, depth)
        elif suffix in FEED_SUFFIXES:
            yield from self._from_document(read_local(path, self.settings.max_file_bytes),
                                           str(path), str(path), depth)
        elif suffix in HTML_SUFFIXES:
            yield self._local_page(path)
        elif suffix in TEXT_SUFFIXES and is_url_list(path):
            yield from self._from_url_list(path, depth)
        elif suffix in TEXT_SUFFIXES:
            yield read_text_file(path, self.settings.outlet)
        else:
            known = sorted(HTML_SUFFIXES | TEXT_SUFFIXES | RECORD_SUFFIXES | FEED_SUFFIXES)
            raise SourceError(f"unknown file type '{suffix}'; Parallax reads {', '.join(known)}")

    def _from_url_list(self, path: Path, depth: int) -> Iterator[Draft | ItemOutcome]:
        urls = read_url_list(path)
        if not urls:
            yield ItemOutcome(str(path), "failed", "read", "no URLs in this file")
        for url in urls:
            yield from self._from_url(url, depth)

    def _local_page(self, path: Path) -> Draft | ItemOutcome:
        try:
            return read_html_file(path, self.settings.outlet)
        except ExtractError as exc:
            return ItemOutcome(str(path), "failed", "extract", str(exc))

    # -- the network -------------------------------------------------------------------------
    def _from_url(self, url: str, depth: int) -> Iterator[Draft | ItemOutcome]:
        known = article_id(article_key(url, url, "", ""))
        if self.store.has_article(known):
            yield ItemOutcome(url, "unchanged", "store", "already in the store", known)
            return
        fetched: Fetched | None
        try:
            fetched = self.fetcher.get(url)
        except FetchError as exc:
            fetched = None
            if self.settings.wayback_fallback and _worth_archive(exc.reason):
                try:
                    fetched = self.fetcher.get(wayback_url(url))
                except FetchError as archived:
                    log.info("archive copy of %s failed too: %s", url, archived.reason)
            if fetched is None:
                yield ItemOutcome(url, "failed", "fetch", exc.reason)
                return
        yield from self._from_document(fetched.body, url, fetched.final_url, depth,
                                       content_type=fetched.content_type, fetched=fetched)

    def _from_document(self, body: bytes, source: str, url: str, depth: int,
                       content_type: str = "", fetched: object = None
                       ) -> Iterator[Draft | ItemOutcome]:
        from corpus.extract import extract_page
        from corpus.feeds import is_feed, is_opml, parse_opml, read_feed

        opml = is_opml(body)
        if opml or is_feed(body):
            if depth >= self.settings.max_feed_depth:
                yield ItemOutcome(source, "failed", "feed", "feeds nested too deep; not followed")
                return
            try:
                links = parse_opml(body) if opml else [e.url for e in read_feed(body, url)]
            except FeedError as exc:
                yield ItemOutcome(source, "failed", "feed", str(exc))
                return
            if not links:
                yield ItemOutcome(source, "failed", "feed", "feed lists no entries with links")
            for n, link in enumerate(links, 1):
                # An entry without a usable link is named by its place in the feed, as a
                # record is by its line: many can share one link ("javascript:void(0)").
                yield from self._items_of_link(link, depth + 1, f"{source}#{n}")
            return
        if fetched is None:
            yield ItemOutcome(source, "failed", "read", "not a feed or OPML document")
            return
        try:
            extracted = extract_page(body, url=url, content_type=content_type)
        except ExtractError as exc:
            yield ItemOutcome(source, "failed", "extract", str(exc))
            return
        yield Draft(
            source=source, url=source, title=extracted.title, text=extracted.text,
            source_id=source, published=extracted.published, language=extracted.language,
            author=extracted.author, site_name=extracted.site_name, origin=source,
            metadata={"final_url": url} if canonical_url(url) != canonical_url(source) else {},
            raw_page={"url": source, "final_url": url, "status": getattr(fetched, "status", 200),
                      "content_type": content_type, "body": body},
        )

    def _items_of_link(self, link: str, depth: int, label: str) -> Iterator[Draft | ItemOutcome]:
        if not re.match(r"^https?://", link, re.IGNORECASE):
            reason = f"feed entry link {link[:200]!r} is not an http(s) URL" if link.strip() \
                else "feed entry has no link"
            yield ItemOutcome(label, "failed", "feed", reason)
            return
        yield from self._from_url(link, depth)

    # -- identity, scope, duplicates, storing ------------------------------------------------
    def _safe_store(self, draft: Draft) -> ItemOutcome:
        """Store one draft; a defect in Parallax fails this item, not the whole run."""
        try:
            return self._store_draft(draft)
        except CorpusError as exc:
            return ItemOutcome(draft.source, "failed", "store", str(exc))
        except Exception as exc:
            log.exception("unexpected error storing %s", draft.source)
            return ItemOutcome(draft.source, "failed", "store",
                               f"internal error ({type(exc).__name__}: {exc}); please report it")

    def _store_draft(self, draft: Draft) -> ItemOutcome:
        text = draft.text.strip()
        if len(text) > self.settings.max_text_chars:
            return ItemOutcome(draft.source, "failed", "read",
                               f"text has {len(text):,} characters, over the "
                               f"{self.settings.max_text_chars:,} cap for one article")
        outlet = self.resolver.canonical(draft.outlet) if draft.outlet else \
            self.resolver.outlet_for(draft.url, draft.site_name)
        if outlet == "unknown outlet" and draft.origin:
            outlet = f"unknown ({Path(draft.origin).name})"
        digest = content_hash(text)
        key = draft.identity or article_key(draft.url, draft.source_id, outlet, digest)
        aid = article_id(key)
        if self.store.has_article(aid):
            return ItemOutcome(draft.source, "unchanged", "store", "already in the store", aid)
        skip = self.settings.scope.reason_to_skip(draft, self.seed_matcher)
        if skip:
            return ItemOutcome(draft.source, "out_of_scope", "scope", skip, aid)
        signature = minhash_signature(text)  # here, so no other collection waits for it
        metadata = dict(draft.metadata)
        if draft.outlet and outlet != draft.outlet:
            metadata["outlet_given"] = draft.outlet
        if draft.published and not normalise_date(draft.published):
            metadata["published_raw"] = draft.published
        article = Article(
            article_id=aid, source_id=draft.source_id or draft.url or Path(draft.origin).name,
            outlet=outlet, url=draft.url, title=draft.title.strip(), text=text,
            published=normalise_date(draft.published),
            language=article_language(draft.language, draft.title, text),
            author=draft.author, site_name=draft.site_name or host_of(draft.url),
            origin=draft.origin, content_hash=digest, collected_at=now_iso(),
            metadata=metadata,
        )
        stored = self.store.add_article(article, minhash=signature, raw_page=draft.raw_page,
                                        original_of=lambda: self._original_of(digest, signature))
        if stored is None:
            return ItemOutcome(draft.source, "unchanged", "store", "already in the store", aid)
        if signature is not None and not stored.duplicate_of:
            self.near.add(aid, signature)
        if stored.duplicate_of:
            return ItemOutcome(draft.source, "duplicate", "dedupe",
                               f"{stored.duplicate_kind} duplicate of article "
                               f"{stored.duplicate_of}; kept and linked", aid)
        return ItemOutcome(draft.source, "stored", "store", "", aid)

    def _original_of(self, digest: str, signature: np.ndarray | None) -> tuple[str, str]:
        """The original a text duplicates and how (``"exact"``, ``"near"``), or ``("", "")``.

        Runs inside the store's write transaction, so what it reads cannot change before the
        article is written: originals stored meanwhile by another collection into the same
        store are found, and first added to the near-duplicate index.
        """
        exact = self.store.find_by_hash(digest)
        if exact:
            return exact, "exact"
        if signature is None:
            return "", ""
        seq = self.store.last_seq()
        if seq > self._near_seq:
            self.near.extend(self.store.minhashes(after_seq=self._near_seq))
            self._near_seq = seq
        near, _ = self.near.original_of(signature)
        return (near, "near") if near else ("", "")


def _worth_archive(reason: str) -> bool:
    """Whether a failed fetch might succeed from the Internet Archive's copy."""
    return any(s in reason for s in ("HTTP 404", "HTTP 410", "HTTP 403", "HTTP 451", "connect",
                                     "resolve", "timed out", "timeout"))


class _Ticker:
    """A progress line on stderr (items done, stored, duplicates, failed, the rate), shown
    only when asked for (never in library logs)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None
        self._counts: Counter[str] = Counter()
        self._start = time.monotonic()

    def __enter__(self) -> Self:
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn

            # Sources are shown as written: no rich markup in them is interpreted.
            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}",
                                                                  markup=False),
                                      console=Console(stderr=True), transient=True)
            self._progress.__enter__()
            self._task = self._progress.add_task(self._line(""), total=None)
        return self

    def _line(self, source: str) -> str:
        done = sum(self._counts.values())
        rate = done / max(time.monotonic() - self._start, 1e-6)
        counts = ", ".join(f"{self._counts[key]:,} {name}" for key, name in (
            ("stored", "stored"), ("duplicate", "duplicates"), ("failed", "failed")))
        return f"Collecting  {done:,} done: {counts}, {rate:.1f} items/s  {one_line(source[-60:])}"

    def advance(self, item: ItemOutcome) -> None:
        self._counts[item.outcome] += 1
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=self._line(item.source))

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)


def collect(
    sources: Iterable[str],
    store: Store,
    settings: CollectSettings | None = None,
    *,
    fetcher: Fetcher | None = None,
    seed_matcher: SeedMatcher | None = None,
    progress: bool = False,
    on_item: Callable[[ItemOutcome], None] | None = None,
) -> CollectReport:
    """Collect every source into the store; one bad item never stops the run.

    Args:
        sources: feed URLs or files, OPML files, article URLs, files of URLs, HTML/TXT files,
            folders, JSONL/CSV record files.
        store: an open, writable store.
        settings: collection settings; defaults when None.
        fetcher: the fetcher to use (tests pass one with ``allow_private=True``).
        seed_matcher: scores a text's similarity to a seed article, for event scoping.
        progress: show a progress line on the terminal (stderr).
        on_item: called with each item's outcome as soon as it is recorded (the CLI prints
            failures as they happen).

    Returns:
        A report with every item's outcome, also recorded in the store.
    """
    collector = Collector(store, settings or CollectSettings(), fetcher, seed_matcher)
    return collector.run(list(sources), progress=progress, on_item=on_item)
