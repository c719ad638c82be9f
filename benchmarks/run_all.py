"""Run every benchmark in turn (collect, compare, match, analyze, dashboard, framing, embed,
claims) and print each table.

By default each runs with quick settings; ``--full`` runs each script with its own defaults
instead (bench_compare then takes several minutes: the real model at 10k passages).
bench_analyze (end-to-end ``analyze`` on BASIL and ~1,000 articles, cold, warm and
incremental) takes most of the time: about half an hour on 2 busy cores. Its ~10,000-article
size runs only when asked: ``benchmarks/bench_analyze.py --sizes 10k``.

``--load STORE`` also runs the dashboard load test (``load_dashboard.py``: 1, 5, 10 and 30
concurrent browsers on STORE, e.g. the demo store; slow, about 10 minutes).

Run: .venv/bin/python benchmarks/run_all.py [--full] [--load parallax-demo.db]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

QUICK = {
    "bench_collect.py": ["--records", "500"],
    "bench_compare.py": ["--split-sizes", "1000", "--embed-sizes", "1000"],
    "bench_match.py": ["--sizes", "1000,10000"],
    "bench_analyze.py": ["--sizes", "basil,1k"],
    "bench_dashboard.py": ["--articles", "300", "--repeat", "1"],
    "bench_framing.py": [],
    "bench_embed.py": ["--n", "1000", "--repeat", "1"],
    "bench_claims.py": ["--fold", "test"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="each script's own defaults")
    parser.add_argument("--load", metavar="STORE",
                        help="also run the dashboard load test on this analysed store (slow)")
    args = parser.parse_args()
    failed = []
    scripts = dict(QUICK)
    if args.load:
        scripts["load_dashboard.py"] = ["--store", args.load]
    for script, quick_args in scripts.items():
        keep = script == "load_dashboard.py" or not args.full
        argv = [sys.executable, str(HERE / script), *(quick_args if keep else [])]
        print(f"## {script} {' '.join(argv[2:])}".rstrip(), flush=True)
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=HERE.parent, check=False)
        print(f"({script}: {time.perf_counter() - start:.0f} s, exit {proc.returncode})\n",
              flush=True)
        if proc.returncode != 0:
            failed.append(script)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
