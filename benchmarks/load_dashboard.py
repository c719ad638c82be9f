"""A class at once: N concurrent viewers of one dashboard, measured on the server.

Run (slow, opt-in; bounded in viewers and time; 127.0.0.1 only):

    .venv/bin/python benchmarks/load_dashboard.py --store parallax-demo.db [--viewers 1,5,10,30]
        [--app DIR ...] [--level-timeout 600]

For each ``--app`` (a checkout whose ``dashboard/app.py`` is served; default this one, so
``--app /path/to/old/checkout --app .`` measures before and after in one run) a fresh
``streamlit run`` serves the store; one warm-up viewer fills the caches (its server CPU is the
cold start), then for each N, N headless Chromium pages (Playwright, Debian's
``/usr/bin/chromium``) arrive at once, each:

1. opens the dashboard (the side by side) and waits for the first fact's cells;
2. switches outlets (removes the last chosen outlet) and waits for the table to redraw;
3. turns on classroom mode and waits for "Fact 1 of";
4. pages to the next fact twice (the "Next >" button), waiting for "Fact 2 of", "Fact 3 of".

``--floor`` first serves a one-element Streamlit app the same way (arrivals only): Streamlit's
own cost of a new viewer (serving its ~100 script files, opening the session) on this machine.

Reported per N: errors (timeouts, exceptions shown by the app), p50/p95 seconds to a rendered
fact (step 1, and every fact shown in steps 1, 3 and 4), the server's RSS (current and peak)
and the server's own CPU seconds (utime + stime of the streamlit process, from /proc) per
viewer: for the arrival (step 1 only) and for the whole scenario. The browsers run on the same
cores, so wall-clock times grow with N far more than the server's CPU does; the CPU figures
are the server's cost.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
        "--disable-dev-shm-usage"]
MAX_VIEWERS = 30
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Where a failing viewer's page is photographed (the last failure wins); "" for nowhere.
ERROR_SHOT = os.environ.get("PARALLAX_LOAD_ERROR_SHOT", "")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds (``/proc/PID/stat`` fields 14 and 15)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mib(pid: int) -> tuple[float, float]:
    """Current and peak resident memory of one process, MiB."""
    status = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return (int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024)


class Server:
    """``streamlit run APP/dashboard/app.py`` on 127.0.0.1 over one store."""

    def __init__(self, app_dir: Path, store: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "streamlit", "run", str(app_dir / "dashboard" / "app.py"),
                "--server.headless", "true", "--server.address", "127.0.0.1",
                "--server.port", str(self.port), "--browser.gatherUsageStats", "false",
                "--", "--store", str(store)]
        env = {k: v for k, v in os.environ.items() if k != "PARALLAX_STORE"}
        # cwd first on sys.path (python -m): the served checkout's packages are imported.
        self.proc = subprocess.Popen(argv, cwd=app_dir, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.3)

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@dataclass
class Viewer:
    """One viewer's timings (seconds) and what went wrong."""

    open_s: float = float("nan")
    facts_s: list[float] = field(default_factory=list)
    error: str = ""


async def _idle(page: object) -> None:
    await page.wait_for_selector(IDLE, state="attached")  # type: ignore[attr-defined]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Level:
    n: int
    errors: int
    open_p50: float
    open_p95: float
    fact_p50: float
    fact_p95: float
    cpu_arrival: float
    cpu_total: float
    rss: float
    peak: float
    wall: float
    first_error: str = ""


