"""The store: one SQLite database on disk (WAL mode), no server.

Why SQLite: it is embedded, crash-safe (every article is written in one transaction, so a
collection killed mid-run leaves whole articles or nothing), and in WAL mode the dashboard can
read while a collection writes. Analysis results are kept as tables ``result_<name>`` keyed by
``run_id``, so the dashboard reads finished runs and never recomputes.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote

import numpy as np
import pandas as pd

from corpus._tables import (
    ORDER_COLUMN,
    SCHEMA,
    columns_of,
    ensure_columns,
    insert_rows,
    read_order,
    result_tables,
)
from corpus.errors import StoreError, os_reason
from corpus.records import Article, ItemOutcome

log = logging.getLogger(__name__)

DEFAULT_STORE = "parallax.db"
# Finished analysis runs whose result tables are kept (the newest ones); older runs' tables are
# dropped when a new run is written, so a researcher iterating does not grow the store forever.
KEEP_RESULT_RUNS = 5
STORE_ENV = "PARALLAX_STORE"
_ARTICLE_COLUMNS = (
    "article_id", "source_id", "outlet", "url", "title", "text", "published", "language",
    "author", "site_name", "origin", "content_hash", "duplicate_of", "duplicate_kind",
    "collected_at", "metadata",
)


def now_iso() -> str:
    """The current UTC time as an ISO 8601 string with seconds."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def resolve_store_path(path: str | os.PathLike[str] | None) -> Path:
    """The store path: the one given, else ``$PARALLAX_STORE``, else ``./parallax.db``."""
    if path:
        return Path(path)
    return Path(os.environ.get(STORE_ENV) or DEFAULT_STORE)


def _verified(db: sqlite3.Connection) -> sqlite3.Connection:
    """``db`` after one read of its schema, so a file that is not a database fails at open."""
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def _hint(exc: sqlite3.DatabaseError) -> str:
    """What to do about a damaged or foreign file, for the errors that mean one."""
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return (" (this file is not a Parallax store, or it is damaged: check the --store path;"
                " a damaged store can be rebuilt by collecting again into a new file)")
    return ""


