"""Hardening, round 2 (issue 26): ways to hang, exhaust or silently drop, found from outside.

Each test names the item of issue 26 it proves. Peak memory and wall time are measured on a
real ``parallax`` process (its peak resident size, through a small wrapper whose only child
it is), with generous margins: the bounds are the issue's, not benchmarks.
"""
from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from corpus.errors import FetchError
from corpus.fetch import FetchSettings, HttpFetcher
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


def _rss(links: list[str]) -> bytes:
    items = "".join(f"<item><title>Entry {n}</title>" + (f"<link>{link}</link>" if link else "")
                    + "</item>" for n, link in enumerate(links, 1))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>'
            f"{items}</channel></rss>").encode()


def test_f4_feed_entries_without_an_http_link_are_failed_items(tmp_path: Path,
                                                               http_server: str) -> None:
    """F4: entries linking to ftp:, javascript:, file: or nothing were dropped with only a
    WARNING each; status did not list them and --strict exited 0."""
    bad = ["ftp://files.example/a", "javascript:alert(1)", "file:///etc/passwd", ""]
    bad += ["javascript:void(0)"] * 50
    feed = tmp_path / "feed.xml"
    feed.write_bytes(_rss([f"{http_server}/meridian-herald.html", *bad]))
    db = str(tmp_path / "s.db")
    done = subprocess.run([sys.executable, "-m", "compare.cli", "collect", str(feed), "--store",
                           db, "--allow-private", "--strict"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 stored" in done.stdout and f"{len(bad)} failed" in done.stdout
    assert "WARNING" not in done.stderr
    lines = failure_lines(done.stderr)
    assert len(lines) == len(bad)
    assert any(f"{feed}#2 [feed]" in ln and "ftp://files.example/a" in ln for ln in lines)
    assert any(f"{feed}#5 [feed]" in ln and "no link" in ln for ln in lines)
    status = subprocess.run([sys.executable, "-m", "compare.cli", "status", "--store", db],
                            capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert f"{len(bad)} failed items:" in status.stdout
    listed = [ln for ln in status.stdout.splitlines() if ln.startswith(f"  {feed}#")]
    assert len(listed) == len(bad)


def _gzip_of_zeros(megabytes: int) -> bytes:
    """A valid gzip member of ``megabytes`` MiB of zeros, built without compressing them: each
    MiB is flushed to a byte boundary with a reset window, so every MiB compresses the same."""
    block = b"\0" * (1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    one = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + one * megabytes + end + struct.pack("<II", crc, (megabytes << 20) % 2**32)


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A quiet loopback server running ``handler`` in a thread; yields its base URL."""
    handler.log_message = lambda self, *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def bomb_server() -> Iterator[str]:
    """A loopback server answering with compression bombs (1 GiB of zeros once decoded)."""
    single = _gzip_of_zeros(1024)  # about 1 MB on the wire
    double = gzip.compress(single)  # about 2.5 kB on the wire, as in the issue
    page = b"<html><body><article><p>" + b"A sentence of the page. " * 40 + b"</p></article>"
    routes = {
        "/double.html": ("gzip, gzip", double),
        "/triple.html": ("gzip, gzip, gzip", gzip.compress(double)),
        "/single.html": ("gzip", single),
        "/fine.html": ("gzip, gzip", gzip.compress(gzip.compress(page))),
        "/deflate.html": ("deflate", zlib.compress(page)),
        "/brotli.html": ("br", b"not really brotli"),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            encoding, body = routes.get(self.path, ("", b""))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html")
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with _serving(Handler) as url:
        yield url


def test_f1_stacked_gzip_bombs_stop_at_the_cap(tmp_path: Path, bomb_server: str) -> None:
    """F1: 1,831 bytes of ``gzip, gzip`` peaked at 2.28 GB before "page larger than 10 MB
    cap": the cap was checked after each decoded chunk, and stacked encodings multiply."""
    urls = [f"{bomb_server}/{name}.html" for name in ("double", "triple", "single")]
    run = measured("collect", *urls, "--store", str(tmp_path / "s.db"), "--allow-private")
    assert run["rc"] == 0, run["err"]
    assert run["peak_mb"] < 600 and run["seconds"] < 60, (run["peak_mb"], run["seconds"])
    lines = failure_lines(run["err"])
    assert len(lines) == 3, run["err"]
    (double,), (triple,), (single,) = ([ln for ln in lines if url + " " in ln] for url in urls)
    assert "page larger than 10 MB cap" in double and "page larger than 10 MB cap" in single
    assert "3 stacked content encodings" in triple


def test_f1_honest_encodings_still_decode(bomb_server: str) -> None:
    settings = FetchSettings(timeout_s=5, retries=0, per_host_interval_s=0, allow_private=True,
                             respect_robots=False)
    with HttpFetcher(settings) as fetcher:
        for name in ("fine", "deflate"):
            body = fetcher.get(f"{bomb_server}/{name}.html").body
            assert body.startswith(b"<html>") and body.count(b"A sentence") == 40
        with pytest.raises(FetchError, match="content encoding 'br' is not supported"):
            fetcher.get(f"{bomb_server}/brotli.html")


# Two processes start collecting at the same moment: each marks itself ready in a folder and
# waits (bounded) for the other before collecting its source into the shared store.
_COLLECT_AT_ONCE = r"""
import sys, time
from pathlib import Path
from corpus.collect import collect
from corpus.store import Store
source, store, ready, name = sys.argv[1:5]
(Path(ready) / name).touch()
deadline = time.monotonic() + 60
while len(list(Path(ready).iterdir())) < 2 and time.monotonic() < deadline:
    time.sleep(0.005)
with Store(store) as db:
    collect([source], db)
"""


def _dup_sources(folder: Path) -> list[Path]:
    """dupX and dupY: Y repeats 150 of X's texts word for word and 150 with the end reworded,
    each under its own id, in the same order, so two runs at once meet each pair together."""
    import random

    rng = random.Random(26)
    vocabulary = [f"{rng.choice('bcdfgklmnprstvz')}{rng.choice('aeiou')}{n}" for n in range(5000)]
    texts = [" ".join(rng.choice(vocabulary) for _ in range(120)) for _ in range(300)]
    paths = []
    for side in ("X", "Y"):
        rows = []
        for n, text in enumerate(texts):
            if side == "Y" and n >= 150:  # a near copy: the last five words rewritten
                text = " ".join(text.split()[:-5] + ["reworded", "ending", "of", "the", "copy"])
            rows.append({"id": f"{side}{n}", "outlet": f"Outlet {side}", "title": f"Story {n}",
                         "text": text})
        paths.append(folder / f"dup{side}.jsonl")
        paths[-1].write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return paths


def _links(db: Path) -> dict[str, int]:
    with Store(db, readonly=True) as store:
        articles = store.articles()
    kinds = [a.duplicate_kind for a in articles if a.duplicate_of]
    return {"articles": len(articles), "exact": kinds.count("exact"), "near": kinds.count("near")}


def test_f5_two_collects_at_once_link_every_duplicate(tmp_path: Path) -> None:
    """F5: dupX and dupY collected at once kept 43-89 of 150 exact links and no near link: the
    hash lookup ran outside the write transaction and each run loaded the near-duplicate
    index once. Sequential and concurrent collections must link the same 300."""
    x, y = _dup_sources(tmp_path)
    one_after_other = tmp_path / "seq.db"
    for source in (x, y):
        with Store(one_after_other) as store:
            from corpus.collect import collect

            collect([str(source)], store)
    at_once = tmp_path / "once.db"
    ready = tmp_path / "ready"
    ready.mkdir()
    runs = [subprocess.Popen([sys.executable, "-c", _COLLECT_AT_ONCE, str(source), str(at_once),
                              str(ready), source.stem], cwd=ROOT, stderr=subprocess.PIPE)
            for source in (x, y)]
    for run in runs:
        _, err = run.communicate(timeout=240)
        assert run.returncode == 0, err.decode()
    expected = {"articles": 600, "exact": 150, "near": 150}
    assert _links(one_after_other) == expected
    assert _links(at_once) == expected


def test_status_lists_each_source_once_with_its_latest_outcome(tmp_path: Path) -> None:
    """Also seen in issue 26: status listed a URL's failure again for every run that
    retried it; a failure mended by a later run was still listed."""
    from compare.workflows import describe_store
    from corpus.records import ItemOutcome

    url = "https://news.example/a"
    with Store(tmp_path / "s.db") as store:
        for n, items in enumerate((
            [ItemOutcome(url, "failed", "fetch", "HTTP 503 Service Unavailable"),
             ItemOutcome("b.txt", "failed", "read", "no such file or folder: b.txt")],
            [ItemOutcome(url, "failed", "fetch", "timed out after 20s waiting for the server"),
             ItemOutcome("b.txt", "stored", "store", "", "b1")],
            [ItemOutcome("c.jsonl#2", "failed", "read", "line is not valid JSON")],
        )):
            run = store.start_run("collect", {}, run_id=f"collect-{n}")
            for item in items:
                store.record_item(run, item)
            store.finish_run(run, {})
        shown = describe_store(store).split("\n\n")[-1].splitlines()
    assert shown == ["2 failed items:",
                     f"  {url} [fetch]: timed out after 20s waiting for the server",
                     "  c.jsonl#2 [read]: line is not valid JSON"]


@pytest.fixture
def holding_server() -> Iterator[tuple[str, threading.Event]]:
    """A loopback server whose /hold answers only once the test lets it (at most 25 s)."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/hold":
                release.wait(timeout=25)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with _serving(Handler) as url:
        try:
            yield url, release
        finally:
            release.set()


def test_collect_shows_each_failure_as_it_happens(tmp_path: Path,
                                                  holding_server: tuple[str, threading.Event]
                                                  ) -> None:
    """Also seen in issue 26: collect printed failures only when it finished, so a long run
    showed nothing and a stopped one nothing at all."""
    import queue

    url, release = holding_server
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{broken\n", encoding="utf-8")
    run = subprocess.Popen([sys.executable, "-m", "compare.cli", "collect", str(bad),
                            f"{url}/hold", "--store", str(tmp_path / "s.db"), "--allow-private"],
                           cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(ln) for ln in run.stderr or ()],
                              daemon=True)
    reader.start()
    try:
        first = lines.get(timeout=20)  # while the second source is still being fetched
        assert first.startswith(f"failed  {bad}#1 [read]"), first
        assert run.poll() is None
    finally:
        release.set()
        run.wait(timeout=60)  # stderr is the reader's alone: communicate() would take lines
    reader.join(timeout=10)
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    assert any(ln.startswith(f"failed  {url}/hold [fetch]: HTTP 404") for ln in rest), rest


def test_collect_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    """Collection progress on the terminal: items done, stored, failed and the rate."""
    import pty
    import select
    import time

    records = tmp_path / "r.jsonl"
    records.write_text("".join(json.dumps({"id": f"r{n}", "outlet": "Alpha",
                                           "text": f"Story number {n}."}) + "\n"
                               for n in range(3)) + "{broken\n", encoding="utf-8")
    master, terminal = pty.openpty()
    run = subprocess.Popen([sys.executable, "-m", "compare.cli", "collect", str(records),
                            "--store", str(tmp_path / "s.db")], cwd=ROOT, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=terminal,
                           env={**os.environ, "TERM": "xterm", "COLUMNS": "120"})
    os.close(terminal)
    shown = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if not ready:
            if run.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal's other end closed: the run is over
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    run.communicate(timeout=60)
    text = shown.decode("utf-8", errors="replace")
    assert "4 done" in text and "3 stored" in text and "1 failed" in text, text
    assert "items/s" in text, text
