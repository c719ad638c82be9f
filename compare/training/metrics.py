"""Scores of a grouping against gold groups, for the quality gates."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from compare.groups import number_by_first_appearance


def b_cubed(
    pred: Sequence[object] | np.ndarray, gold: Sequence[object] | np.ndarray,
) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a predicted grouping against gold groups.

    For each item, precision is the share of its predicted group that shares its gold group,
    recall the share of its gold group that shares its predicted group; both are averaged over
    items (Bagga and Baldwin 1998).

    Returns:
        ``(precision, recall, f1)``; ``(0.0, 0.0, 0.0)`` for empty input.
    """
    pred_ids = number_by_first_appearance(list(pred))
    gold_ids = number_by_first_appearance(list(gold))
    if len(pred_ids) != len(gold_ids):
        raise ValueError(f"pred has {len(pred_ids)} items, gold {len(gold_ids)}")
    if len(pred_ids) == 0:
        return 0.0, 0.0, 0.0
    joint = sparse.coo_matrix(
        (np.ones(len(pred_ids)), (pred_ids, gold_ids)),
    ).tocsr()
    joint.sum_duplicates()
    overlap = np.asarray(joint[pred_ids, gold_ids]).ravel()
    pred_sizes = np.bincount(pred_ids)[pred_ids]
    gold_sizes = np.bincount(gold_ids)[gold_ids]
    precision = float(np.mean(overlap / pred_sizes))
    recall = float(np.mean(overlap / gold_sizes))
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1
