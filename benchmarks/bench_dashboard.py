"""Dashboard timings on a synthetic event of 1,000 articles (Streamlit AppTest, no browser).

Run: ``.venv/bin/python benchmarks/bench_dashboard.py [--articles N] [--repeat R]``.
Prints one table: the first render of the side-by-side view with cold caches (store read,
shaping, drawing), a warm rerun, a new session on warm caches, and each view switch (first
visit, then a revisit). For many viewers at once, see ``load_dashboard.py``.
AppTest runs the script in-process, so these are server-side times; the browser adds its
own drawing time on top.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import streamlit as st
from _test_helpers import load_test_module
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "app.py")
VIEWS = ("Events", "Coverage and omissions", "Word choice", "Tone and sourcing", "Search",
         "Side by side")


def _timed(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    return elapsed


def _once(store: Path, n_outlets: int) -> list[tuple[str, float]]:
    st.cache_data.clear()
    st.cache_resource.clear()
    os.environ["PARALLAX_STORE"] = str(store)
    at = AppTest.from_file(APP, default_timeout=300)
    rows = [("side by side, first render (cold caches)", _timed(at))]
    outlets = next(m for m in at.sidebar.multiselect if m.label.startswith("Outlets"))
    if n_outlets != len(outlets.value):
        outlets.set_value(list(outlets.options[:n_outlets]))
        rows.append((f"side by side, {n_outlets} outlets chosen", _timed(at)))
    rows.append(("side by side, rerun (warm)", _timed(at)))
    # A new viewer while the caches are warm: what each student of a class costs the script.
    rows.append(("side by side, new session (warm caches)",
                 _timed(AppTest.from_file(APP, default_timeout=300))))
    for view in VIEWS:
        at.sidebar.radio(key="view").set_value(view)
        rows.append((f"switch to {view.lower()} (first visit)", _timed(at)))
    for view in ("Coverage and omissions", "Side by side"):
        at.sidebar.radio(key="view").set_value(view)
        rows.append((f"switch to {view.lower()} (revisit)", _timed(at)))
    return rows


def main() -> None:
    """Build the synthetic store, time the renders, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--outlets", type=int, default=5, help="outlets compared (2 to 5)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    fixtures = load_test_module("dashboard_fixtures")
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "bench.db"
        start = time.perf_counter()
        fixtures.build_synthetic_store(store, n_articles=args.articles)
        built = time.perf_counter() - start
        runs = [_once(store, args.outlets) for _ in range(args.repeat)]
    print(f"synthetic event: {args.articles} articles, 12 outlets, 30 topics, "
          f"{args.outlets} outlets compared; store built in {built:.1f} s; "
          f"median of {args.repeat} runs")
    print(f"{'step':<50} {'median s':>9} {'max s':>7}")
    for i, (label, _) in enumerate(runs[0]):
        times = [r[i][1] for r in runs]
        print(f"{label:<50} {statistics.median(times):>9.3f} {max(times):>7.3f}")


if __name__ == "__main__":
    main()
