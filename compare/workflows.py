"""Workflows behind the CLI: collection with settings and a seed, the store summary, the
demo, launching the dashboard. Library functions, so a notebook can call them too."""
from __future__ import annotations

import csv
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path

import pandas as pd
from rich.console import Console

from compare.embed.embedders import embed_texts, make_embedder
from compare.errors import CompareError
from compare.runs import ReadableStore
from corpus.collect import CollectSettings, EventScope, collect
from corpus.errors import SourceError, os_reason
from corpus.fetch import FetchSettings
from corpus.records import CollectReport, ItemOutcome, one_line
from corpus.sources import read_html_file, read_text_file
from corpus.store import STORE_ENV, Store

log = logging.getLogger(__name__)

# Seconds the dashboard server gets to shut down after Ctrl+C or SIGTERM before it is killed.
# Streamlit stops in well under a second; 10 s is also Docker's grace period before SIGKILL.
DASHBOARD_STOP_GRACE_S = 10.0
_POLL_S = 0.2
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

# The demo event: the Russia-Ukraine talks in Istanbul on 29 March 2022 and the reactions
# over the next two days. The window opens a day early for the run-up coverage. Keywords in
# English, Russian and Ukrainian (stems: "переговор" is negotiation(s) in both, "Мединск" finds
# every case of Medinsky's name; names in Latin letters also match a transliterated text).
DEMO_SCOPE = EventScope(
    keywords=("Istanbul", "negotiat", "peace talks", "talks with Russia", "Medinsky",
              "Chernihiv", "de-escalat", "Стамбул", "переговор", "Чернигов", "Чернігів",
              "деэскалац", "деескалац"),
    since="2022-03-28", until="2022-03-31",
)


def seed_matcher(seed: Path) -> tuple[str, object]:
    """A function scoring texts' similarity to a seed article, in any language: the cosine of
    the multilingual encoder over the first 2,000 characters (title and lead).

    The multilingual encoder, not the wide one (``compare.embed.scales.WIDE_ENCODER``): at this
    length it still tells on-topic from off-topic Ukrainian text apart, and better than the wide
    encoder does (measured on the demo's seed, docs/evaluation.md#languages)."""
    draft = read_html_file(seed) if seed.suffix.lower() in (".html", ".htm") else \
        read_text_file(seed)
    model = make_embedder("use:multilingual-v3")
    anchor = model.encode([f"{draft.title}\n\n{draft.text}"[:2000]])[0]

    def score(text: str) -> float:
        return float(embed_texts([text[:2000]], model)[0] @ anchor)

    return draft.title, score


def collect_sources(store: Store, sources: Sequence[str], *, keywords: Sequence[str] = (),
                    since: str = "", until: str = "", seed: Path | None = None,
                    outlet: str = "", registry: Path | None = None,
                    allow_private: bool = False, wayback: bool = False,
                    progress: bool = False,
                    on_item: Callable[[ItemOutcome], None] | None = None) -> CollectReport:
    """``collect`` with the CLI's options turned into settings."""
    matcher = None
    if seed is not None:
        try:
            if not seed.exists():
                raise SourceError(f"seed article {seed} not found")
            _, matcher = seed_matcher(seed)
        except OSError as exc:
            raise SourceError(f"cannot read seed article {seed}: {os_reason(exc)}") from exc
    settings = CollectSettings(
        fetch=FetchSettings(allow_private=allow_private),
        scope=EventScope(keywords=tuple(keywords), since=since, until=until),
        outlet=outlet, registry=str(registry or ""), wayback_fallback=wayback,
    )
    return collect(sources, store, settings, seed_matcher=matcher,  # type: ignore[arg-type]
                   progress=progress, on_item=on_item)


# How `parallax status` names the counts of a collection run, in this order.
_RUN_COUNTS = (("stored", "stored"), ("duplicate", "duplicates"), ("unchanged", "already in store"),
               ("out_of_scope", "out of scope"), ("failed", "failed"))


def _run_summary(summary: dict[str, object] | None) -> str:
    if not summary:
        return "unfinished"
    known = dict(_RUN_COUNTS)
    parts = [f"{summary[key]} {words}" for key, words in _RUN_COUNTS if key in summary]
    parts += [f"{key.replace('_', ' ')}: {value}" for key, value in summary.items()
              if key not in known]
    return ", ".join(parts)


