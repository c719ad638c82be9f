"""The real dashboard in a real headless Chromium (Playwright), over the fixture store.

Set ``PARALLAX_BROWSER_STORE=PATH`` to run it over a real analysis instead. Screenshots go to
``test-artifacts/`` (gitignored) so a person can look at them.
"""
from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_fixtures import build_store

from corpus.store import Store
from dashboard import launch

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
# Screenshots of a real analysis get their own names, so fixture shots are not overwritten.
PREFIX = "real-" if os.environ.get("PARALLAX_BROWSER_STORE") else ""
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]

pytestmark = [
    pytest.mark.real,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=(
        "no browser at /usr/bin/chromium: install it with "
        "`apt-get install -y chromium fonts-dejavu-core`")),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("PARALLAX_BROWSER_STORE")
    if chosen:
        return Path(chosen)
    return build_store(tmp_path_factory.mktemp("browser") / "s.db")


@pytest.fixture(scope="module")
def server(store_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PARALLAX_STORE"}
    proc = subprocess.Popen(launch.command(store_path, port=port, host="127.0.0.1"), cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"streamlit did not start: {out[-2000:]}")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


def test_side_by_side_classroom_and_csv_download(server: str, browser: object,
                                                  store_path: Path) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    with Store(store_path, readonly=True) as store:
        run = store.latest_run()
    assert run is not None
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1280, "height": 1600}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server)
    page.get_by_role("button", name="Read in article").first.wait_for()
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / f"{PREFIX}side-by-side.png"))

    page.get_by_role("button", name="Read in article").first.click()
    page.locator(".px-article").wait_for()
    expect(page.locator("mark.px-passage")).to_have_count(1)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"{PREFIX}reader.png"))

    for view, heading, file in (
        ("Coverage and omissions", "Left out, and reported only here", "coverage"),
        ("Word choice", "How each outlet attributes, hedges and intensifies", "word-choice"),
        ("Tone and sourcing", "Who each outlet quotes", "tone"),
        ("Events", "Who reported first, who followed", "events"),
    ):
        page.get_by_text(view, exact=True).click()
        page.get_by_text(heading, exact=True).wait_for()
        page.wait_for_timeout(1500)  # let plotly draw
        page.screenshot(path=str(ARTIFACTS / f"{PREFIX}{file}.png"))
    page.get_by_text("Side by side", exact=True).click()
    page.get_by_role("button", name="Read in article").first.wait_for()

    page.get_by_text("Classroom mode").click()
    page.get_by_text(re.compile(r"Fact 1 of \d+")).wait_for()
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    expect(page.locator('header[data-testid="stHeader"]')).to_be_hidden()
    assert "classroom=1" in page.url
    size = page.locator(".px-cell").first.evaluate("e => getComputedStyle(e).fontSize")
    assert float(size.removesuffix("px")) >= 28
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"{PREFIX}classroom-1.png"))
    page.get_by_role("button", name="Next >").click()
    page.get_by_text(re.compile(r"Fact 2 of \d+")).wait_for()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"{PREFIX}classroom-2.png"))

    with page.expect_download() as info:
        page.get_by_role("button", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text("utf-8"))))
    assert rows, "the CSV download is empty"
    assert {r["run_id"] for r in rows} == {run["run_id"]}
    assert rows[0]["model"] and rows[0]["params"].startswith("{")
    assert any(r["text"] for r in rows)
    context.close()
