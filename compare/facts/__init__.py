"""Facts: which passages of different outlets state the same fact (the verifier, candidate
matching) and the fact rows built from those links."""
from __future__ import annotations

from compare.facts.match import SameFactMatcher, best_links
from compare.facts.rows import FactBuilder
from compare.facts.verifier import Verifier, load_verifier

__all__ = ["FactBuilder", "SameFactMatcher", "Verifier", "best_links", "load_verifier"]
