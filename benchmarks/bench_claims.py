"""Same-fact quality on the claims gold (issue 24): the shipped ``same_fact`` against the plain
multilingual-e5-small cosine, on the same labelled pairs, in one run.

Data: ``../shared/data/claims/pairs.jsonl`` (``README.md`` and ``GUIDELINES.md`` there), the
pairs of one fold (``--fold``, default ``test``) or of both. A pair is the same fact when its
label is ``same`` or ``contains``; ``unusable`` pairs are left out. Nothing is tuned here.

Scored (``compare.training.claims``):
- ``same_fact`` with each passage's recorded language, one call per event, linked from
  ``--threshold`` (default: the shipped verifier's, ``load_verifier().threshold``);
- the same verifier reading each pair inside its whole event (``score_in_event``: every passage
  of the event's articles read together, as ``analyze`` reads an event), at the same threshold;
- the baseline: the cosine of the two passages' ``e5:multilingual-small`` vectors, linked from
  the cosine at which it links as many sampled pairs as ``same_fact`` does (its threshold is
  printed; no label is read to set it), so precision and recall compare at equal volume.

Tables 1 and 2 for ``same_fact``, then both again for the pairs read in their events. Table 1,
sampled pairs: average precision, precision / recall / F1 at the threshold, overall,
by dataset and by language kind (two passages in one language, or in two). Table 2, the links
one analysis run showed (``product_link``): the share labelled the same fact, and that share
among the pairs each scorer still links.

``--cache PATH`` is a store file that keeps the e5 vectors between runs (``same_fact`` embeds
its texts anew on every run).

Run: .venv/bin/python benchmarks/bench_claims.py [--fold test|train|all] [--threshold T]
     [--cache /tmp/claims-cache.db]
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

from compare.training.claims import (
    evaluate,
    read_claims,
    score_e5_cosine,
    score_in_event,
    score_same_fact,
    threshold_for_links,
)

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT.parent / "shared" / "data" / "claims" / "pairs.jsonl"
ROW_NAMES = {"same": "same-language", "cross": "cross-language"}


def _figure(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"


def sampled_table(model: dict[str, Any], baseline: dict[str, Any]) -> str:
    """Markdown rows of the sampled pairs: the model's figures beside the baseline's."""
    lines = [("| pairs | n | same fact | same_fact AP | P | R | F1 | links "
              "| e5 cosine AP | P | R | F1 | links |"),
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for group, ours in model["sampled"].items():
        theirs = baseline["sampled"][group]
        cells = [ROW_NAMES.get(group, group), str(ours["n"]), str(ours["positives"])]
        for figures in (ours, theirs):
            cells += [_figure(figures[k]) for k in ("ap", "precision", "recall", "f1")]
            cells.append(str(figures["linked"]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def shown_table(model: dict[str, Any], baseline: dict[str, Any]) -> str:
    """Markdown rows of the product links: right of shown, and right of those still linked."""
    lines = [("| product_link | shown | right (share) | same_fact still links | right (share) "
              "| e5 cosine still links | right (share) |"),
             "|---|---|---|---|---|---|---|"]
    for group, ours in model["product_link"].items():
        theirs = baseline["product_link"][group]
        cells = [group, str(ours["n"]), f"{ours['right']} ({_figure(ours['share'])})"]
        for figures in (ours, theirs):
            cells += [str(figures["linked"]),
                      f"{figures['linked_right']} ({_figure(figures['linked_share'])})"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fold", choices=("test", "train", "all"), default="test")
    parser.add_argument("--threshold", type=float, default=None,
                        help="same_fact's link threshold (default: the shipped verifier's)")
    parser.add_argument("--data", type=Path, default=PAIRS, help="the claims pairs.jsonl")
    parser.add_argument("--cache", type=Path, default=None,
                        help="a store file keeping the e5 vectors between runs")
    args = parser.parse_args()
    from compare.facts.verifier import load_verifier

    threshold = load_verifier().threshold if args.threshold is None else args.threshold
    pairs = read_claims(args.data, fold=None if args.fold == "all" else args.fold)
    start = time.perf_counter()
    ours = score_same_fact(pairs)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs = score_e5_cosine(pairs, args.cache)
    theirs_s = time.perf_counter() - start
    model = evaluate(pairs, ours, threshold)
    sampled = [k for k, p in enumerate(pairs) if p.source == "sampled"]
    cosine = threshold_for_links(theirs[sampled], model["sampled"]["overall"]["linked"])
    baseline = evaluate(pairs, theirs, cosine)
    print(f"claims gold, fold {args.fold}: {len(pairs)} usable pairs ({len(sampled)} sampled); "
          f"same_fact from {threshold:g} ({ours_s:.0f} s), e5 cosine from {cosine:.4f}, the "
          f"cosine linking as many sampled pairs ({theirs_s:.0f} s)\n")
    print(sampled_table(model, baseline))
    print()
    print(shown_table(model, baseline))
    start = time.perf_counter()
    in_event = evaluate(pairs, score_in_event(pairs, args.data.parents[1], args.cache), threshold)
    print(f"\nthe same pairs read in their events (as analyze reads them), from {threshold:g} "
          f"({time.perf_counter() - start:.0f} s)\n")
    print(sampled_table(in_event, baseline))
    print()
    print(shown_table(in_event, baseline))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