def describe_store(store: ReadableStore) -> str:
    """A readable summary of a store: articles per outlet, runs, failures with reasons.

    Three blocks separated by a blank line: articles per outlet; runs; every source whose
    latest outcome is a failure, once, on its own line (``  source [stage]: reason``, control
    characters escaped so that a file name or reason holding a line break cannot run two
    failures together).
    """
    articles = store.articles()
    noun = "article" if len(articles) == 1 else "articles"
    lines = [f"Store {store.path}: {len(articles)} {noun}"]
    per_outlet: dict[str, int] = {}
    for a in articles:
        per_outlet[a.outlet] = per_outlet.get(a.outlet, 0) + 1
    for name, count in sorted(per_outlet.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {count:5d}  {one_line(name)}")
    dupes = sum(1 for a in articles if a.duplicate_of)
    lines.append(f"{dupes} of them are duplicates linked to their original.")
    runs = store.runs()
    if runs:
        lines += ["", "Runs:"]
        lines += [f"  {run['run_id']} ({run['kind']}): {_run_summary(run['summary'])}"
                  for run in runs]
    failed = latest_outcomes(store, runs)
    failed = failed[failed["outcome"] == "failed"]
    if len(failed):
        lines += ["", f"{len(failed)} failed items:"]
        lines += [f"  {one_line(r.source)} [{r.stage}]: {one_line(r.reason)}"
                  for r in failed.itertuples()]
    return "\n".join(lines)


def latest_outcomes(store: ReadableStore, runs: Sequence[dict[str, object]]) -> pd.DataFrame:
    """Each source's outcome in the last run that read it (in run order, then item order):
    a URL retried by three runs is one row, and a failure mended by a later run is gone."""
    items = store.items()
    order = {run["run_id"]: n for n, run in enumerate(runs)}
    items["_run"] = items["run_id"].map(order).fillna(-1)
    items = items.sort_values(["_run", "seq"], kind="stable")
    return items.drop_duplicates("source", keep="last").drop(columns="_run")


def demo_urls() -> list[str]:
    """The shipped list of real coverage of the Istanbul talks."""
    resource = resources.files("corpus") / "data" / "istanbul_urls.csv"
    with resources.as_file(resource) as path, path.open(encoding="utf-8", newline="") as handle:
        return [row["url"] for row in csv.DictReader(handle)]


def online(host: str = "web.archive.org", timeout: float = 3.0) -> bool:
    """Whether the Internet can be reached (a DNS lookup and a TCP connect)."""
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def run_demo(sources: Sequence[str], store_path: Path | None, *, open_dashboard: bool,
             lite: bool, port: int, console: Console) -> int:
    """Collect the Istanbul coverage (web, or the given sources), analyse, open the dashboard."""
    if not sources:
        if not online():
            console.print(
                "Offline: the demo's pages cannot be fetched. Point it at saved pages or a folder"
                " instead: parallax demo --source DIR (for example --source "
                "../shared/data/ukraine --source ../shared/data/istanbul/seed_article.jsonl)",
                markup=False)
            return 2
        sources = demo_urls()
    from compare.analyze import analyze
    from compare.runs import describe_run
    from compare.settings import AnalysisSettings

    path = store_path or Path("parallax-demo.db")
    with Store(path) as store:
        settings = CollectSettings(scope=DEMO_SCOPE, wayback_fallback=True)
        report = collect(sources, store, settings, progress=sys.stderr.isatty())
        console.print(f"Collected: {report.summary()}.", markup=False)
        for item in report.failures[:20]:
            console.print(item.line(), markup=False, highlight=False)
        # The demo collection is scoped to the event, so everything in it is that event.
        run = analyze(store, AnalysisSettings(single_event=True),
                      embedder="hashing:512" if lite else None, progress=sys.stderr.isatty())
        console.print(describe_run(run), markup=False)
    if open_dashboard:
        return open_dashboard_process(path, port=port, host="127.0.0.1")
    console.print(f"Open the dashboard with: parallax dashboard --store {path}", markup=False)
    return 0


def open_dashboard(store_path: Path | None, *, port: int, host: str) -> int:
    """Start the Streamlit dashboard on a store (blocks until it is stopped)."""
    from corpus.store import resolve_store_path

    return open_dashboard_process(resolve_store_path(store_path), port=port, host=host)


def open_dashboard_process(store_path: Path, *, port: int, host: str) -> int:
    """Serve the dashboard on ``host:port`` until it is stopped; its exit code.

    Stopping is safe whichever way it comes (Ctrl+C, a closed terminal, ``kill``, a service
    manager's or ``docker stop``'s SIGTERM): see ``run_until_stopped``.
    """
    env = {**os.environ, STORE_ENV: str(Path(store_path).resolve())}
    argv = dashboard_command(Path(store_path).resolve(), port, host)
    print(f"Dashboard: http://{host}:{port}  (Ctrl+C to stop)", file=sys.stderr)
    return run_until_stopped(argv, env, grace_s=DASHBOARD_STOP_GRACE_S)


def dashboard_command(store: Path, port: int = 8501, host: str = "127.0.0.1") -> list[str]:
    """The ``streamlit run`` argv that serves the dashboard app over ``store``.

    The app is located, not imported: the library never imports the dashboard (data flows
    one way, corpus -> compare -> dashboard); it only starts it as a program. Headless, no
    usage statistics sent, bound to ``host`` (this machine only by default).
    """
    spec = importlib.util.find_spec("dashboard")
    if spec is None or not spec.submodule_search_locations:
        raise CompareError("the dashboard package is not installed: pip install -e .")
    app = Path(next(iter(spec.submodule_search_locations))) / "app.py"
    return [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
            "--server.address", str(host), "--server.port", str(int(port)),
            "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal",
            "--", "--store", str(store)]


def run_until_stopped(argv: Sequence[str], env: Mapping[str, str] | None = None, *,
                      grace_s: float = DASHBOARD_STOP_GRACE_S) -> int:
    """Run a server in the foreground and never leave it behind when asked to stop.

    The server runs in its own process group, so a terminal's Ctrl+C reaches this process
    only; SIGINT, SIGTERM and SIGHUP received here are passed on to the server once, a second
    one kills it, and a server still running ``grace_s`` seconds after the first is killed.

    Returns:
        The server's own exit code when it ends by itself; 0 when it stopped as asked; 1 when
        it had to be killed; 128 + N when signal N ended it otherwise (shell convention).
    """
    child = subprocess.Popen(list(argv), env=dict(env) if env is not None else None,
                             process_group=0)
    stops: list[int] = []

    def forward(signum: int, frame: object) -> None:
        stops.append(signum)
        if child.poll() is None:
            child.send_signal(signum if len(stops) == 1 else signal.SIGKILL)

    previous = _install(forward)
    try:
        code, killed = _wait(child, stops, grace_s)
    finally:
        _restore(previous)
        if child.poll() is None:  # an exception here (never expected): no server left behind
            child.kill()
            child.wait()
    if not stops:
        return code if code >= 0 else 128 - code
    if killed or len(stops) > 1:
        log.warning("the dashboard server did not stop within %gs and was killed", grace_s)
        return 1
    return 0


def _wait(child: subprocess.Popen[bytes], stops: list[int], grace_s: float) -> tuple[int, bool]:
    """Wait for ``child``; once a stop was asked for, at most ``grace_s`` more seconds."""
    deadline = None
    while True:
        if stops and deadline is None:
            deadline = time.monotonic() + grace_s
        try:
            # Short waits, so a stop asked for during one starts the grace period promptly.
            return child.wait(timeout=_POLL_S), False
        except subprocess.TimeoutExpired:
            if deadline is not None and time.monotonic() > deadline:
                child.kill()
                return child.wait(), True


def _install(handler: Callable[[int, object], None]) -> dict[int, object]:
    """Set ``handler`` for the stop signals (main thread only); the handlers it replaced."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, handler) for sig in _STOP_SIGNALS}


def _restore(previous: dict[int, object]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)  # type: ignore[arg-type]  # what signal.signal returned


__all__ = ["collect_sources", "describe_store", "open_dashboard", "run_demo", "run_until_stopped"]
