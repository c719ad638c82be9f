"""Old import path of the verifier (kept for code written against it): see :mod:`compare.facts`."""
from __future__ import annotations

from compare.facts.same_fact import same_fact
from compare.facts.verifier import Verifier, load_verifier, pair_probability

__all__ = ["Verifier", "load_verifier", "pair_probability", "same_fact"]
