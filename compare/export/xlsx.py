"""A table as an Excel workbook that reads well as it opens.

One sheet with the rows: a bold, frozen header row with filters, text wrapped and aligned to
the top, column widths from the values, lists as JSON text; a second sheet ``provenance`` with
key/value rows. Text is always stored as text, never as a formula, so a passage that starts
with ``=`` cannot run in the analyst's Excel. openpyxl is imported only here, on demand.
"""
from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, NamedStyle
from openpyxl.utils import get_column_letter

from compare import schema
from compare.errors import CompareError

log = logging.getLogger(__name__)

# Excel's limits: rows per sheet (with the header) and characters per cell.
MAX_ROWS = 1_048_576
MAX_CHARS = 32_767
# Column widths in characters: at least a short number, at most a readable line of text.
MIN_WIDTH, MAX_WIDTH = 8.0, 60.0
_HEADER, _TEXT, _VALUE = "Parallax header", "Parallax text", "Parallax value"


def workbook_bytes(frame: pd.DataFrame, provenance: dict[str, Any], title: str) -> bytes:
    """``frame`` on a sheet named ``title``, ``provenance`` on the sheet ``provenance``.

    Raises:
        CompareError: more rows than a sheet holds.
    """
    if len(frame) >= MAX_ROWS:
        raise CompareError(f"{len(frame)} rows do not fit in a spreadsheet (at most "
                           f"{MAX_ROWS - 1}): export csv or parquet instead")
    flat = schema.flatten(frame)
    book = Workbook(write_only=True)
    for name, settings in ((_HEADER, {"font": Font(bold=True)}),
                           (_TEXT, {"alignment": Alignment(wrap_text=True, vertical="top")}),
                           (_VALUE, {"alignment": Alignment(vertical="top")})):
        style = NamedStyle(name=name)
        for attribute, value in settings.items():
            setattr(style, attribute, value)
        book.add_named_style(style)
    columns = [_values(flat[c]) for c in flat.columns]
    texts = [_is_text(flat[c]) for c in flat.columns]
    _fill(book, _sheet_title(title), [str(c) for c in flat.columns], zip(*columns),
          [_width(str(c), v) for c, v in zip(flat.columns, columns, strict=True)], texts)
    rows = list(_provenance_rows(provenance))
    _fill(book, "provenance", ["key", "value"], iter(rows), [40.0, 100.0], [True, True])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill(book: Workbook, title: str, header: list[str], rows: Iterable[tuple[Any, ...]],
          widths: list[float], texts: list[bool]) -> None:
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    sheet.append([_cell(sheet, name, _HEADER) for name in header])
    styles = [_TEXT if text else _VALUE for text in texts]
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, v, s) for v, s in zip(row, styles, strict=True)])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(header), 1))}{count + 1}"


def _cell(sheet: Any, value: Any, style: str) -> WriteOnlyCell:
    # A named style, not a new Alignment per cell: openpyxl hashes every new one, which is slow.
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text, even when it starts with "="
    cell.style = style
    return cell


def _values(series: pd.Series) -> list[Any]:
    """The column as Python values Excel takes (see :func:`_clean`)."""
    return [_clean(v) for v in series.astype(object).where(series.notna(), None).tolist()]


def _clean(value: Any) -> Any:
    """None for a missing value; text without the control characters Excel refuses, cut to
    its cell limit (logged); anything else not a number as text."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > MAX_CHARS:
            log.warning("cut a %d-character cell to Excel's %d", len(value), MAX_CHARS)
            value = value[: MAX_CHARS - 1] + "…"
        return value
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def _is_text(series: pd.Series) -> bool:
    return bool(pd.api.types.is_string_dtype(series) or series.dtype == object)


def _width(header: str, values: list[Any], sample: int = 500) -> float:
    """The header's width or the 90th percentile of the first ``sample`` values' lengths,
    within MIN_WIDTH..MAX_WIDTH; longer text wraps."""
    lengths = sorted(len(str(v)) for v in values[:sample] if v is not None)
    typical = lengths[int(0.9 * (len(lengths) - 1))] if lengths else 0
    return min(max(float(len(header)), float(typical), MIN_WIDTH - 2) + 2, MAX_WIDTH)


def _sheet_title(name: str) -> str:
    cleaned = "".join(c for c in name if c not in "[]:*?/\\")[:31]
    return cleaned if cleaned and cleaned != "provenance" else "data"


def _provenance_rows(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Key/value rows: nested settings as dotted keys, one row per input."""
    if isinstance(value, dict) and value:
        for name, item in value.items():
            yield from _provenance_rows(item, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        for n, item in enumerate(value):
            yield f"{key}[{n}]", _clean(json.dumps(item, ensure_ascii=False, default=str))
    elif isinstance(value, list | dict):
        yield key, _clean(json.dumps(value, ensure_ascii=False, default=str))
    else:
        yield key, "" if value is None else _clean(value)
