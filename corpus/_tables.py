"""The store's SQL: the tables of a store, and how result rows are written and read back.

The result tables (``result_<name>``, one per table of ``compare.schema``) are created from the
frames written to them and gain the columns a newer version adds (``ensure_columns``), so an
older store opens and reads as before.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import pandas as pd

# Result rows converted and inserted at a time: a large run's tables are not copied whole.
WRITE_ROWS = 50_000
# A hidden column of the result tables: rows are read in its order, then in the order they
# were inserted, so an analysis can write its rows wave by wave and still read them back in
# one order. Rows written before it existed have none (NULL) and read back as inserted.
ORDER_COLUMN = "row_order"

# Every table but the result tables, which their first rows create.
SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    outlet TEXT NOT NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    published TEXT NOT NULL,
    language TEXT NOT NULL,
    author TEXT NOT NULL,
    site_name TEXT NOT NULL,
    origin TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    duplicate_of TEXT NOT NULL,
    duplicate_kind TEXT NOT NULL,
    collected_at TEXT NOT NULL,
    metadata TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_hash ON articles(content_hash);
CREATE INDEX IF NOT EXISTS articles_seq ON articles(seq);
CREATE TABLE IF NOT EXISTS minhashes (
    article_id TEXT PRIMARY KEY REFERENCES articles(article_id),
    signature BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS raw_pages (
    url TEXT PRIMARY KEY,
    final_url TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    params TEXT NOT NULL,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS items (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    source TEXT NOT NULL,
    outcome TEXT NOT NULL,
    stage TEXT NOT NULL,
    reason TEXT NOT NULL,
    article_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS passage_cache (
    splitter TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    spans TEXT NOT NULL,
    PRIMARY KEY (splitter, content_hash)
);
CREATE TABLE IF NOT EXISTS embedding_cache (
    model TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_hash)
);
CREATE TABLE IF NOT EXISTS value_cache (
    kind TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (kind, text_hash)
);
"""


def columns_of(db: sqlite3.Connection, table: str) -> list[str]:
    """The columns of ``table`` in their order; none when it does not exist."""
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def ensure_columns(db: sqlite3.Connection, table: str, columns: Sequence[str]) -> None:
    """Create ``table`` with ``columns``, or add those it lacks (a newer version's)."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    db.execute(f"CREATE TABLE IF NOT EXISTS {table} ({quoted})")
    have = set(columns_of(db, table))
    for col in columns:
        if col not in have:
            db.execute(f'ALTER TABLE {table} ADD COLUMN "{col}"')


def read_order(columns: Sequence[str], table: str) -> str:
    """The ORDER BY terms that read ``table``'s rows in their order (see ``ORDER_COLUMN``)."""
    if ORDER_COLUMN in columns:
        return f'{table}."{ORDER_COLUMN}", {table}.rowid'
    return f"{table}.rowid"


def result_tables(db: sqlite3.Connection) -> list[str]:
    """The names of the store's result tables (``result_<name>``)."""
    return [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'result\\_%' "
        "ESCAPE '\\'")]


def insert_rows(db: sqlite3.Connection, name: str, run_id: str, frame: pd.DataFrame,
                replace: bool = False) -> None:
    """Insert ``frame``'s rows into ``result_<name>`` under ``run_id``, ``WRITE_ROWS`` at a
    time (after deleting the run's rows there when ``replace``)."""
    table = f"result_{name}"
    columns = ["run_id", *[c for c in frame.columns if c != "run_id"]]
    ensure_columns(db, table, columns)
    if replace:
        db.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
    quoted = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    cells = frame.drop(columns=["run_id"], errors="ignore")
    for start in range(0, len(cells), WRITE_ROWS):
        values = cells.iloc[start:start + WRITE_ROWS].astype(object)
        values = values.where(values.notna(), None)
        db.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})",
                       ([run_id, *row] for row in values.itertuples(index=False)))
