"""Export: every result table to CSV, Parquet or JSONL, each file with its provenance.

Rows carry ``run_id``; the file-level provenance (parameters, model name and version, input
content hashes and URLs, timestamps) goes to a sidecar ``<out>.provenance.json`` and, for
Parquet, into the schema metadata under ``parallax.provenance``.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from compare.errors import CompareError
from compare.runs import RESULT_TABLES, load_run
from corpus.store import Store, now_iso

FORMATS = ("csv", "parquet", "jsonl")
EXPORTABLE = ("articles", *RESULT_TABLES)
ARTICLE_COLUMNS = ["article_id", "source_id", "outlet", "url", "title", "published", "language",
                   "duplicate_of", "duplicate_kind", "author", "site_name", "content_hash",
                   "origin", "collected_at"]


def articles_frame(store: Store) -> pd.DataFrame:
    """Every collected article (without its text), in collection order."""
    rows = [{c: getattr(a, c) for c in ARTICLE_COLUMNS} for a in store.articles()]
    return pd.DataFrame(rows, columns=ARTICLE_COLUMNS)


def table(store: Store, what: str, run_id: str | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One exportable table and its provenance.

    Raises:
        CompareError: ``what`` is not exportable, or no analysis exists for result tables.
    """
    if what not in EXPORTABLE:
        raise CompareError(f"cannot export '{what}': choose one of {', '.join(EXPORTABLE)}")
    if what == "articles":
        frame = articles_frame(store)
        provenance = {"table": "articles", "store": str(store.path),
                      "collect_runs": [r["run_id"] for r in store.runs("collect")],
                      "inputs": frame[["article_id", "content_hash", "url"]].to_dict("records")}
        return frame, provenance
    run = load_run(store, run_id)
    frame = run.frames[what].copy()
    frame.insert(0, "run_id", run.run_id)
    return frame, {"table": what, **run.provenance}


def to_bytes(frame: pd.DataFrame, fmt: str, provenance: dict[str, Any]) -> bytes:
    """Serialise a table; Parquet carries the provenance in its schema metadata."""
    if fmt == "csv":
        flat = frame.copy()
        for col in flat.columns:
            if flat[col].map(lambda v: isinstance(v, list | dict)).any():
                flat[col] = flat[col].map(lambda v: json.dumps(v, ensure_ascii=False))
        return flat.to_csv(index=False).encode("utf-8")
    if fmt == "jsonl":
        return frame.to_json(orient="records", lines=True, force_ascii=False).encode("utf-8")
    if fmt == "parquet":
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        meta = dict(arrow.schema.metadata or {})
        meta[b"parallax.provenance"] = json.dumps(provenance, default=str).encode("utf-8")
        buffer = io.BytesIO()
        pq.write_table(arrow.replace_schema_metadata(meta), buffer)
        return buffer.getvalue()
    raise CompareError(f"unknown format '{fmt}': choose one of {', '.join(FORMATS)}")


def export(store: Store, what: str, fmt: str, out: str | Path,
           run_id: str | None = None) -> tuple[Path, int]:
    """Write one table to ``out`` and its provenance to ``out.provenance.json``.

    Returns:
        The path written and the number of rows.
    """
    if fmt not in FORMATS:
        raise CompareError(f"unknown format '{fmt}': choose one of {', '.join(FORMATS)}")
    frame, provenance = table(store, what, run_id)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    provenance = {**provenance, "exported_at": now_iso(), "format": fmt, "rows": len(frame)}
    path.write_bytes(to_bytes(frame, fmt, provenance))
    sidecar = path.with_name(path.name + ".provenance.json")
    sidecar.write_text(json.dumps(provenance, indent=2, default=str), encoding="utf-8")
    return path, len(frame)
