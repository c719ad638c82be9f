"""A result folder: one finished analysis run as Parquet datasets, read back like a store.

Layout of ``FOLDER`` (``parallax analyze --articles SRC --out FOLDER``)::

    events/event_id=ev_.../part-0.parquet  each result table, one hive partition per event:
    passages/ topics/ coverage/            events, passages, topics, coverage, alignments,
    alignments/ omissions/ framing/        omissions, framing (``run_id`` + the export's columns)
    articles/part-0.parquet                the run's articles: the ``articles`` export's columns
    items/part-0.parquet                   failed items: rows that were no article, failed events
    _store.db                              the working store (SQLite; see analysis.py)

Columns are typed (lists as lists, booleans as booleans). Every file's schema metadata holds
``parallax.provenance``: the run's provenance as ``parallax export`` writes it (its per-article
``inputs`` are the ``articles`` table, ``"inputs_table": "articles"`` says so) plus ``source``
(what the run read) and ``written_at``; and ``parallax.run``: run id, start, finish, summary.

``ResultFolder`` reads the Parquet tables, never the working store, so a folder copied without
``_store.db`` opens the same in ``parallax export``, ``status`` and the dashboard.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any, Self

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from compare import schema
from compare.errors import CompareError
from compare.runs import ReadableStore, load_run
from corpus.errors import StoreError, os_reason
from corpus.records import Article
from corpus.store import Store, now_iso, resolve_store_path

WORKING_STORE = "_store.db"
# The kind of the working store's runs that read a dataset (``compare.datasets.articles``).
IMPORT = "import"
PROVENANCE_KEY = b"parallax.provenance"
RUN_KEY = b"parallax.run"
ITEM_COLUMNS = ("run_id", "seq", "source", "outcome", "stage", "reason", "article_id", "at")
FOLDER_TABLES = ("articles", *schema.RESULT_TABLES, "items")
# The run's provenance lists every input article; here they are the rows of ``articles``.
INPUT_COLUMNS = ["article_id", "content_hash", "url", "source_id", "collected_at"]
_ARROW = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
          "json": pa.list_(pa.string())}
_BY_EVENT = ds.partitioning(pa.schema([("event_id", pa.string())]), flavor="hive")


def is_result_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a result folder (it holds an ``events`` table)."""
    return Path(path).is_dir() and (Path(path) / "events").is_dir()


def open_readonly(path: str | os.PathLike[str] | None) -> ReadableStore:
    """The store at ``path`` opened for reading: a result folder, else a SQLite store
    (``--store``'s default when ``path`` is None).

    Raises:
        StoreError: nothing readable there (a folder that is no result folder, a missing
            store, a damaged file).
    """
    resolved = resolve_store_path(path)
    if is_result_folder(resolved):
        return ResultFolder(resolved)
    if resolved.is_dir():
        raise StoreError(f"{resolved} is a folder but not a result folder (it has no events/ "
                         "table): give a store file, or the --out folder of `parallax analyze "
                         "--articles`")
    return Store(resolved, readonly=True)


def write_result_folder(store: Store, out: str | os.PathLike[str], run_id: str | None = None,
                        *, source: str = "") -> Path:
    """Write a finished run of ``store`` (the latest by default) as the result folder ``out``.

    Each table is written whole beside the folder's tables, then moved into place, so a failed
    write leaves the tables of the run before (a write stopped between two moves is refused
    when read: its tables name two runs). The working store in ``out`` is left alone.

    Args:
        source: what the run read (the articles dataset), recorded in the provenance; default
            the store's path.

    Returns:
        The folder.

    Raises:
        NoAnalysisError: no such finished run.
        CompareError: the file system refused a write.
    """
    folder = Path(out)
    run = load_run(store, run_id)
    row = next(r for r in store.runs("analyze") if r["run_id"] == run.run_id)
    ids = set(run.frames["events"]["article_id"])
    articles = schema.frame("articles", [a.to_dict() for a in store.articles()
                                         if a.article_id in ids])
    items = [store.items(run.run_id)]
    imported = store.latest_run(IMPORT)
    if imported is not None:  # the dataset's rows that were no article
        items.append(store.items(imported["run_id"], "failed"))
    metadata = _metadata(run.provenance, row, source or str(store.path))
    tables = {"articles": articles, **run.frames, "items": pd.concat(items, ignore_index=True)}
    staging = folder / f".writing-{secrets.token_hex(4)}"
    try:
        for name, frame in tables.items():
            _write_table(staging / name, _arrow_table(name, frame, run.run_id, metadata))
        _move_into_place(staging, folder, list(tables))
    except OSError as exc:
        raise CompareError(f"cannot write the result folder {folder}: {os_reason(exc)}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _metadata(provenance: dict[str, Any], row: dict[str, Any], source: str
              ) -> dict[bytes, bytes]:
    kept = {k: v for k, v in provenance.items() if k != "inputs"}
    if "inputs" in provenance:
        kept["inputs_table"] = "articles"
    kept.update(source=source, written_at=now_iso())
    run = {k: row.get(k) for k in ("run_id", "kind", "started_at", "finished_at", "summary")}
    return {PROVENANCE_KEY: json.dumps(kept, default=str).encode("utf-8"),
            RUN_KEY: json.dumps(run, default=str).encode("utf-8")}


