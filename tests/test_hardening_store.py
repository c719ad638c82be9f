"""The store and the status report under hostile conditions (issue 9, items 6, 11, 12, 14, 15):
files that are not databases, odd paths, two writers at once, wrapped private addresses, and
the exact shape of ``parallax status``."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from compare.workflows import describe_store
from corpus.errors import FetchError, StoreError
from corpus.fetch import FetchSettings, HttpFetcher, address_kind
from corpus.records import Article, ItemOutcome
from corpus.store import Store

ROOT = Path(__file__).resolve().parents[1]


def _article(n: int, **kw: object) -> Article:
    base = {"article_id": f"a{n}", "source_id": f"s{n}", "outlet": "Outlet",
            "url": f"https://x.org/{n}", "title": f"T{n}", "text": f"Text {n}",
            "content_hash": f"h{n}"}
    base.update(kw)
    return Article(**base)  # type: ignore[arg-type]


def _parallax(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compare.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=False)


# -- item 6: a file that is not a database -------------------------------------------------------
@pytest.mark.parametrize("readonly", [False, True])
def test_item6_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path,
                                                               readonly: bool) -> None:
    junk = tmp_path / "notes.db"
    junk.write_bytes(b"these are my notes, not a database\n" * 200)
    with pytest.raises(StoreError, match=r"notes\.db.*not a database"), \
            Store(junk, readonly=readonly) as store:
        store.articles()
    assert junk.read_bytes() == b"these are my notes, not a database\n" * 200


def test_item6_status_on_a_non_database_is_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_bytes(b"these are my notes, not a database\n" * 200)
    done = _parallax("status", "--store", str(junk))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "notes.db" in line and "not a database" in line


def test_item6_a_damaged_store_fails_every_entry_point_with_store_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        for n in range(200):
            store.add_article(_article(n, text=f"Text {n} " + "word " * 200))
        run = store.start_run("collect", {})
        store.record_item(run, ItemOutcome("x", "stored"))
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xa5" * (len(data) - 4096)  # keep the header page, destroy the rest
    path.write_bytes(bytes(data))
    opened = 0
    for readonly in (True, False):
        try:
            store = Store(path, readonly=readonly)
        except StoreError:
            continue
        opened += 1
        with store:
            _every_read_fails(store)
            with pytest.raises(StoreError, match="s.db"):
                store.add_article(_article(999))
    assert opened  # the header page is intact, so at least one open gets as far as reading


def _every_read_fails(store: Store) -> None:
    for call in (store.articles, lambda: store.has_article("a1"), store.runs,
                 lambda: store.items(), lambda: store.find_by_hash("h1"),
                 lambda: list(store.minhashes()), store.article_count):
        with pytest.raises(StoreError, match="s.db"):
            call()


# -- item 11: the read-only URI is quoted --------------------------------------------------------
@pytest.mark.parametrize("name", ["we?ird.db", "odd#name.db", "per%41cent.db", "a?mode=rw#x%2.db"])
def test_item11_readonly_store_opens_the_named_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with Store(path) as store:
        store.add_article(_article(1))
    with Store(path, readonly=True) as readonly:
        assert [a.article_id for a in readonly.articles()] == ["a1"]
        with pytest.raises(StoreError):
            readonly.add_article(_article(2))
    # only the store and its own WAL companions exist: no other file was opened or created
    assert {p.name for p in tmp_path.iterdir()} <= {name, f"{name}-wal", f"{name}-shm"}


# -- item 12: two writers at once ----------------------------------------------------------------
_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from corpus.records import Article, ItemOutcome
    from corpus.store import Store
    tag, path, go, n = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
    with Store(path) as store:
        run = store.start_run("collect", {"writer": tag})
        while not go.exists():
            time.sleep(0.005)
        for i in range(n):
            store.add_article(Article(article_id=f"{tag}{i:04d}", source_id=tag, outlet=tag,
                                      url="", title="t", text=f"{tag} {i}"))
            store.record_item(run, ItemOutcome(f"{tag}{i}", "stored"))
""")


