"""Alignment and framing analysis of collected coverage: passages, embeddings, events, facts,
alignment, framing signals, export and the command line.

``from compare import same_fact`` gives the same-fact verifier as one function (see
:func:`compare.facts.same_fact.same_fact`); it loads the models on first use, so importing this
package stays light (the CLI starts without torch). ``compare.SAME_FACT_THRESHOLD`` is the
probability from which the product calls a pair the same fact.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def same_fact(texts_a: Sequence[str], texts_b: Sequence[str], **languages: Any) -> Any:
    """The calibrated probability that ``texts_a[i]`` and ``texts_b[i]`` state the same fact,
    in any language pair, as a numpy array (see :func:`compare.facts.same_fact.same_fact`)."""
    from compare.facts.same_fact import same_fact as verify_same_fact

    return verify_same_fact(texts_a, texts_b, **languages)


def __getattr__(name: str) -> Any:
    # SAME_FACT_THRESHOLD is read from the shipped verifier on first use (json only, no model).
    if name == "SAME_FACT_THRESHOLD":
        from compare.facts.verifier import load_verifier

        return load_verifier().threshold
    raise AttributeError(f"module 'compare' has no attribute {name!r}")


__all__ = ["SAME_FACT_THRESHOLD", "same_fact"]
