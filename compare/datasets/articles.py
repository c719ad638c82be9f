"""A Parquet dataset of article records, read into a working store for the analysis.

The dataset is a folder of Parquet files (hive partitions such as ``outlet=.../`` are read as
columns), one Parquet file, or an object-store URL (``s3://bucket/articles/``, ``gs://...``):
whatever ``pyarrow.dataset`` opens through its filesystem layer. Its columns are those of the
``articles`` export (``compare.schema``, ``text`` included), so ``parallax export articles
--format parquet`` writes one; :data:`REQUIRED` must be there, the others may be missing.

Rows are taken as they are (ids, duplicate links, dates), not collected again, so a store
exported and read back gives the same run id. A row that cannot be an article (no id, no text,
an id already read, ...) is reported with its reason and the others are read; the store only
changes once every row has been read.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from compare import schema
from compare.datasets.folder import IMPORT
from compare.errors import CompareError
from corpus.collect import CollectSettings, normalise_date
from corpus.dedupe import content_hash
from corpus.records import Article, ItemOutcome
from corpus.store import Store

log = logging.getLogger(__name__)

# The columns every article record needs: those of a record file (``corpus.sources``).
REQUIRED = ("article_id", "outlet", "url", "title", "published", "text")
COLUMNS = schema.columns("articles")


@dataclass(frozen=True)
class ArticleRows:
    """What a dataset held: its articles in dataset order, each row that is no article with its
    reason, and a fingerprint of the articles (equal fingerprints: nothing to store again)."""

    source: str
    articles: tuple[Article, ...]
    failures: tuple[ItemOutcome, ...]
    fingerprint: str


@dataclass(frozen=True)
class ImportReport:
    """One reading of a dataset into the working store."""

    run_id: str
    source: str
    articles: int
    changed: bool  # False: the dataset held the same articles as last time, nothing stored
    failures: tuple[ItemOutcome, ...]

    def summary(self) -> str:
        state = "stored" if self.changed else "unchanged since the last run"
        return f"{self.articles} articles ({state}), {len(self.failures)} rows failed"


def open_dataset(source: str) -> Any:
    """The ``pyarrow.dataset.Dataset`` at ``source`` (a local path or a URL), its columns
    checked.

    Raises:
        CompareError: nothing readable there, or a required column is missing.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    if "://" not in source and not Path(source).exists():
        raise CompareError(f"no articles dataset at {source}: give a folder of Parquet files, "
                           "a Parquet file or a URL (s3://BUCKET/PATH)")
    try:
        dataset = ds.dataset(source, format="parquet", partitioning="hive")
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise CompareError(f"cannot read the articles dataset {source}: {_first_line(exc)}; "
                           "give a folder of Parquet files, a Parquet file or a URL pyarrow "
                           "reads (s3://BUCKET/PATH)") from exc
    missing = [c for c in REQUIRED if c not in dataset.schema.names]
    if missing:
        raise CompareError(
            f"the articles dataset {source} has no column {', '.join(missing)}: a dataset of "
            f"articles needs {', '.join(REQUIRED)} (as `parallax export articles --format "
            f"parquet` writes them); {', '.join(c for c in COLUMNS if c not in REQUIRED)} "
            "are optional")
    return dataset


def read_articles(source: str, *, max_text_chars: int = CollectSettings.max_text_chars
                  ) -> ArticleRows:
    """Every row of the dataset at ``source`` as an ``Article``, or as a failure with its
    reason (the rest are read).

    Raises:
        CompareError: see :func:`open_dataset`, or the files cannot be read.
    """
    import pyarrow as pa

    dataset = open_dataset(source)
    present = [c for c in COLUMNS if c in dataset.schema.names]
    try:
        table = dataset.to_table(columns=present)
    except (OSError, pa.ArrowException) as exc:
        raise CompareError(f"cannot read the articles dataset {source}: "
                           f"{_first_line(exc)}") from exc
    columns = {c: [_text(v) for v in table.column(c).to_pylist()] for c in present}
    articles: list[Article] = []
    failures: list[ItemOutcome] = []
    seen: dict[str, int] = {}
    recomputed = 0
    for n, row in enumerate(_rows(columns, table.num_rows), start=1):
        reason = _reason_to_skip(row, seen, max_text_chars)
        if reason:
            failures.append(ItemOutcome(f"{source}#{n}", "failed", "read", reason,
                                        row["article_id"]))
            continue
        seen[row["article_id"]] = n
        articles.append(_article(row, source))
        recomputed += bool(row["content_hash"]) and row["content_hash"] != \
            articles[-1].content_hash
    if recomputed:
        log.warning("%d content hashes in %s were not those of their text: recomputed",
                    recomputed, source)
    return ArticleRows(source, tuple(articles), tuple(failures), _fingerprint(articles))


def import_articles(store: Store, rows: ArticleRows) -> ImportReport:
    """Make ``rows`` the working store's articles (unless they are those of the last import),
    recording each failed row with its reason as an item of an ``import`` run."""
    latest = store.latest_run(IMPORT)
    changed = latest is None or latest["params"].get("fingerprint") != rows.fingerprint
    params = {"source": rows.source, "fingerprint": rows.fingerprint}
    run_id = store.start_run(IMPORT, params)
    if changed:
        store.replace_articles(rows.articles)
    for item in rows.failures:
        store.record_item(run_id, item)
    counts = {"stored" if changed else "unchanged": len(rows.articles),
              "failed": len(rows.failures)}
    store.finish_run(run_id, counts)
    return ImportReport(run_id, rows.source, len(rows.articles), changed, rows.failures)


def _rows(columns: dict[str, list[str]], count: int) -> Iterator[dict[str, str]]:
    for n in range(count):
        yield {c: columns[c][n] if c in columns else "" for c in COLUMNS}


def _text(value: Any) -> str:
    """A cell as text: ``""`` for a missing value, ISO 8601 for a date or timestamp."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _reason_to_skip(row: dict[str, str], seen: dict[str, int], max_text_chars: int) -> str:
    """Why this row cannot be an article (``""`` when it can)."""
    text = row["text"].strip()
    if not row["article_id"].strip():
        return "no article_id: every row needs one"
    if row["article_id"] in seen:
        return f"article_id {row['article_id']} was already read in row {seen[row['article_id']]}"
    if not text:
        return "no text"
    if len(text) > max_text_chars:
        return f"text has {len(text):,} characters, over the {max_text_chars:,} cap for one " \
            "article"
    if not row["outlet"].strip():
        return "no outlet"
    return ""


def _article(row: dict[str, str], source: str) -> Article:
    """The row as the store keeps an article: text and title trimmed, the date normalised, the
    content hash Parallax's own (the passage cache is keyed by it)."""
    text = row["text"].strip()
    return Article(
        article_id=row["article_id"], source_id=row["source_id"] or row["url"],
        outlet=row["outlet"].strip(), url=row["url"], title=row["title"].strip(), text=text,
        published=normalise_date(row["published"]), language=row["language"],
        author=row["author"], site_name=row["site_name"], origin=row["origin"] or source,
        content_hash=content_hash(text), duplicate_of=row["duplicate_of"],
        duplicate_kind=row["duplicate_kind"], collected_at=row["collected_at"])


def _fingerprint(articles: list[Article]) -> str:
    digest = hashlib.sha1()
    for article in articles:
        digest.update(json.dumps(article.to_dict(), sort_keys=True, ensure_ascii=False)
                      .encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
