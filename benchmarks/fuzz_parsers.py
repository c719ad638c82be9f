"""Long fuzzing run of every parser that reads outside input, with Hypothesis.

Each target is one property of ``tests/test_fuzz_properties.py`` (the same checks as the test
suite, with fresh random examples instead of the suite's fixed ones: among them stacked content
encodings, special files and long paths), plus ``collect``, which
sends fuzzed feed, OPML, JSONL, CSV, text and HTML files through a whole collection into a real
store. Targets share the ``--minutes`` budget equally. Every call runs under a wall-clock bound
(``--call-seconds``): a call that outlives it is a finding ("stalled"). A finding is any
property violation or unexpected exception, counted once per kind, with Hypothesis's shrunk
example.

Run: .venv/bin/python benchmarks/fuzz_parsers.py [--minutes 10] [--call-seconds 10]
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from _test_helpers import load_test_module
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.collect import CollectSettings, collect
from corpus.fetch import FetchSettings, HttpFetcher
from corpus.store import Store

# test_fuzz_properties imports fuzz_strategies by its top-level name: load that one first.
fs = load_test_module("fuzz_strategies")
props = load_test_module("test_fuzz_properties")

# Examples per Hypothesis run; each run starts from a fresh random seed.
BATCH = 200
# Links found in fuzzed feeds are "fetched" through the real fetcher, whose address check
# refuses them (every host resolves to a private address): no network, the failure path runs.
_NO_NETWORK = HttpFetcher(FetchSettings(timeout_s=1, retries=0, per_host_interval_s=0),
                          resolver=lambda host, port: ["10.0.0.1"])


class Stalled(Exception):
    """A single call outlived the per-call bound."""


@dataclass
class Target:
    """One property under fuzzing and what it found."""

    name: str
    check: Callable[..., None]
    strategies: tuple[st.SearchStrategy[Any], ...]
    executions: int = 0
    runs: int = 0
    seconds: float = 0.0
    findings: dict[str, str] = field(default_factory=dict)


def _bounded(target: Target, call_seconds: float) -> Callable[..., None]:
    """``target.check`` counted, and interrupted by SIGALRM after ``call_seconds``."""
    def expire(signum: int, frame: FrameType | None) -> None:
        raise Stalled(f"a single call ran longer than {call_seconds:g}s")

    def run(example: tuple[Any, ...]) -> None:
        target.executions += 1
        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, call_seconds)
        try:
            target.check(*example)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    return run


def _collect_check(files: list[tuple[str, bytes]]) -> None:
    """Whole collections of fuzzed files: the run ends, every item is recorded, one line each."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n, (suffix, data) in enumerate(files):
            path = Path(tmp) / f"f{n}{suffix}"
            path.write_bytes(data)
            paths.append(str(path))
        with Store(Path(tmp) / "s.db") as store:
            report = collect(paths, store, CollectSettings(), fetcher=_NO_NETWORK)
            recorded = len(store.items(run_id=report.run_id))
            assert recorded == len(report.items) >= len(paths) or not paths
            for item in report.items:
                assert "\n" not in item.line()
                assert "internal error" not in item.reason, item.line()


_FILES = st.lists(st.one_of(
    st.tuples(st.sampled_from([".xml", ".rss", ".opml"]), fs.xml_documents()),
    st.tuples(st.sampled_from([".xml", ".opml"]), fs.feed_documents().map(lambda d: d[0])),
    st.tuples(st.just(".jsonl"), fs.jsonl_files()),
    st.tuples(st.just(".json"), fs.jsonl_files()),
    st.tuples(st.just(".csv"), fs.csv_files()),
    st.tuples(st.sampled_from([".txt", ".md"]), st.one_of(
        st.binary(max_size=300), fs.article_texts().map(lambda t: t.encode("latin-1", "replace")),
        fs.urls().map(lambda u: u.encode("utf-8", "replace")))),
    st.tuples(st.just(".html"), fs.html_documents()),
), max_size=4)


