"""Hardening, round 2 (issue 26): ways to hang, exhaust or silently drop, found from outside.

Each test names the item of issue 26 it proves. Peak memory and wall time are measured on a
real ``parallax`` process (its peak resident size, through a small wrapper whose only child
it is), with generous margins: the bounds are the issue's, not benchmarks.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from corpus.store import Store

ROOT = Path(__file__).resolve().parents[1]
# Runs a command under an address-space cap (so a regression fails here instead of taking the
# machine's memory) and prints its exit code, output, wall time and peak resident size.
_MEASURE = r"""
import json, resource, subprocess, sys, time
cap = 3 * 1024 ** 3
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
start = time.monotonic()
try:
    done = subprocess.run(sys.argv[2:], capture_output=True, text=True, preexec_fn=limit,
                          timeout=float(sys.argv[1]))
    rc, out, err = done.returncode, done.stdout, done.stderr
except subprocess.TimeoutExpired as exc:
    rc, out, err = None, str(exc.stdout or ""), str(exc.stderr or "")
seconds = time.monotonic() - start
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"rc": rc, "out": out, "err": err, "seconds": seconds, "peak_mb": peak_mb}))
"""


def measured(*args: str, timeout: float = 60) -> dict[str, object]:
    """Run ``parallax ARGS``; its exit code (None: killed at ``timeout``), output, seconds and
    peak memory in MB."""
    command = [sys.executable, "-c", _MEASURE, str(timeout), sys.executable, "-m",
               "compare.cli", *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout + 60, check=True)
    return json.loads(done.stdout)


def failure_lines(err: object) -> list[str]:
    return [ln for ln in str(err).splitlines() if ln.startswith("failed")]


def test_f2_f3_fifos_and_devices_are_refused_in_one_line_each(tmp_path: Path) -> None:
    """F2: a FIFO as a source blocked for ever, and inside a folder was skipped silently.
    F3: a .txt symlink to /dev/zero read without end (st_size is 0 for devices)."""
    fifo = tmp_path / "f.jsonl"
    os.mkfifo(fifo)
    zero = tmp_path / "z.txt"
    zero.symlink_to("/dev/zero")
    folder = tmp_path / "folder"
    folder.mkdir()
    os.mkfifo(folder / "g.jsonl")
    (folder / "y.html").symlink_to("/dev/zero")
    (folder / "ok.txt").write_text("A fine title\n\nThe body of a fine article.\n")
    good = tmp_path / "r.jsonl"
    good.write_text(json.dumps({"id": "r1", "outlet": "Alpha", "text": "Read after all."}) + "\n")
    db = tmp_path / "s.db"
    run = measured("collect", str(fifo), str(zero), str(folder), str(good), "--store", str(db))
    assert run["rc"] == 0, run["err"]
    assert run["seconds"] < 15 and run["peak_mb"] < 600, (run["seconds"], run["peak_mb"])
    assert "2 stored" in str(run["out"]) and "4 failed" in str(run["out"])
    lines = failure_lines(run["err"])
    assert len(lines) == 4, lines
    for path, kind in ((fifo, "FIFO"), (zero, "device"), (folder / "g.jsonl", "FIFO"),
                       (folder / "y.html", "device")):
        (line,) = [ln for ln in lines if f"{path} " in ln]
        assert kind in line and "not a regular file" in line, line
    with Store(db, readonly=True) as store:
        failed = store.items(outcome="failed")
    assert sorted(failed["source"]) == sorted(
        str(p) for p in (fifo, zero, folder / "g.jsonl", folder / "y.html"))

