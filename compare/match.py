"""Old import path of the matcher (kept for code written against it): see :mod:`compare.facts`."""
from __future__ import annotations

from compare.facts.match import SameFactMatcher, best_links

__all__ = ["SameFactMatcher", "best_links"]