def targets() -> list[Target]:
    """Every fuzzing target: the property tests' checks, with their strategies, and collect."""
    def inner(test: Any) -> Callable[..., None]:
        return test.hypothesis.inner_test  # type: ignore[no-any-return]

    return [
        Target("feeds+opml (any bytes)",
               inner(props.test_feed_sniffing_and_parsing_never_raise_anything_but_feed_error),
               (fs.xml_documents(),)),
        Target("feeds+opml (well-formed, mutated)",
               inner(props.test_well_formed_feeds_parse_and_internal_subsets_are_always_refused),
               (fs.feed_documents(),)),
        Target("jsonl records", inner(props.test_jsonl_reader_accounts_for_every_line),
               (fs.jsonl_files(),)),
        Target("csv records",
               inner(props.test_csv_reader_raises_only_corpus_errors_and_numbers_every_record),
               (fs.csv_files(),)),
        Target("urls + fetch address check",
               inner(props.test_url_handling_never_raises_unexpectedly), (fs.urls(),)),
        Target("ipv6 wrappings", inner(props.test_private_ipv4_is_private_in_every_ipv6_wrapping),
               (st.ip_addresses(v=4).filter(lambda ip: not ip.is_global),
                st.sampled_from(["6to4", "nat64", "mapped", "compatible"]))),
        Target("page extraction", inner(props.test_page_extraction_raises_only_extract_error),
               (fs.html_documents(), st.sampled_from(["", "text/html",
                                                      "text/html; charset=utf-7"]))),
        Target("passage offsets", inner(props.test_passage_offsets_are_always_exact),
               (fs.article_texts(),)),
        Target("stacked content encodings",
               inner(props.test_stacked_encodings_decode_in_bounded_pieces_or_fail_cleanly),
               (fs.encoded_bodies(),)),
        Target("special files (collect)",
               inner(props.test_special_files_fail_as_one_item_each_and_never_hang),
               (fs.special_files(),)),
        Target("long paths", inner(props.test_long_paths_are_one_error_never_an_os_error),
               (fs.long_paths(),)),
        Target("collect (whole runs)", _collect_check, (_FILES,)),
    ]


def _finding(exc: BaseException) -> tuple[str, str]:
    """A finding's kind (for counting once) and what to show: Hypothesis's own report."""
    kind = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"
    notes = "\n".join(getattr(exc, "__notes__", []))
    return kind, notes[:2000]


def fuzz(target: Target, seconds: float, call_seconds: float) -> None:
    """Run ``target`` with fresh examples until ``seconds`` have passed."""
    check = _bounded(target, call_seconds)
    deadline = time.monotonic() + seconds
    start = time.monotonic()
    while time.monotonic() < deadline:
        test = settings(max_examples=BATCH, deadline=None, database=None, derandomize=False,
                        suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
                        print_blob=False)(given(st.tuples(*target.strategies))(check))
        target.runs += 1
        try:
            test()
        except Exception as exc:  # noqa: BLE001  # every failure is a finding to report
            kind, shown = _finding(exc)
            target.findings.setdefault(kind, shown)
    target.seconds = time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="total time for all targets")
    parser.add_argument("--call-seconds", type=float, default=10.0,
                        help="wall-clock bound on one parser call")
    parser.add_argument("--only", default="", help="run only targets whose name contains this")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # parsers log every broken input; the table is the output
    chosen = [t for t in targets() if args.only in t.name]
    share = args.minutes * 60 / len(chosen)
    print(f"Fuzzing {len(chosen)} targets, {share:.0f} s each, per-call bound "
          f"{args.call_seconds:g} s", flush=True)
    for target in chosen:
        fuzz(target, share, args.call_seconds)
        print(f"{target.name:36s} {target.executions:8d} executions "
              f"({target.executions / max(target.seconds, 1e-9):6.0f}/s)  "
              f"{len(target.findings)} findings", flush=True)
        for kind, shown in target.findings.items():
            print(f"    FINDING {kind}\n" + "\n".join("      " + ln for ln in shown.splitlines()))
    total = sum(t.executions for t in chosen)
    found = sum(len(t.findings) for t in chosen)
    print(f"Total: {total} executions, {found} findings", flush=True)
    if args.json:
        args.json.write_text(json.dumps([{
            "target": t.name, "executions": t.executions, "seconds": round(t.seconds, 1),
            "findings": t.findings} for t in chosen], indent=2))
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
