"""Export: every table to CSV, Parquet, JSONL or Excel, each file with its provenance.

Rows carry ``run_id``; the file-level provenance (parameters, model name and version, input
content hashes and URLs, timestamps) goes to a sidecar ``<out>.provenance.json``, for Parquet
into the schema metadata under ``parallax.provenance`` too, and for Excel onto a second sheet.
``alignments`` are self-contained (both passages' article, URL, title, date, language and
text, and the fact's label); ``side-by-side`` is the dashboard's table
(``compare.export.sidebyside``).

Nothing is overwritten by surprise (``compare.export.files``): never the store, an existing file
only when forced, a symlink never followed; files are written whole or not at all.
Light on purpose: Parquet and Excel libraries load only when their format is asked for.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from compare import schema
from compare.errors import CompareError
from compare.export.files import check_targets, refuse_store, sidecar_path, write_files
from compare.export.sidebyside import known_event, side_by_side_table
from compare.runs import RESULT_TABLES, AnalysisRun, ReadableStore, load_run
from corpus.store import now_iso

FORMATS = ("csv", "parquet", "jsonl", "xlsx")
# File name endings that name a format (the format of ``--out`` when ``--format`` is not given).
SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl",
            ".ndjson": "jsonl", ".xlsx": "xlsx"}
SIDE_BY_SIDE = "side-by-side"
EXPORTABLE = ("articles", *RESULT_TABLES, SIDE_BY_SIDE)
ARTICLE_COLUMNS = schema.columns("articles")
# What ``alignments`` adds for each side, in this order (``article_id_a, article_id_b, ...``).
ALIGNMENT_SIDES = ("article_id", "url", "title", "published", "language", "text")
# Characters that make Excel read a CSV cell as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def articles_frame(store: ReadableStore) -> pd.DataFrame:
    """Every collected article, its text last, in collection order: the records
    ``analyze_dataset`` reads back (``compare.datasets``)."""
    rows = [{c: getattr(a, c) for c in ARTICLE_COLUMNS} for a in store.articles()]
    return pd.DataFrame(rows, columns=ARTICLE_COLUMNS)


def aligned_passages(run: AnalysisRun) -> pd.DataFrame:
    """The run's alignments, each with what an analyst needs to read the pair.

    Returns:
        The stored ``alignments`` columns, then for each side ``article_id``, ``url``,
        ``title``, ``published``, ``language`` and the passage ``text`` (``article_id_a,
        article_id_b, url_a, url_b, ...``), then ``fact_label`` (the topic's label, ``""``
        for a pair in no fact).
    """
    pairs = run.frames["alignments"]
    passages = run.frames["passages"][["passage_id", "article_id", "url", "text", "language"]]
    articles = run.frames["events"][["article_id", "title", "published", "language"]]
    sides = passages.drop_duplicates("passage_id").merge(
        articles.drop_duplicates("article_id").rename(columns={"language": "article_language"}),
        on="article_id", how="left")
    # A run written before passages had a language: the article's language instead.
    sides["language"] = sides["language"].where(sides["language"].fillna("") != "",
                                                sides["article_language"])
    sides = sides.set_index("passage_id")
    out = pairs.copy()
    added = []
    for field in ALIGNMENT_SIDES:
        for side in ("a", "b"):
            found = sides[field].reindex(out[f"passage_id_{side}"])
            out[f"{field}_{side}"] = found.fillna("").astype(str).to_numpy()
            added.append(f"{field}_{side}")
    labels = run.frames["topics"][["event_id", "topic_id", "topic_label"]].drop_duplicates(
        ["event_id", "topic_id"])
    out = out.merge(labels, on=["event_id", "topic_id"], how="left")
    out["fact_label"] = out["topic_label"].fillna("").astype(str).where(out["topic_id"] != "", "")
    return out[[*pairs.columns, *added, "fact_label"]].reset_index(drop=True)


def table(store: ReadableStore, what: str, run_id: str | None = None, *,
          event_id: str | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One exportable table and its provenance: the frame the CLI writes.

    Args:
        what: one of :data:`EXPORTABLE`.
        run_id: the analysis run (default: the latest).
        event_id: keep only this event's rows (analysis tables only).

    Raises:
        CompareError: ``what`` is not exportable, the event is unknown, or no analysis exists
            for result tables.
    """
    if what not in EXPORTABLE:
        raise CompareError(f"cannot export '{what}': choose one of {', '.join(EXPORTABLE)}")
    if what == "articles":
        if event_id:
            raise CompareError("--event applies to analysis tables: articles have no event")
        frame = articles_frame(store)
        provenance = {"table": "articles", "store": str(store.path),
                      "collect_runs": [r["run_id"] for r in store.runs("collect")],
                      "inputs": frame[["article_id", "content_hash", "url"]].to_dict("records")}
        return frame, provenance
    run = load_run(store, run_id)
    provenance = {"table": what, **({"event_id": event_id} if event_id else {}),
                  **run.provenance}
    if what == SIDE_BY_SIDE:
        frame = side_by_side_table(run, event_id=event_id)
    else:
        frame = aligned_passages(run) if what == "alignments" else run.frames[what].copy()
        if event_id:
            known_event(run, event_id)
            frame = frame[frame["event_id"] == event_id].reset_index(drop=True)
    frame.insert(0, "run_id", run.run_id)
    return frame, provenance


