"""The framing table (``compare.framing.framing_signals``) against its pre-rewrite
implementation (``tests/framing_reference.py``, per-topic DataFrame filters and per-term loops),
on the same inputs, in the same run: seconds of each, the ratio, and whether the two tables are
identical (``assert_frame_equal`` and equal CSV bytes).

Inputs are real analysis runs with the hashing embedder (fast; the table's code paths do not
depend on the embedder): BASIL (``../shared/data/basil``, 300 articles, ~7,500 passages, ~110
events) and the Istanbul demo (``../shared/data/ukraine`` and the seed article, collected with
the demo's event scope, one event). ``--model`` analyses with the real model instead.

Run: .venv/bin/python benchmarks/bench_framing.py [--model] [--corpora basil,istanbul]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from _test_helpers import load_test_module

from compare.analyze import analyze
from compare.framing.signals import framing_signals
from compare.settings import AnalysisSettings
from compare.workflows import DEMO_SCOPE
from corpus.collect import CollectSettings, collect
from corpus.store import Store

framing_reference = load_test_module("framing_reference")
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CORPORA = {
    "basil": ([DATA / "basil" / "articles.jsonl"], CollectSettings(), AnalysisSettings()),
    "istanbul": ([DATA / "ukraine", DATA / "istanbul" / "seed_article.jsonl"],
                 CollectSettings(scope=DEMO_SCOPE), AnalysisSettings(single_event=True)),
}


def inputs(name: str, embedder: str | None, folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The passages and alignments of an analysis run of one corpus."""
    sources, collect_settings, settings = CORPORA[name]
    with Store(folder / f"{name}.db") as store:
        collect([str(s) for s in sources], store, collect_settings)
        run = analyze(store, settings, embedder=embedder)
    return run.passages, run.alignments


def timed(function: Callable[..., pd.DataFrame], *args: object) -> tuple[pd.DataFrame, float]:
    """The function's table and the seconds it took."""
    start = time.perf_counter()
    table = function(*args)
    return table, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="store_true", help="the real model, not hashing:512")
    parser.add_argument("--corpora", default="basil,istanbul")
    args = parser.parse_args()
    embedder = None if args.model else "hashing:512"
    print(f"embedder: {embedder or 'the default model'}")
    print(f"{'corpus':<10}{'passages':>9}{'events':>7}{'rows':>7}{'old s':>8}{'new s':>8}"
          f"{'ratio':>7}  identical")
    same_everywhere = True
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.corpora.split(","):
            passages, alignments = inputs(name, embedder, Path(tmp))
            # The reference reads pairs by similarity only: leave the calibrated probability
            # (which framing prefers) out so both read the same pairs.
            alignments = alignments.drop(columns=["probability"], errors="ignore")
            old, old_s = timed(framing_reference.framing_signals, passages, alignments)
            new, new_s = timed(framing_signals, passages, alignments)
            try:
                pd.testing.assert_frame_equal(new, old)
                same = new.to_csv(index=False) == old.to_csv(index=False)
            except AssertionError:
                same = False
            # The reference knows no languages and computes tone itself: it is the oracle only
            # for one language with every tone measured.
            comparable = (passages.get("language", pd.Series([""])).nunique() == 1
                          and bool(passages["tone"].notna().all()))
            same_everywhere &= same or not comparable
            verdict = ("yes (frame and CSV bytes)" if same else
                       "NO" if comparable else "n/a (several languages or unmeasured tone)")
            print(f"{name:<10}{len(passages):>9}{passages['event_id'].nunique():>7}"
                  f"{len(new):>7}{old_s:>8.2f}{new_s:>8.2f}{old_s / new_s:>7.1f}  {verdict}",
                  flush=True)
    return 0 if same_everywhere else 1


if __name__ == "__main__":
    sys.exit(main())
