"""Group bookkeeping shared by event grouping and fact rows: union-find roots and group numbers
that follow first appearance (so the same input always gets the same numbers)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def find_root(parent: list[int], i: int) -> int:
    """The root of ``i`` in a union-find forest, halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def number_by_first_appearance(groups: Sequence[object]) -> np.ndarray:
    """``(n,)`` int64 group numbers: the first item's group is 0, the next new group 1, ..."""
    numbers: dict[object, int] = {}
    return np.array([numbers.setdefault(g, len(numbers)) for g in groups], dtype=np.int64)