async def _level(server: Server, n: int, timeout_s: float, arrival_only: bool = False) -> Level:
    """``n`` viewers at once. They wait for each other after their first fact, so the server
    CPU of the arrival (step 1) is measured apart from the rest of the visit."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        start, before = time.perf_counter(), server.cpu()
        arrived, everyone = [0], asyncio.Event()
        marks: list[float] = []

        async def barrier() -> None:
            arrived[0] += 1
            if arrived[0] == n:
                marks.append(server.cpu())
                everyone.set()
            await everyone.wait()

        viewers = await asyncio.wait_for(asyncio.gather(
            *(_scenario(browser, server.url, timeout_s, barrier, arrival_only)
              for _ in range(n))),
            timeout=timeout_s + 60)
        total = server.cpu() - before
        wall = time.perf_counter() - start
        await browser.close()
    opens = [v.open_s for v in viewers if not v.error]
    facts = [s for v in viewers if not v.error for s in v.facts_s]
    errors = [v.error for v in viewers if v.error]
    rss, peak = rss_mib(server.proc.pid)
    cpu_arrival = (marks[0] - before) if marks else float("nan")
    return Level(n, len(errors), _pct(opens, 0.5), _pct(opens, 0.95), _pct(facts, 0.5),
                 _pct(facts, 0.95), cpu_arrival / n, total / n, rss, peak, wall,
                 errors[0] if errors else "")


async def _scenario(browser: object, url: str, timeout_s: float,
                    arrive: Callable[[], Awaitable[None]], arrival_only: bool = False) -> Viewer:
    """One viewer's visit (see the module docstring); ``arrive`` is awaited once, when the
    first fact shows or the visit failed before it."""
    out = Viewer()
    context = await browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1280, "height": 1600})
    page = await context.new_page()
    # One wait may take a quarter of the level's time, so a stuck viewer is reported as an
    # error (with the step it was in) before the level's own limit stops everything.
    page.set_default_timeout(timeout_s * 250)
    step_name = "open"
    try:
        start = time.perf_counter()
        await page.goto(url)
        await page.locator(".px-cell").first.wait_for()
        await _idle(page)
        out.open_s = time.perf_counter() - start
        out.facts_s.append(out.open_s)
        arrive, arrived = _noop, arrive
        await arrived()
        if arrival_only:
            return out
        step_name = "switch outlets"
        remove = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"] '
                              'button[aria-label^="Remove "]:visible').last
        gone = (await remove.get_attribute("aria-label") or "").removeprefix("Remove ")
        await remove.click()
        await page.wait_for_function(
            "name => ![...document.querySelectorAll('.px-outlet-head')].some("
            "e => e.textContent.trim() === name)", arg=gone)
        await _idle(page)
        # Close the outlet list (its first outside click is swallowed) before the next step.
        await page.keyboard.press("Escape")
        await page.locator(".px-title").first.click()
        for step in (0, 1, 2):
            step_name = f"fact {step + 1}"
            start = time.perf_counter()
            if step == 0:
                await page.locator('[data-testid="stSidebar"] label').filter(
                    has_text="Classroom mode").first.click()
            else:
                await page.get_by_role("button", name=re.compile("Next")).first.click()
            await page.get_by_text(re.compile(rf"Fact {step + 1} of \d+")).first.wait_for()
            await _idle(page)
            out.facts_s.append(time.perf_counter() - start)
        if await page.locator('[data-testid="stException"]').count():
            out.error = "the app showed an exception"
    except Exception as exc:  # noqa: BLE001 - a viewer's failure is counted, not raised
        out.error = f"{step_name}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
        if ERROR_SHOT:
            await page.screenshot(path=ERROR_SHOT)
    finally:
        await arrive()
        await context.close()
    return out


async def _noop() -> None:
    return None


def _run_level(server: Server, n: int, timeout_s: float, arrival_only: bool = False) -> Level:
    return asyncio.run(_level(server, n, timeout_s, arrival_only))


FLOOR_APP = """import streamlit as st
st.set_page_config(layout="wide")
st.sidebar.radio("View", ["One", "Two"])
st.html('<h2 class="px-title">Floor</h2><div class="px-cell">One element.</div>')
"""


def _floor(store: Path, counts: Sequence[int], timeout_s: float) -> None:
    """Streamlit's own cost of a new viewer: a one-element app, arrivals only."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "dashboard").mkdir()
        (Path(tmp) / "dashboard" / "app.py").write_text(FLOOR_APP, encoding="utf-8")
        server = Server(Path(tmp), store)
        try:
            _run_level(server, 1, timeout_s, arrival_only=True)
            levels = [_run_level(server, n, timeout_s, arrival_only=True) for n in counts]
        finally:
            server.stop()
    print("## Streamlit's own floor (a one-element app, arrival only): CPU/arrival "
          + ", ".join(f"{lv.cpu_arrival:.3f} s ({lv.n} viewers)" for lv in levels))


def _print(title: str, cold_cpu: float, levels: list[Level]) -> None:
    print(f"## {title}: warm-up viewer (cold caches) used {cold_cpu:.2f} s of server CPU")
    print(f"{'viewers':>7} {'errors':>6} {'open p50':>8} {'open p95':>8} {'fact p50':>8} "
          f"{'fact p95':>8} {'CPU/arrival':>11} {'CPU/viewer':>10} {'RSS MiB':>7} "
          f"{'peak MiB':>8} {'wall s':>6}")
    for lv in levels:
        print(f"{lv.n:>7} {lv.errors:>6} {lv.open_p50:>8.2f} {lv.open_p95:>8.2f} "
              f"{lv.fact_p50:>8.2f} {lv.fact_p95:>8.2f} {lv.cpu_arrival:>11.3f} "
              f"{lv.cpu_total:>10.3f} {lv.rss:>7.0f} {lv.peak:>8.0f} {lv.wall:>6.1f}")
        if lv.first_error:
            print(f"        first error: {lv.first_error}")
    sys.stdout.flush()


def main() -> int:
    """Serve each app, run the levels, print one table per app; exit 1 on any viewer error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, type=Path)
    parser.add_argument("--viewers", default="1,5,10,30",
                        help=f"comma-separated counts, each at most {MAX_VIEWERS}")
    parser.add_argument("--app", action="append", type=Path,
                        help="checkout to serve (repeatable; default: this one)")
    parser.add_argument("--level-timeout", type=float, default=600.0,
                        help="seconds one level may take")
    parser.add_argument("--floor", action="store_true",
                        help="first measure a one-element Streamlit app's arrivals (the floor)")
    args = parser.parse_args()
    counts = [int(x) for x in args.viewers.split(",") if x.strip()]
    if not counts or min(counts) < 1 or max(counts) > MAX_VIEWERS:
        parser.error(f"--viewers takes counts from 1 to {MAX_VIEWERS}")
    if not args.store.exists():
        parser.error(f"no store at {args.store}: run parallax demo --no-dashboard first")
    if args.floor:
        _floor(args.store.resolve(), counts, args.level_timeout)
    errors = 0
    for app in args.app or [ROOT]:
        server = Server(app.resolve(), args.store.resolve())
        try:
            before = server.cpu()
            warm = _run_level(server, 1, args.level_timeout)
            cold_cpu = server.cpu() - before
            levels = [_run_level(server, n, args.level_timeout) for n in counts]
        finally:
            server.stop()
        errors += warm.errors + sum(lv.errors for lv in levels)
        _print(str(app.resolve()), cold_cpu, levels)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