def to_bytes(frame: pd.DataFrame, fmt: str, provenance: dict[str, Any], *,
             excel: bool = False) -> bytes:
    """Serialise a table; Parquet carries the provenance in its schema metadata, Excel on a
    second sheet (``compare.export.xlsx``).

    Args:
        excel: CSV for Excel: UTF-8 with a byte-order mark, and cells Excel would run as
            formulas prefixed with an apostrophe.

    Raises:
        CompareError: unknown format, or the table does not fit in a spreadsheet.
    """
    if fmt == "csv":
        flat = schema.flatten(frame)
        if excel:
            flat = _defuse_formulas(flat)
        return flat.to_csv(index=False).encode("utf-8-sig" if excel else "utf-8")
    if fmt == "jsonl":
        return frame.to_json(orient="records", lines=True, force_ascii=False).encode("utf-8")
    if fmt == "parquet":
        return _parquet_bytes(frame, provenance)
    if fmt == "xlsx":
        from compare.export.xlsx import workbook_bytes

        return workbook_bytes(frame, provenance, str(provenance.get("table", "data")))
    raise CompareError(f"unknown format '{fmt}': choose one of {', '.join(FORMATS)}")


def output_for(what: str, fmt: str | None, out: str | Path | None) -> tuple[str, Path]:
    """The format and file to write: the format from ``out``'s suffix when not given, the
    name ``parallax-<what>.<format>`` when ``out`` is not given.

    Raises:
        CompareError: unknown format, a suffix that names no format without ``--format``, or a
            ``--format`` that contradicts ``--out``'s suffix.
    """
    if fmt is not None and fmt not in FORMATS:
        raise CompareError(f"unknown format '{fmt}': choose one of {', '.join(FORMATS)}")
    if out is None:
        fmt = fmt or "csv"
        return fmt, Path(f"parallax-{what}.{fmt}")
    path = Path(out)
    named = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        if named is None:
            raise CompareError(
                f"cannot tell the format of --out {path}: end the name in "
                f"{', '.join(f'.{f}' for f in FORMATS)} or add --format")
        return named, path
    if named is not None and named != fmt:
        raise CompareError(f"--format {fmt} contradicts --out {path} (a {named} name): drop "
                           f"--format, or name the file .{fmt}")
    return fmt, path


def export(store: ReadableStore, what: str, fmt: str | None = None, out: str | Path | None = None,
           run_id: str | None = None, *, force: bool = False, excel: bool = False,
           event_id: str | None = None) -> tuple[Path, int]:
    """Write one table to ``out`` and its provenance to ``out.provenance.json``.

    Args:
        fmt: csv, parquet, jsonl or xlsx (default: from ``out``'s suffix, else csv).
        out: the file (default: ``parallax-<what>.<format>``).
        force: replace an existing file (a symlink at ``out`` is itself replaced, never
            its target). The store is never overwritten.
        excel: CSV for Excel (see :func:`to_bytes`).
        event_id: only this event's rows (analysis tables).

    Returns:
        The path written and the number of rows.

    Raises:
        CompareError: bad format or name, a file in the way, a file system that refuses the
            write (the message names the path and what to do), or nothing to export.
    """
    if out is not None:
        refuse_store(Path(out), store.path)  # first: the one mistake that would lose data
    fmt, path = output_for(what, fmt, out)
    if excel and fmt != "csv":
        raise CompareError(f"--excel applies to CSV only ({fmt} needs no byte-order mark): "
                           "drop --excel")
    sidecar = sidecar_path(path)
    check_targets([path, sidecar], store.path, force=force)
    frame, provenance = table(store, what, run_id, event_id=event_id)
    provenance = {**provenance, "exported_at": now_iso(), "format": fmt, "rows": len(frame)}
    data = to_bytes(frame, fmt, provenance, excel=excel)
    write_files([(path, data),
                 (sidecar, json.dumps(provenance, indent=2, default=str).encode("utf-8"))])
    return path, len(frame)


def _defuse_formulas(flat: pd.DataFrame) -> pd.DataFrame:
    out = flat.copy()
    for col in out.columns:
        if pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object:
            out[col] = out[col].map(lambda v: f"'{v}" if isinstance(v, str)
                                    and v.startswith(_FORMULA_START) else v)
    return out


def _parquet_bytes(frame: pd.DataFrame, provenance: dict[str, Any]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(arrow.schema.metadata or {})
    meta[b"parallax.provenance"] = json.dumps(provenance, default=str).encode("utf-8")
    buffer = io.BytesIO()
    pq.write_table(arrow.replace_schema_metadata(meta), buffer)
    return buffer.getvalue()