def test_item12_concurrent_writers_never_share_a_seq(tmp_path: Path) -> None:
    path, go, n = tmp_path / "s.db", tmp_path / "go", 500
    Store(path).close()
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, tag, str(path), str(go), str(n)],
                                cwd=ROOT) for tag in ("a", "b")]
    time.sleep(1.0)  # both have opened the store and wait for the signal
    go.touch()
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    with Store(path, readonly=True) as store:
        rows = store._query("SELECT article_id, seq FROM articles ORDER BY seq")
        items = store.items()
    seqs = [int(r[1]) for r in rows]
    assert len(seqs) == 2 * n
    assert len(set(seqs)) == 2 * n, f"{2 * n - len(set(seqs))} seq values shared"
    for tag in ("a", "b"):  # each writer's articles keep the order it stored them in
        own = [str(r[0]) for r in rows if str(r[0]).startswith(tag)]
        assert own == sorted(own)
    assert len(items) == 2 * n and not items.duplicated(["run_id", "seq"]).any()


# -- item 14: IPv6 wrappings of private IPv4 addresses -------------------------------------------
@pytest.mark.parametrize(("address", "kind"), [
    ("2002:7f00:1::", "loopback"),            # 6to4 of 127.0.0.1
    ("2002:a00:1:1::1", "private"),           # 6to4 of 10.0.0.1
    ("2002:c0a8:101::", "private"),           # 6to4 of 192.168.1.1
    ("2002:a9fe:a9fe::", "link-local"),       # 6to4 of 169.254.169.254 (cloud metadata)
    ("64:ff9b::7f00:1", "loopback"),          # NAT64 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", "link-local"),     # NAT64 of 169.254.169.254
    ("::ffff:10.0.0.1", "private"),           # IPv4-mapped
    ("::127.0.0.1", "loopback"),              # IPv4-compatible (deprecated)
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),  # Teredo, client 127.0.0.1
])
def test_item14_ipv6_wrapping_a_private_ipv4_is_not_public(address: str, kind: str) -> None:
    assert address_kind(address).startswith(kind)


def test_item14_public_addresses_stay_public() -> None:
    assert address_kind("2002:808:808::") == ""   # 6to4 of 8.8.8.8
    assert address_kind("::ffff:8.8.8.8") == ""
    assert address_kind("2606:4700::1111") == ""


def test_item14_fetcher_refuses_a_host_resolving_to_6to4_loopback() -> None:
    fetcher = HttpFetcher(FetchSettings(retries=0, per_host_interval_s=0, respect_robots=False),
                          resolver=lambda host, port: ["2002:7f00:1::"])
    with pytest.raises(FetchError, match="refused: .*loopback.*127.0.0.1"):
        fetcher.get("http://news.example/article")


# -- item 15: the exact shape of `parallax status` -----------------------------------------------
def test_item15_status_puts_every_failure_on_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        store.add_article(_article(1))
        run = store.start_run("collect", {}, run_id="collect-1")
        store.record_item(run, ItemOutcome("a.xml", "failed", "feed",
                                           "feed refused: no genuine news feed needs them"))
        store.record_item(run, ItemOutcome("http://news.invalid/1", "failed", "fetch",
                                           "host not found: news.invalid (DNS lookup failed)"))
        store.record_item(run, ItemOutcome("odd\nname.txt", "failed", "read",
                                           "first line\nsecond line\r\x1b[2J"))
        store.finish_run(run, {"stored": 1, "failed": 3})
        shown = describe_store(store)
    assert shown.splitlines() == [
        f"Store {path}: 1 article",
        "      1  Outlet",
        "0 of them are duplicates linked to their original.",
        "",
        "Runs:",
        "  collect-1 (collect): 1 stored, 3 failed",
        "",
        "3 failed items:",
        "  a.xml [feed]: feed refused: no genuine news feed needs them",
        "  http://news.invalid/1 [fetch]: host not found: news.invalid (DNS lookup failed)",
        "  odd\\nname.txt [read]: first line\\nsecond line\\r\\x1b[2J",
    ]
    done = _parallax("status", "--store", str(path))
    assert done.returncode == 0 and done.stdout == shown + "\n"
