"""Run every benchmark in turn (collect, compare, match, analyze, dashboard) and print each table.

By default each runs with quick settings; ``--full`` runs each script with its own defaults
instead (bench_compare then takes ~15 min: the real model at 10k passages and the aligner at
100k). bench_analyze (end-to-end ``analyze`` on BASIL and ~1,000 articles, cold, warm and
incremental) takes most of the time: about half an hour on 2 busy cores. Its ~10,000-article
size runs only when asked: ``benchmarks/bench_analyze.py --sizes 10k``.

Run: .venv/bin/python benchmarks/run_all.py [--full]
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
    "bench_compare.py": ["--sizes", "1000,10000", "--split-sizes", "1000",
                         "--embed-sizes", "1000"],
    "bench_match.py": ["--sizes", "1000,10000"],
    "bench_analyze.py": ["--sizes", "basil,1k"],
    "bench_dashboard.py": ["--articles", "300", "--repeat", "1"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="each script's own defaults")
    args = parser.parse_args()
    failed = []
    for script, quick_args in QUICK.items():
        argv = [sys.executable, str(HERE / script), *([] if args.full else quick_args)]
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
