"""Events: articles grouped by the happening they report."""
from __future__ import annotations

from compare.events.grouper import EventGrouper
from compare.events.labels import event_labels

__all__ = ["EventGrouper", "event_labels"]
