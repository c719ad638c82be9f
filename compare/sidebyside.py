"""Old import path of the side-by-side table (kept for code written against it): see
:mod:`compare.export.sidebyside`."""
from __future__ import annotations

from compare.export.sidebyside import side_by_side_table

__all__ = ["side_by_side_table"]
