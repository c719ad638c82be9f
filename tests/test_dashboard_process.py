"""``parallax dashboard`` never leaves its server behind (issue 9, item 10).

A service manager stops a program with SIGTERM, a terminal with SIGINT (Ctrl+C) or SIGHUP
(window closed). The wrapper must pass the signal on, wait for the server, kill it if it does
not stop in time, and exit with a sensible code. Tested with real processes.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_CHILD = textwrap.dedent("""
    import os, signal, sys, time
    from pathlib import Path
    report, stubborn = Path(sys.argv[1]), sys.argv[2] == "stubborn"
    def stop(signum, frame):
        report.write_text(f"{os.getpid()} got {signum}")
        if not stubborn:
            sys.exit(0)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    report.write_text(f"{os.getpid()} ready")
    while True:
        time.sleep(0.05)
""")

# `parallax dashboard`'s own code path, with a tiny fake server in place of Streamlit.
_WRAPPER = textwrap.dedent("""
    import sys
    from pathlib import Path
    import compare.workflows as workflows
    child = [sys.executable, "-c", sys.argv[1], sys.argv[2], sys.argv[3]]
    workflows.dashboard_command = lambda *args, **kwargs: child
    workflows.DASHBOARD_STOP_GRACE_S = float(sys.argv[4])
    sys.exit(workflows.open_dashboard_process(Path(sys.argv[2]), port=8501, host="127.0.0.1"))
""")


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def _wait_for(check, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())


@pytest.fixture
def cleanup() -> Iterator[list[int]]:
    """Pids this test started; any still running at the end are killed (by pid)."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _start(tmp_path: Path, kind: str, grace_s: float,
           cleanup: list[int]) -> tuple[subprocess.Popen[bytes], int, Path]:
    report = tmp_path / "child.txt"
    wrapper = subprocess.Popen([sys.executable, "-c", _WRAPPER, _CHILD, str(report), kind,
                                str(grace_s)], cwd=ROOT, stderr=subprocess.DEVNULL)
    cleanup.append(wrapper.pid)
    assert _wait_for(lambda: report.exists() and "ready" in report.read_text(), 30)
    child = int(report.read_text().split()[0])
    cleanup.append(child)
    return wrapper, child, report


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_item10_signal_is_forwarded_and_the_server_stops(tmp_path: Path, sig: int,
                                                         cleanup: list[int]) -> None:
    wrapper, child, report = _start(tmp_path, "obedient", 5.0, cleanup)
    wrapper.send_signal(sig)
    assert wrapper.wait(timeout=10) == 0
    assert not _alive(child), "the server was left running"
    assert report.read_text() == f"{child} got {int(sig)}"


def test_item10_a_server_that_ignores_the_signal_is_killed(tmp_path: Path,
                                                           cleanup: list[int]) -> None:
    wrapper, child, report = _start(tmp_path, "stubborn", 0.5, cleanup)
    started = time.monotonic()
    wrapper.send_signal(signal.SIGTERM)
    assert wrapper.wait(timeout=10) == 1
    assert time.monotonic() - started < 5
    assert not _alive(child)
    assert report.read_text() == f"{child} got {int(signal.SIGTERM)}"


def test_item10_the_server_exit_code_is_passed_on(tmp_path: Path) -> None:
    wrapper = _WRAPPER.replace("child = [", "child = [sys.executable, '-c', 'exit(3)'] or [")
    done = subprocess.run([sys.executable, "-c", wrapper, "", str(tmp_path / "x"), "", "1"],
                          cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.real
def test_item10_sigterm_to_parallax_dashboard_frees_the_port(tmp_path: Path,
                                                             cleanup: list[int]) -> None:
    from corpus.store import Store

    store, port = tmp_path / "s.db", _free_port()
    Store(store).close()
    wrapper = subprocess.Popen([sys.executable, "-m", "compare.cli", "dashboard", "--store",
                                str(store), "--port", str(port)], cwd=ROOT,
                               stderr=subprocess.DEVNULL)
    cleanup.append(wrapper.pid)
    assert _wait_for(lambda: _listening(port), 60), "streamlit did not start"
    servers = _children(wrapper.pid)
    cleanup.extend(servers)
    assert servers
    wrapper.send_signal(signal.SIGTERM)
    assert wrapper.wait(timeout=20) == 0
    assert not any(_alive(pid) for pid in servers), "streamlit was left running"
    assert not _listening(port)