def _columns(name: str) -> list[tuple[str, pa.DataType]]:
    if name == "items":
        return [(c, pa.int64() if c == "seq" else pa.string()) for c in ITEM_COLUMNS]
    lead = [] if name == "articles" else [("run_id", pa.string())]
    return lead + [(c, _ARROW[kind]) for c, kind in schema.TABLES[name]]


def _arrow_table(name: str, frame: pd.DataFrame, run_id: str, metadata: dict[bytes, bytes]
                 ) -> pa.Table:
    """``frame`` as Arrow with the table's types (result tables with their ``run_id``); rows of
    one event together, in their order."""
    columns = _columns(name)
    data = frame if name == "items" else schema.frame(name, frame).assign(run_id=run_id)
    data = data[[c for c, _ in columns]].copy()
    for column, kind in schema.TABLES.get(name, ()):
        if kind == "json":
            data[column] = data[column].map(lambda v: [str(x) for x in v])
    if "event_id" in data.columns:
        data = data.sort_values("event_id", kind="mergesort")
    table = pa.Table.from_pandas(data, schema=pa.schema(columns), preserve_index=False)
    return table.replace_schema_metadata(metadata)


def _write_table(folder: Path, table: pa.Table) -> None:
    if "event_id" in table.column_names and table.num_rows:
        events = len(pc.unique(table.column("event_id")))
        # Rows arrive sorted by event: each event's folder gets one file, its rows in order.
        ds.write_dataset(table, folder, format="parquet", partitioning=_BY_EVENT,
                         basename_template="part-{i}.parquet", preserve_order=True,
                         max_partitions=events + 1, existing_data_behavior="error")
    else:  # no event column, or no rows: one file (an empty table keeps its columns)
        folder.mkdir(parents=True)
        pq.write_table(table, folder / "part-0.parquet")


def _move_into_place(staging: Path, folder: Path, names: list[str]) -> None:
    retired = folder / f".replaced-{secrets.token_hex(4)}"
    retired.mkdir()
    try:
        for name in names:
            if (folder / name).exists():
                os.replace(folder / name, retired / name)
            os.replace(staging / name, folder / name)
    finally:
        shutil.rmtree(retired, ignore_errors=True)


