"""The dashboard over the Istanbul demo (``parallax demo`` on ../shared/data, real models).

Builds the demo store once (a few minutes; set ``PARALLAX_DEMO_STORE=PATH`` to reuse one built
by ``parallax demo --no-dashboard --store PATH`` with the same three sources), then checks the
default outlets and the fact rows, and photographs the side by side and classroom mode in a
real Chromium (``test-artifacts/istanbul-*.png``, for a person to look at). With
``PARALLAX_DOCS_SCREENSHOTS=1`` it also writes the README's picture, ``docs/side-by-side.png``.
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from dashboard_fixtures import serve, wait_idle

from compare.runs import load_run, same_fact_threshold
from corpus.store import Store
from dashboard import grid as gr
from dashboard import tables as tb
from tests.shared_data import need

pytestmark = pytest.mark.real
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
DOCS_PICTURE = Path(__file__).resolve().parents[1] / "docs" / "side-by-side.png"
SEED_OUTLET = "Global Research"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("PARALLAX_DEMO_STORE")
    if chosen:
        return Path(chosen)
    from rich.console import Console

    from compare.workflows import run_demo

    sources = [str(need("ukraine")), str(need("istanbul/seed_article.jsonl")),
               str(need("istanbul/coverage_2022-03-28_31.jsonl"))]
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    code = run_demo(sources, path, open_dashboard=False, lite=False, port=0,
                    console=Console(file=io.StringIO()))
    assert code == 0
    return path


@pytest.fixture(scope="module")
def shown(store_path: Path) -> tuple[str, list[str], gr.FactGrid]:
    """The demo's event, its default outlets and their fact rows, as the dashboard picks them."""
    from corpus.outlets import load_registry

    with Store(store_path, readonly=True) as store:
        run = load_run(store)
    frames = run.frames
    event_id = tb.event_summary(frames["events"])["event_id"].iloc[0]
    registry = load_registry()
    outlets = gr.default_outlets(tb.event_outlets(frames["events"], event_id),
                                 gr.shared_counts(frames["topics"], event_id),
                                 dict(zip(registry["outlet"], registry["kind"], strict=True)),
                                 articles=gr.article_counts(frames["events"], event_id))
    grid = gr.event_grid(frames, event_id, threshold=same_fact_threshold(run.provenance))
    return event_id, outlets, gr.fact_grid(grid, outlets)


def _bilingual(grid: gr.FactGrid) -> int:
    """The index of the first fact a Russian and an English passage both report."""
    for index, row in enumerate(grid.rows):
        langs = {c.language for c in row.cells if c.state in (gr.REPORTS, gr.WEAKER)}
        if {"ru", "en"} <= langs:
            return index
    raise AssertionError("no fact reported in both Russian and English")


def test_the_seed_outlet_is_among_the_default_outlets(shown: tuple[str, list[str],
                                                                    gr.FactGrid]) -> None:
    _, outlets, grid = shown
    assert SEED_OUTLET in outlets and len(outlets) == 4
    assert "Lenta.ru" in outlets  # the Russian-language coverage is shown by default too
    assert len(grid.rows) >= 5


def test_rows_are_headed_by_a_shown_outlet_and_mix_languages(
        shown: tuple[str, list[str], gr.FactGrid]) -> None:
    _, outlets, grid = shown
    for row in grid.rows:
        assert row.heading.outlet in outlets and row.heading.state in (gr.REPORTS, gr.WEAKER)
        assert row.n_reporting >= 2
        for cell in row.cells:
            assert (cell.state == gr.NONE) != bool(cell.text)  # nothing empty that says more
    _bilingual(grid)


def _write_docs_picture(png: bytes) -> None:
    """The README's picture, reduced to 256 colours so the committed file stays small."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256)
    image.save(DOCS_PICTURE, optimize=True)
    assert DOCS_PICTURE.stat().st_size < 400_000


def test_screenshots_of_the_istanbul_side_by_side_and_classroom(
        store_path: Path, shown: tuple[str, list[str], gr.FactGrid], browser: Any) -> None:
    from playwright.sync_api import expect

    event_id, outlets, grid = shown
    ARTIFACTS.mkdir(exist_ok=True)
    fact = _bilingual(grid) + 1
    with serve(store_path) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 1600})
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(url)
        page.locator(".px-cell").first.wait_for()
        wait_idle(page)
        expect(page.locator(".px-outlet-head").first).to_be_visible()
        assert page.locator(".px-lang", has_text="RU").count() >= 1
        assert page.locator(".px-lang", has_text="EN").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "istanbul-side-by-side.png"))
        if os.environ.get("PARALLAX_DOCS_SCREENSHOTS") == "1":
            # down to the second fact's number: the picker and the whole first fact row
            second = page.locator(".px-num").nth(1).bounding_box()
            assert second is not None
            _write_docs_picture(page.screenshot(clip={"x": 0, "y": 0, "width": 1280,
                                                      "height": second["y"] - 12}))
        names = ",".join(quote(o) for o in outlets)
        page.goto(f"{url}/?event={event_id}&outlets={names}&fact={fact}&classroom=1")
        page.get_by_text(f"Fact {fact} of ").wait_for()
        wait_idle(page)
        langs = page.locator(".px-cell:not(.px-closest) .px-lang").all_text_contents()
        assert "RU" in langs and "EN" in langs
        page.screenshot(path=str(ARTIFACTS / "istanbul-classroom.png"))
        # A long fact list: the outlet names stand above the heatmap and again below it.
        page.goto(f"{url}/?event={event_id}&outlets={names}&view=coverage")
        page.locator(".js-plotly-plot .xaxislayer-above .xtick text").first.wait_for()
        wait_idle(page)
        names_drawn = page.evaluate(
            "name => [...document.querySelectorAll('.js-plotly-plot text')]"
            ".filter(e => e.textContent === name).length", SEED_OUTLET)
        assert names_drawn == 2
        page.screenshot(path=str(ARTIFACTS / "istanbul-coverage.png"))
        context.close()
