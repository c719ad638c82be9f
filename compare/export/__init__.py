"""Export: result tables to CSV, Parquet, JSONL and xlsx, with provenance."""
from __future__ import annotations

from compare.export.writer import FORMATS, export, table, to_bytes

__all__ = ["FORMATS", "export", "table", "to_bytes"]