class ResultFolder:
    """A result folder opened read-only, with the store methods that reading finished runs
    needs (``compare.runs.ReadableStore``): ``load_run``, ``parallax export`` and ``status``
    and the dashboard read it as they read a SQLite store.

    Raises:
        StoreError: ``path`` is no result folder.
    """

    readonly = True

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        if not is_result_folder(self._path):
            raise StoreError(f"{self._path} is not a result folder (it has no events/ table): "
                             "run `parallax analyze --articles SRC --out FOLDER` first")
        self._run: dict[str, Any] | None = None
        self._run_id: str | None = None

    @property
    def path(self) -> Path:
        return self._path

    def close(self) -> None:
        """Nothing stays open: every read opens and closes its files."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs --------------------------------------------------------------------------------
    def runs(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The folder's one analysis run, as the store's ``runs`` table gives it."""
        return [self._run_row()] if kind in (None, "analyze") else []

    def latest_run(self, kind: str = "analyze") -> dict[str, Any] | None:
        return self._run_row() if kind == "analyze" else None

    def _run_row(self) -> dict[str, Any]:
        if self._run is None:
            run, provenance = self._metadata("events")
            self._run_id = str(run.get("run_id"))
            if provenance.pop("inputs_table", None):
                provenance["inputs"] = self._table("articles", columns=INPUT_COLUMNS).to_pylist()
            self._run = {**run, "kind": "analyze", "params": provenance}
        return self._run

    # -- tables ------------------------------------------------------------------------------
    def read_result(self, name: str, run_id: str) -> pd.DataFrame:
        """One result table as ``Store.read_result`` gives it (JSON and 0/1 cells, no
        ``run_id``).

        Raises:
            StoreError: no such run or table, or a file cannot be read.
        """
        held = self._held_run()
        if run_id != held:
            raise StoreError(f"no '{name}' results of run {run_id} in {self._path}: it holds "
                             f"the run {held}")
        return schema.encode(name, self._read(name))

    def items(self, run_id: str | None = None, outcome: str | None = None) -> pd.DataFrame:
        """Failed items of the run and of the dataset's rows (see the store's ``items``)."""
        items = self._read("items")
        if run_id:
            items = items[items["run_id"] == run_id]
        if outcome:
            items = items[items["outcome"] == outcome]
        return items.reset_index(drop=True)

    def articles(self) -> list[Article]:
        return [Article.from_dict(row) for row in self._read("articles").to_dict("records")]

    def article(self, article_id: str) -> Article | None:
        found = self._table("articles", ds.field("article_id") == article_id).to_pylist()
        return Article.from_dict(found[0]) if found else None

    def article_count(self) -> int:
        return int(self._dataset("articles").count_rows())

    def _held_run(self) -> str:
        """The id of the folder's run (its ``events`` table's)."""
        if self._run_id is None:
            self._run_id = str(self._metadata("events")[0].get("run_id"))
        return self._run_id

    def _dataset(self, name: str) -> ds.Dataset:
        where = self._path / name
        if not where.is_dir():
            raise StoreError(f"no '{name}' table in {self._path}: the folder is incomplete; "
                             "write it again with `parallax analyze --articles SRC --out "
                             f"{self._path}`")
        partitioning = _BY_EVENT if name in schema.RESULT_TABLES else None
        try:
            return ds.dataset(where, format="parquet", partitioning=partitioning)
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(f"cannot read {where}: {exc}") from exc

    def _metadata(self, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """``parallax.run`` and ``parallax.provenance`` of one table."""
        meta = self._dataset(name).schema.metadata or {}
        try:
            return json.loads(meta[RUN_KEY]), json.loads(meta[PROVENANCE_KEY])
        except (KeyError, ValueError) as exc:
            raise StoreError(f"{self._path / name} has no Parallax provenance in its schema "
                             "metadata: it was not written by Parallax") from exc

    def _table(self, name: str, where: ds.Expression | None = None,
               columns: list[str] | None = None) -> pa.Table:
        """The table's rows (those ``where`` keeps; only ``columns`` when given), partitions in
        path order, each partition's rows in file order."""
        dataset = self._dataset(name)
        held = self._held_run()
        if self._metadata(name)[0].get("run_id") != held:
            raise StoreError(f"{self._path} holds tables of two runs ({name} is not of run "
                             f"{held}): a write was stopped; write the folder again")
        try:
            parts = [f.to_table(schema=dataset.schema, filter=where, columns=columns)
                     for f in sorted(dataset.get_fragments(), key=lambda f: f.path)]
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(f"cannot read {self._path / name}: {exc}") from exc
        if parts:
            return pa.concat_tables(parts)
        empty = dataset.schema.empty_table()
        return empty.select(columns) if columns else empty

    def _read(self, name: str) -> pd.DataFrame:
        """One table as a typed frame, rows in the order the store keeps them."""
        frame = self._table(name).to_pandas()
        if name == "items":
            return frame.reindex(columns=list(ITEM_COLUMNS))
        for column, kind in schema.TABLES[name]:
            if kind == "json" and column in frame:
                frame[column] = frame[column].map(lambda v: [] if v is None else list(v))
        return self._in_stored_order(name, schema.frame(name, frame))

    def _in_stored_order(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` in the order ``analyze`` wrote it (``compare.waves.RowOrder``): events
        in article order, passages by article then offset, the other tables by event."""
        if name not in schema.RESULT_TABLES:
            return frame
        if name in ("events", "passages"):
            ids = self._table("articles", columns=["article_id"]).column("article_id")
            order = {a: n for n, a in enumerate(ids.to_pylist())}
            keys = ["_a"] if name == "events" else ["_a", "char_start"]
            frame = frame.assign(_a=frame["article_id"].map(order)).sort_values(
                keys, kind="mergesort").drop(columns="_a")
        else:
            frame = frame.sort_values("event_id", kind="mergesort")
        return frame.reset_index(drop=True)