class Store:
    """An open store. Use as a context manager, or call ``close()``.

    Args:
        path: the database file; created (with its folder) when missing.
        readonly: open without write access (the dashboard does this).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, readonly: bool = False):
        self.path = resolve_store_path(path)
        self.readonly = readonly
        self.closed = False
        try:
            missing = readonly and not self.path.exists()
        except OSError as exc:  # a name too long, a folder without permission
            raise StoreError(f"cannot open store {self.path}: {os_reason(exc)}") from exc
        if missing:
            raise StoreError(
                f"no store at {self.path}: run `parallax collect SOURCE --store {self.path}` first"
            )
        try:
            self._db = self._connect_readonly() if readonly else self._connect_writable()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}{_hint(exc)}") from exc
        except OSError as exc:
            raise StoreError(f"cannot create store {self.path}: {os_reason(exc)}") from exc
        self._db.row_factory = sqlite3.Row

    def _connect_readonly(self) -> sqlite3.Connection:
        # The path is quoted: in a URI, "?", "#" and "%" would otherwise start the query, the
        # fragment or an escape, and SQLite would open (or create) another file.
        uri = f"file:{quote(str(self.path.resolve()), safe='/')}?mode=ro"
        db = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
        return _verified(db)

    def _connect_writable(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        try:
            _wal(db)
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()
        self.closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all.

        The write lock is taken when the transaction begins (``BEGIN IMMEDIATE``), not at its
        first write, so what it reads (the next ``seq``) cannot change under it: two
        collections writing into one store at once wait for each other instead of both
        reading the same value.
        """
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"write to store {self.path} failed: {exc}{_hint(exc)}") from exc

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "no such table" in str(exc):
                return []
            raise StoreError(f"read from store {self.path} failed: {exc}{_hint(exc)}") from exc

    # -- articles ----------------------------------------------------------------------------
    def has_article(self, article_id: str) -> bool:
        return bool(self._query("SELECT 1 FROM articles WHERE article_id = ?", (article_id,)))

    def add_article(
        self,
        article: Article,
        *,
        minhash: np.ndarray | None = None,
        raw_page: dict[str, Any] | None = None,
        original_of: Callable[[], tuple[str, str]] | None = None,
    ) -> Article | None:
        """Store one article with its near-duplicate signature and raw page, atomically.

        Args:
            original_of: called inside the write transaction, returns the ``duplicate_of`` and
                ``duplicate_kind`` to store (``("", "")`` for an original). Deciding there,
                with the write lock held, means two collections into one store at once
                cannot both take the same text for an original.

        Returns:
            The article as stored; None (and nothing changed) when an article with this id is
            already stored: stored articles are never overwritten.
        """
        cols = ", ".join(_ARTICLE_COLUMNS)
        marks = ", ".join("?" for _ in _ARTICLE_COLUMNS)
        with self.transaction() as db:
            if original_of is not None:
                duplicate_of, kind = original_of()
                article = article.replace(duplicate_of=duplicate_of,
                                          duplicate_kind=kind if duplicate_of else "")
            row = article.to_dict()
            row["metadata"] = json.dumps(row["metadata"], ensure_ascii=False, sort_keys=True)
            row["collected_at"] = row["collected_at"] or now_iso()
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM articles").fetchone()[0]
            cur = db.execute(
                f"INSERT OR IGNORE INTO articles ({cols}, seq) VALUES ({marks}, ?)",
                [row[c] for c in _ARTICLE_COLUMNS] + [seq],
            )
            if cur.rowcount == 0:
                return None
            if minhash is not None:
                db.execute(
                    "INSERT OR REPLACE INTO minhashes VALUES (?, ?)",
                    (article.article_id, np.asarray(minhash, dtype=np.uint64).tobytes()),
                )
            if raw_page is not None:
                self._put_raw_page(db, raw_page)
        return article

    def replace_articles(self, articles: Sequence[Article]) -> None:
        """Make ``articles``, in this order, the store's articles, in ONE transaction.

        Only for a working store that mirrors a dataset of article records
        (``compare.datasets``): the dataset is the truth, so an article it no longer holds
        goes and a changed one is replaced. Collection never calls this (a collected article
        is never overwritten). Caches, runs and results stay, so the next analysis reuses
        what it can.
        """
        cols = ", ".join(_ARTICLE_COLUMNS)
        marks = ", ".join("?" for _ in _ARTICLE_COLUMNS)
        with self.transaction() as db:
            db.execute("DELETE FROM minhashes")
            db.execute("DELETE FROM articles")
            rows = (article.to_dict() for article in articles)
            db.executemany(
                f"INSERT INTO articles ({cols}, seq) VALUES ({marks}, ?)",
                ([*(json.dumps(row[c], ensure_ascii=False, sort_keys=True) if c == "metadata"
                    else row[c] for c in _ARTICLE_COLUMNS), seq]
                 for seq, row in enumerate(rows, start=1)))

    def articles(self) -> list[Article]:
        """Every stored article, in the order it was stored."""
        rows = self._query("SELECT * FROM articles ORDER BY seq")
        return [Article.from_dict(dict(r)) for r in rows]

    def article(self, article_id: str) -> Article | None:
        rows = self._query("SELECT * FROM articles WHERE article_id = ?", (article_id,))
        return Article.from_dict(dict(rows[0])) if rows else None

    def article_count(self) -> int:
        rows = self._query("SELECT COUNT(*) FROM articles")
        return int(rows[0][0]) if rows else 0

    def find_by_hash(self, content_hash: str) -> str:
        """The id of the first stored original with this exact text hash, or ``""``."""
        rows = self._query(
            "SELECT article_id FROM articles WHERE content_hash = ? AND duplicate_of = '' "
            "ORDER BY seq LIMIT 1",
            (content_hash,),
        )
        return str(rows[0][0]) if rows else ""

    def last_seq(self) -> int:
        """The storage number of the most recently stored article (0 when there is none)."""
        rows = self._query("SELECT COALESCE(MAX(seq), 0) FROM articles")
        return int(rows[0][0]) if rows else 0

    def minhashes(self, after_seq: int = 0) -> Iterator[tuple[str, np.ndarray]]:
        """(article_id, signature) of every stored original, for near-duplicate lookup; only
        those stored after ``after_seq`` (see ``last_seq``) when given."""
        rows = self._query(
            "SELECT m.article_id, m.signature FROM minhashes m JOIN articles a "
            "USING (article_id) WHERE a.duplicate_of = '' AND a.seq > ? ORDER BY a.seq",
            (after_seq,),
        )
        for r in rows:
            yield str(r[0]), np.frombuffer(r[1], dtype=np.uint64)

    # -- raw pages ---------------------------------------------------------------------------
    @staticmethod
    def _put_raw_page(db: sqlite3.Connection, page: dict[str, Any]) -> None:
        db.execute(
            "INSERT OR REPLACE INTO raw_pages VALUES (?, ?, ?, ?, ?, ?)",
            (
                page["url"], page.get("final_url", page["url"]), int(page.get("status", 200)),
                page.get("content_type", ""), page.get("fetched_at") or now_iso(),
                bytes(page["body"]),
            ),
        )

    def raw_page(self, url: str) -> dict[str, Any] | None:
        """The raw bytes kept for a fetched URL, so extraction can be re-run offline."""
        rows = self._query("SELECT * FROM raw_pages WHERE url = ?", (url,))
        return dict(rows[0]) if rows else None

    # -- runs and item outcomes --------------------------------------------------------------
    def start_run(self, kind: str, params: dict[str, Any], run_id: str | None = None) -> str:
        run_id = run_id or f"{kind}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        with self.transaction() as db:
            # A finished run with the same id stays finished (and readable) while it is redone.
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, NULL, ?, NULL) ON CONFLICT(run_id) DO UPDATE "
                "SET started_at = excluded.started_at, params = excluded.params "
                "WHERE runs.finished_at IS NULL",
                (run_id, kind, now_iso(), json.dumps(params, sort_keys=True, default=str)),
            )
        return run_id

    def finish_run(self, run_id: str, summary: dict[str, Any], *, prune: Sequence[str] = (),
                   keep_runs: int = KEEP_RESULT_RUNS) -> None:
        """Mark ``run_id`` finished with its summary; in the same transaction, the ``prune``
        result tables of analysis runs older than the ``keep_runs`` most recent finished ones
        are dropped (see ``write_results``)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, summary = ? WHERE run_id = ?",
                (now_iso(), json.dumps(summary, sort_keys=True, default=str), run_id),
            )
            if prune:
                self._prune_results(db, run_id, prune, keep_runs)

    def runs(self, kind: str | None = None) -> list[dict[str, Any]]:
        # Timestamps have one-second resolution: rowid (insertion order) breaks their ties.
        sql = "SELECT rowid AS _order, * FROM runs" + (" WHERE kind = ?" if kind else "") + \
            " ORDER BY started_at, rowid"
        out = []
        for r in self._query(sql, (kind,) if kind else ()):
            d = dict(r)
            d.pop("_order")
            d["params"] = json.loads(d["params"] or "{}")
            d["summary"] = json.loads(d["summary"]) if d["summary"] else None
            out.append(d)
        return out

    def record_item(self, run_id: str, item: ItemOutcome) -> None:
        with self.transaction() as db:
            seq = db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM items WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
            db.execute(
                "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, seq, item.source, item.outcome, item.stage, item.reason,
                 item.article_id, now_iso()),
            )

    def items(self, run_id: str | None = None, outcome: str | None = None) -> pd.DataFrame:
        """Item outcomes of one run (or all runs), optionally of one kind (``"failed"``)."""
        sql = "SELECT * FROM items WHERE 1=1"
        params: list[Any] = []
        if run_id:
            sql += " AND run_id = ?"
            params.append(run_id)
        if outcome:
            sql += " AND outcome = ?"
            params.append(outcome)
        rows = self._query(sql + " ORDER BY at, run_id, seq", params)
        cols = ["run_id", "seq", "source", "outcome", "stage", "reason", "article_id", "at"]
        return pd.DataFrame([dict(r) for r in rows], columns=cols)

    # -- embedding cache ---------------------------------------------------------------------
    def _cached(self, table: str, kind_column: str, hash_column: str, value_column: str,
                kind: str, hashes: Iterable[str]) -> Iterator[tuple[str, Any]]:
        """(hash, stored value) of the cached rows of one kind, looked up 500 hashes at a time
        (SQLite's limit on query parameters)."""
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._query(f"SELECT {hash_column}, {value_column} FROM {table} WHERE "
                               f"{kind_column} = ? AND {hash_column} IN ({marks})",
                               [kind, *chunk])
            yield from ((str(r[0]), r[1]) for r in rows)

    def cached_embeddings(self, model: str, text_hashes: Iterable[str]) -> dict[str, np.ndarray]:
        return {h: np.frombuffer(v, dtype=np.float32) for h, v in self._cached(
            "embedding_cache", "model", "text_hash", "vector", model, text_hashes)}

    def cached_hashes(self, model: str, text_hashes: Iterable[str]) -> set[str]:
        """Which of ``text_hashes`` have a cached vector of ``model`` (the vectors not read)."""
        return {h for h, _ in self._cached("embedding_cache", "model", "text_hash", "1", model,
                                           text_hashes)}

    def cache_embeddings(self, model: str, text_hashes: Sequence[str], vectors: np.ndarray) -> None:
        if self.readonly:
            return
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO embedding_cache VALUES (?, ?, ?)",
                [
                    (model, h, np.asarray(v, dtype=np.float32).tobytes())
                    for h, v in zip(text_hashes, vectors, strict=True)
                ],
            )

    def cached_values(self, kind: str, text_hashes: Iterable[str]) -> dict[str, str]:
        """Cached values of one kind (a text's language, a passage's tone) by text hash."""
        return {h: str(v) for h, v in self._cached(
            "value_cache", "kind", "text_hash", "value", kind, text_hashes)}

    def cache_values(self, kind: str, values: dict[str, str]) -> None:
        if self.readonly or not values:
            return
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO value_cache VALUES (?, ?, ?)",
                           [(kind, h, v) for h, v in values.items()])

    # -- passage cache -----------------------------------------------------------------------
    def cached_passages(self, splitter: str, text_keys: Iterable[str]
                        ) -> dict[str, list[list[Any]]]:
        """Cached passage spans of texts by their key (``compare.embed.embedders.text_hash``, in
        the table's ``content_hash`` column), for one splitter configuration."""
        return {h: json.loads(v) for h, v in self._cached(
            "passage_cache", "splitter", "content_hash", "spans", splitter, text_keys)}

    def cache_passages(self, splitter: str, spans: dict[str, list[list[Any]]]) -> None:
        if self.readonly:
            return
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO passage_cache VALUES (?, ?, ?)",
                [(splitter, h, json.dumps(v, ensure_ascii=False)) for h, v in spans.items()])

    # -- analysis results --------------------------------------------------------------------
    def write_results(self, run_id: str, frames: Mapping[str, pd.DataFrame],
                      keep_runs: int = KEEP_RESULT_RUNS) -> None:
        """Replace the result tables of ``run_id`` with ``frames`` in ONE transaction.

        ``frames`` hold plain cells (text, numbers, None; the caller encodes lists). Each table
        is taken from ``frames`` when its turn comes and inserted ``WRITE_ROWS`` rows at a time,
        so a mapping that builds its tables on access holds one table at a time. A failure
        in any table leaves every table as it was before. Results of analysis runs older than
        the ``keep_runs`` most recent finished ones are dropped in the same transaction.
        """
        with self.transaction() as db:
            for name in frames:
                insert_rows(db, name, run_id, frames[name], replace=True)
            self._prune_results(db, run_id, list(frames), keep_runs)

    def add_results(self, run_id: str, frames: Mapping[str, pd.DataFrame]) -> None:
        """Append ``frames`` (encoded as for ``write_results``) to the result tables of
        ``run_id``, in ONE transaction. An analysis adds its rows wave by wave under its run
        id; readers see them once ``finish_run`` marks the run finished."""
        with self.transaction() as db:
            for name in frames:
                insert_rows(db, name, run_id, frames[name])

    def copy_results(self, name: str, run_id: str, from_run: str, by: str,
                     order: Mapping[str, int]) -> None:
        """Copy the rows of ``from_run`` whose column ``by`` holds a key of ``order`` into
        ``run_id``, in the order they are read, each with ``order[value]`` as its
        ``ORDER_COLUMN`` (the rows of the events an analysis reuses, without reading them)."""
        table = f"result_{name}"
        with self.transaction() as db:
            have = columns_of(db, table)
            if not have or not order:
                return
            ensure_columns(db, table, [ORDER_COLUMN])
            cells = [f'"{c}"' for c in have if c not in ("run_id", ORDER_COLUMN)]
            db.execute("CREATE TEMP TABLE copy_keys (copied PRIMARY KEY, row_key)")
            try:
                db.executemany("INSERT INTO copy_keys VALUES (?, ?)", order.items())
                db.execute(
                    f'INSERT INTO {table} (run_id, {", ".join(cells)}, "{ORDER_COLUMN}") '
                    f'SELECT ?, {", ".join(f"{table}.{c}" for c in cells)}, row_key '
                    f'FROM {table} JOIN copy_keys ON {table}."{by}" = copied '
                    f"WHERE {table}.run_id = ? ORDER BY {read_order(have, table)}",
                    (run_id, from_run))
            finally:
                db.execute("DROP TABLE temp.copy_keys")

    def clear_results(self, run_id: str) -> None:
        """Delete the result rows and items of ``run_id`` while it is not finished: what an
        analysis of that id that did not finish had written. A finished run is never
        touched."""
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM runs WHERE run_id = ? AND finished_at IS NOT NULL",
                          (run_id,)).fetchone():
                return
            for table in result_tables(db):
                db.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            db.execute("DELETE FROM items WHERE run_id = ?", (run_id,))

    def _prune_results(self, db: sqlite3.Connection, run_id: str, names: Sequence[str],
                       keep_runs: int) -> None:
        finished = [r[0] for r in db.execute(
            "SELECT run_id FROM runs WHERE kind = 'analyze' AND finished_at IS NOT NULL "
            "AND run_id != ? ORDER BY finished_at DESC, rowid DESC", (run_id,))]
        for old in finished[max(keep_runs - 1, 0):]:
            for name in names:
                db.execute(f"DELETE FROM result_{name} WHERE run_id = ?", (old,))
            db.execute("DELETE FROM runs WHERE run_id = ?", (old,))

    def read_result(self, name: str, run_id: str, events: Iterable[str] | None = None
                    ) -> pd.DataFrame:
        """One result table of one analysis run (only the rows of ``events`` when given),
        without its ``run_id`` and ``ORDER_COLUMN``, in the order it was written in."""
        table = f"result_{name}"
        chosen = "" if events is None else " AND event_id IN (SELECT value FROM json_each(?))"
        params = (run_id,) if events is None else (run_id, json.dumps(list(events)))
        try:
            frame = pd.read_sql_query(
                f"SELECT * FROM {table} WHERE run_id = ?{chosen} "
                f"ORDER BY {read_order(columns_of(self._db, table), table)}",
                self._db, params=params)
        except (pd.errors.DatabaseError, sqlite3.DatabaseError) as exc:
            raise StoreError(f"no '{name}' results in {self.path}: {exc}") from exc
        return frame.drop(columns=["run_id", ORDER_COLUMN], errors="ignore")

    def aggregate_result(self, name: str, run_id: str, select: str,
                         group_by: str | None = None) -> list[tuple[Any, ...]]:
        """``SELECT select FROM result_<name> WHERE run_id = ? [GROUP BY group_by]``: counts
        of one run's rows without reading them (no rows when the table is missing)."""
        grouped = f" GROUP BY {group_by}" if group_by else ""
        return [tuple(r) for r in self._query(
            f"SELECT {select} FROM result_{name} WHERE run_id = ?{grouped}", (run_id,))]

    def latest_run(self, kind: str = "analyze") -> dict[str, Any] | None:
        """The most recent finished run of this kind, or None."""
        done = [(r["finished_at"], n, r) for n, r in enumerate(self.runs(kind))
                if r["finished_at"]]
        return max(done, key=lambda t: (t[0], t[1]))[2] if done else None


# How long a writer waits for another process to finish turning a new store to WAL: SQLite
# answers that pragma "database is locked" at once, without the connection's busy timeout.
WAL_WAIT_SECONDS = 30.0


def _wal(db: sqlite3.Connection) -> None:
    """Put the store in WAL mode, waiting (bounded) while another process holds the lock."""
    deadline = time.monotonic() + WAL_WAIT_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
