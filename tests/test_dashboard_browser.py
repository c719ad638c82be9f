"""The real dashboard in a real headless Chromium (Playwright), over the fixture store.

Screenshots go to ``test-artifacts/`` (gitignored) so a person can look at them; the Istanbul
demo's are taken by ``test_dashboard_demo.py``.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from dashboard_fixtures import (
    CHROMIUM,
    EVENT_ID,
    HOSTILE_OUTLET,
    ISTANBUL,
    LENTA,
    RUN_ID,
    build_store,
    serve,
    wait_idle,
)

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.real,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=(
        "no browser at /usr/bin/chromium: install it with "
        "`apt-get install -y chromium fonts-dejavu-core`")),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(build_store(tmp_path_factory.mktemp("browser") / "s.db")) as url:
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1600},
                                  accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    yield tab
    context.close()


def open_url(page: Any, url: str) -> None:
    page.goto(url)
    page.locator(".px-cell").first.wait_for()
    wait_idle(page)


def test_side_by_side_reader_views_and_download(server: str, page: Any) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    open_url(page, server)
    expect(page.locator(".px-weaker")).to_have_count(1)
    expect(page.locator(".px-closest")).to_have_count(1)
    expect(page.locator('.px-cell[lang="ru"] .px-lang')).to_have_count(5)
    page.screenshot(path=str(ARTIFACTS / "side-by-side.png"))
    page.get_by_role("button", name="Read in article").first.click()
    page.locator(".px-article").wait_for()
    expect(page.locator("mark.px-passage")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "reader.png"))

    page.get_by_text("Coverage and omissions", exact=True).click()
    page.get_by_text("Left out, and reported only here", exact=True).wait_for()
    page.locator(".js-plotly-plot .xaxislayer-above .xtick text").first.wait_for()
    wait_idle(page)
    # The outlet names stand above the heatmap, and quotes are shown as quotes.
    names_top = page.evaluate("document.querySelector('.xaxislayer-above .xtick text')"
                              ".getBoundingClientRect().top")
    plot_top = page.evaluate("document.querySelector('.heatmaplayer')"
                             ".getBoundingClientRect().top")
    assert names_top < plot_top
    labels = page.locator(".yaxislayer-above .ytick text").all_text_contents()
    assert labels and not any("&quot;" in t or "&#" in t for t in labels)
    page.screenshot(path=str(ARTIFACTS / "coverage.png"))
    for view, heading, file in (
        ("Word choice", "How each outlet attributes, hedges and intensifies", "word-choice"),
        ("Tone and sourcing", "Who each outlet quotes", "tone"),
        ("Events", "Who reported first, who followed", "events"),
    ):
        page.get_by_text(view, exact=True).click()
        page.get_by_text(heading, exact=True).wait_for()
        wait_idle(page)
        page.wait_for_timeout(1000)  # let plotly draw
        page.screenshot(path=str(ARTIFACTS / f"{file}.png"))

    page.get_by_text("Side by side", exact=True).click()
    page.get_by_role("button", name="Read in article").first.wait_for()
    with page.expect_download() as info:
        page.get_by_role("button", name="CSV", exact=True).click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text("utf-8"))))
    assert len(rows) == 6 and {r["run_id"] for r in rows} == {RUN_ID}
    assert list(rows[0])[:6] == ["run_id", "event_id", "event_label", "fact_id", "fact_label",
                                 "n_outlets"]
    assert dict(ISTANBUL[LENTA][4])["crimea"] in {r[LENTA] for r in rows}  # Cyrillic intact
    assert list(rows[0])[-1] == "told_differently"
    assert any(r["told_differently"].endswith("differ on the number") for r in rows)


def test_classroom_says_once_that_one_outlet_tells_the_toll_differently(server: str,
                                                                       page: Any) -> None:
    from playwright.sync_api import expect

    open_url(page, f"{server}/?event={EVENT_ID}&outlets=Kyiv%20Independent,{LENTA},Reuters"
                   "&view=side-by-side&differ=1&classroom=1&fact=1")
    expect(page.get_by_text("Fact 1 of ")).to_be_visible()
    expect(page.locator(".px-differ")).to_have_text([
        (f"Told differently by The Kyiv Independent, against {LENTA} and Reuters: differ on "
        "the number")])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "classroom-told-differently.png"))


def test_deep_link_opens_fact_three_and_arrow_keys_move(server: str, page: Any) -> None:
    from playwright.sync_api import expect

    open_url(page, f"{server}/?event={EVENT_ID}&outlets=TASS,Al%20Jazeera,Reuters"
                   "&view=side-by-side&fact=3&classroom=1")
    expect(page.get_by_text("Fact 3 of 5")).to_be_visible()
    expect(page.locator(".px-outlet-head")).to_have_text(["TASS", "Al Jazeera", "Reuters"])
    expect(page.locator(".px-quote")).to_contain_text("Erdogan")
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    size = page.locator(".px-cell").first.evaluate("e => getComputedStyle(e).fontSize")
    assert float(size.removesuffix("px")) >= 28
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "classroom-3.png"))
    page.keyboard.press("ArrowRight")
    expect(page.get_by_text("Fact 4 of 5")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_text("Fact 3 of 5")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_text("Fact 2 of 5")).to_be_visible()
    wait_idle(page)
    assert "fact=2" in page.url and "classroom=1" in page.url
    link = page.locator('[data-testid="stCode"]').last.inner_text()
    assert link.strip().startswith(server) and "fact=2&classroom=1" in link
    # The copied link opens the same fact in a new browser tab.
    other = page.context.new_page()
    open_url(other, link.strip())
    expect(other.get_by_text("Fact 2 of 5")).to_be_visible()


def test_a_broken_link_shows_one_notice(server: str, page: Any) -> None:
    from playwright.sync_api import expect

    open_url(page, f"{server}/?event=ev-gone&outlets=Nobody&fact=x&classroom=2")
    expect(page.locator(".px-notice")).to_have_count(1)
    expect(page.locator(".px-notice")).to_contain_text("This link could not be opened exactly")
    expect(page.get_by_text("Facts 1 to 5 of 6").first).to_be_visible()


def test_hostile_names_and_queries_render_as_text(server: str, page: Any) -> None:
    from playwright.sync_api import expect

    query = "[q](javascript:alert(3)) ![p](http://evil.example/s.png) :red[q] $y^2$"
    open_url(page, f"{server}/?event={EVENT_ID}&outlets=Reuters,{quote(HOSTILE_OUTLET)}")
    expect(page.locator(".px-outlet-head").nth(1)).to_have_text(HOSTILE_OUTLET)
    expect(page.get_by_text(":red[red] $x^2$ **bold**.")).to_have_count(1)
    page.get_by_text("Search", exact=True).click()
    box = page.get_by_label("Search passages (case-insensitive)")
    box.fill(query)
    box.press("Enter")
    expect(page.locator(".px-run").last).to_contain_text(re.compile(r"0 passages contain"))
    wait_idle(page)
    expect(page.locator(".px-run").last).to_contain_text(query)
    main = page.locator('[data-testid="stMain"], [data-testid="stSidebar"]')
    for selector in ('img[src*="evil"]', 'a[href^="javascript"]', ".katex", "iframe",
                     "script:not([src])", "b"):
        assert main.locator(selector).count() == 0, selector
    tag = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"] '
                       f'[aria-label="{HOSTILE_OUTLET}"]').last
    expect(tag).to_have_count(1)
