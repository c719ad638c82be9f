"""The dashboard, driven headlessly with Streamlit's AppTest over a small fixture store."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from dashboard_fixtures import EVENT_ID, HOSTILE_OUTLET, RUN_ID, TOPIC_LABELS, build_store
from streamlit.testing.v1 import AppTest

from corpus.store import Store
from dashboard import data, launch, markup, tables, views

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")


def topic(key: str) -> str:
    return f"{EVENT_ID}:{key}"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("dash") / "s.db")


@pytest.fixture
def app(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("PARALLAX_STORE", str(store_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def bodies(at: AppTest) -> list[str]:
    """The text of every element that could carry HTML or Markdown."""
    out = [e.value for e in at.html] + [e.value for e in at.markdown]
    out += [e.value for e in at.caption] + [e.value for e in at.info] + [e.value for e in at.code]
    return [str(v) for v in out]


def page(at: AppTest) -> str:
    return "\n".join(bodies(at))


def show(at: AppTest, view: str) -> AppTest:
    at.sidebar.radio(key="view").set_value(view)
    at.run()
    assert not at.exception, at.exception
    return at


def outlets_widget(at: AppTest):
    return next(m for m in at.sidebar.multiselect if m.label.startswith("Outlets"))


def choose_outlets(at: AppTest, outlets: list[str]) -> AppTest:
    outlets_widget(at).set_value(outlets)
    at.run()
    assert not at.exception, at.exception
    return at


def test_side_by_side_shows_each_outlets_passage_and_plain_gaps(app: AppTest) -> None:
    assert outlets_widget(app).value == ["TASS", "Reuters", "Kyiv Independent", "Al Jazeera"]
    text = page(app)
    for name in ("TASS", "Reuters", "The Kyiv Independent", "Al Jazeera"):
        assert f'<div class="px-outlet-head">{name}</div>' in text
    assert "Ukraine proposed adopting neutral status in exchange for security" in text
    assert TOPIC_LABELS["skeptic"].replace("'", "&#39;") in text
    # Each outlet that missed a fact says so, in plain words.
    assert "Not reported by TASS" in text            # Western scepticism
    assert "Not reported by The Kyiv Independent" in text  # Erdogan
    assert "Not reported by Al Jazeera" in text      # Crimea
    # Only Al Jazeera reports Abramovich: hidden until single-outlet facts are asked for.
    assert "Not reported by Reuters" not in text
    app.toggle(key="facts-single").set_value(True).run()
    assert "Not reported by Reuters" in page(app)     # Abramovich
    # Distinctive words are highlighted, and the similarity is shown.
    assert '<mark class="px-term">Kiev</mark>' in text
    assert "similarity 0.93" in text
    assert len(app.download_button) == 4  # CSV, Parquet, JSONL and the handout


def test_read_in_article_shows_full_text_with_passage_marked(app: AppTest) -> None:
    app.button(key=f"read-{topic('crimea')}-Reuters").click().run()
    text = page(app)
    assert '<div class="px-article">' in text
    assert ('<mark class="px-passage">Under the proposals, Crimea&#39;s status would be '
            "discussed") in text
    assert "Turkish President Tayyip Erdogan opened the talks" in text  # the rest of the article
    assert [b.proto.url for b in app.get("link_button")] == [
        "https://www.reuters.com/world/europe/istanbul-talks"]
    app.button(key=f"close-{topic('crimea')}").click().run()
    assert '<div class="px-article">' not in page(app)


def test_events_view_lists_events_and_who_reported_first(app: AppTest) -> None:
    show(app, "Events")
    events = app.dataframe[0].value
    assert list(events["Event"]) == ["Russia-Ukraine talks in Istanbul", "Bucha"]
    assert list(events["Articles"]) == [5, 2]
    firsts = app.dataframe[1].value
    assert list(firsts["Outlet"])[:2] == ["TASS", "Reuters"]
    assert firsts["Hours after first"].iloc[1] == pytest.approx(0.8)
    assert len(app.get("plotly_chart")) == 1
    assert "order they first reported" in page(app)


def test_event_picker_switches_event(app: AppTest) -> None:
    app.sidebar.selectbox(key="event").set_value("ev-bucha").run()
    assert outlets_widget(app).value == ["Reuters", "TASS"]
    assert "staged provocation by Kiev" in page(app)
    outlets_widget(app).set_value(["TASS"]).run()
    assert "Pick at least two outlets" in app.info[0].value


def test_coverage_view_heatmap_and_omissions(app: AppTest) -> None:
    show(app, "Coverage and omissions")
    assert len(app.get("plotly_chart")) == 1
    gaps = app.dataframe[0].value
    rows = set(zip(gaps["Outlet"], gaps["What"], gaps["Fact"], strict=True))
    assert ("TASS", "left out (most others reported it)", TOPIC_LABELS["skeptic"]) in rows
    assert ("Al Jazeera", "only this outlet reported it", TOPIC_LABELS["abramovich"]) in rows
    assert ("Al Jazeera", "left out (most others reported it)", TOPIC_LABELS["crimea"]) in rows
    assert all(o != "Reuters" for o, *_ in rows)
    assert "A grey 'not reported' cell is a gap" in page(app)


def test_word_choice_view_bars_and_substitutions(app: AppTest) -> None:
    show(app, "Word choice")
    chart = app.get("plotly_chart")[0]
    spec = json.loads(chart.proto.spec)
    terms = {t for trace in spec["data"] for t in trace["y"]}
    assert {"Kiev", "invasion", "ceasefire", "scale down"} <= terms
    subs = app.dataframe[0].value
    assert ("TASS", "Kiev", "others say: Kyiv") in set(
        zip(subs["Outlet"], subs["This outlet writes"], subs["Where others write"], strict=True))
    assert "log-odds z-score" in page(app)
    verbs = app.dataframe[1].value
    assert ("attribution verb", "The Kyiv Independent", "claimed") in set(
        zip(verbs["Kind"], verbs["Outlet"], verbs["Word"], strict=True))
    assert ("hedge or distancing", "Al Jazeera", "whether") in set(
        zip(verbs["Kind"], verbs["Outlet"], verbs["Word"], strict=True))


def test_tone_and_sourcing_view(app: AppTest) -> None:
    show(app, "Tone and sourcing")
    assert len(app.get("plotly_chart")) == 1
    sources = app.dataframe[0].value
    assert ("TASS", "Vladimir Medinsky", 2) in set(
        zip(sources["Outlet"], sources["Source"], sources["Times quoted"], strict=True))
    assert "from -1 (red, negative) to +1 (blue, positive)" in page(app)


def test_search_is_case_insensitive_and_marks_matches(app: AppTest) -> None:
    show(app, "Search")
    app.text_input(key="query").set_value("CRIMEA").run()
    text = page(app)
    assert "3 passages contain 'CRIMEA'" in text
    assert 'discuss the status of <mark class="px-term">Crimea</mark> separately' in text
    assert "talks on occupied <mark" in text
    app.text_input(key="query").set_value("Bucha").run()
    assert "0 passages contain" in page(app)  # only this event by default
    app.checkbox(key="query-event").uncheck().run()
    assert "2 passages contain 'Bucha'" in page(app)


def test_label_filters_restrict_outlets(app: AppTest) -> None:
    app.sidebar.multiselect(key="label-kind").set_value(["wire", "russian_state"]).run()
    assert outlets_widget(app).options == ["TASS", "Reuters"]
    assert outlets_widget(app).value == ["TASS", "Reuters"]
    assert '<div class="px-outlet-head">Al Jazeera</div>' not in page(app)


def test_classroom_from_url_one_fact_at_a_time(store_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARALLAX_STORE", str(store_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["classroom"] = "1"
    at.run()
    text = page(at)
    assert "font-size:28px" in text and '[data-testid="stSidebar"]' in text
    assert "Fact 1 of 5" in text
    assert f'<div class="px-topic">{TOPIC_LABELS["withdraw"]}</div>' in text
    assert "Not reported by" not in text  # everyone reported the withdrawal
    at.button(key="fact-next").click().run()
    at.button(key="fact-next").click().run()
    text = page(at)
    assert "Fact 3 of 5" in text and "Crimea" in text
    assert "Not reported by Al Jazeera" in text
    at.button(key="fact-prev").click().run()
    assert "Fact 2 of 5" in page(at)
    assert at.button(key="fact-prev").disabled is False
    at.button(key="exit-classroom").click().run()
    assert "classroom" not in at.query_params
    assert "Fact 2 of 5" not in page(at)
    assert '<div class="px-outlet-head">TASS</div>' in page(at)


def test_classroom_toggle_sets_url_parameter(app: AppTest) -> None:
    app.sidebar.toggle(key="classroom").set_value(True).run()
    assert app.query_params["classroom"] == ["1"] or app.query_params["classroom"] == "1"
    assert "Fact 1 of 5" in page(app)


def test_hostile_text_is_shown_inert_everywhere(app: AppTest) -> None:
    choose_outlets(app, ["Reuters", HOSTILE_OUTLET])
    app.button(key=f"read-{topic('withdraw')}-{HOSTILE_OUTLET}").click().run()
    seen = bodies(app)
    show(app, "Search")
    app.text_input(key="query").set_value("alert").run()
    seen += bodies(app)
    for view in ("Events", "Coverage and omissions", "Word choice", "Tone and sourcing"):
        show(app, view)
        for chart in app.get("plotly_chart"):  # plotly renders <b>, <a href> in labels
            assert "<b>" not in chart.proto.spec and "<script" not in chart.proto.spec
    app.sidebar.toggle(key="classroom").set_value(True).run()
    seen += bodies(app)
    joined = "\n".join(seen)
    assert "&lt;script&gt;alert" in joined  # shown, as text
    assert "Pwn &lt;b&gt;Daily&lt;/b&gt;" in joined
    for body in seen:
        low = body.lower()
        for tag in ("<script", "<img", "<iframe", "<a ", "<b>"):
            assert tag not in low, body
        assert "](javascript" not in low and "javascript:" not in low, body
        assert "![" not in body and ":red[" not in body and "$x^2$" not in body, body
    assert not app.get("link_button")  # a javascript: URL gets no link


def test_downloads_carry_provenance(store_path: Path) -> None:
    frames, missing = data.load_tables(str(store_path), RUN_ID)
    assert missing == ()
    cells = tables.side_by_side(frames, EVENT_ID, ["TASS", "Reuters"])
    with Store(store_path, readonly=True) as store:
        prov = tables.provenance(store.latest_run())
    assert prov["model"] == "hashing:512"
    csv = pd.read_csv(io.BytesIO(data.to_bytes(cells, "csv", prov)))
    assert list(csv.columns[:3]) == ["run_id", "model", "params"]
    assert set(csv["run_id"]) == {RUN_ID}
    assert json.loads(csv["params"].iloc[0])["threshold"] == 0.6
    assert "Medinsky" in " ".join(csv["text"].fillna(""))
    lines = data.to_bytes(cells, "jsonl", prov).decode().splitlines()
    assert len(lines) == len(cells) and json.loads(lines[0])["run_id"] == RUN_ID
    table = pq.read_table(io.BytesIO(data.to_bytes(cells, "parquet", prov)))
    assert json.loads(table.schema.metadata[b"parallax.provenance"])["run_id"] == RUN_ID
    with pytest.raises(ValueError, match="xlsx"):
        data.to_bytes(cells, "xlsx", prov)


def test_handout_is_printable_and_escaped(store_path: Path) -> None:
    frames, _ = data.load_tables(str(store_path), RUN_ID)
    outlets = ["Kyiv Independent", HOSTILE_OUTLET]
    cells = tables.side_by_side(frames, EVENT_ID, outlets)
    doc = views.handout(cells, outlets, {}, "Istanbul <talks>", "run run-test")
    assert doc.startswith("<!doctype html>") and "@media print" in doc
    assert "Not reported by Kyiv Independent" in doc  # no registry names passed
    assert "<script" not in doc and "&lt;script&gt;" in doc
    assert "Istanbul &lt;talks&gt;" in doc


def test_store_without_analysis_says_what_to_run(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = build_store(tmp_path / "raw.db", analyze=False)
    monkeypatch.setenv("PARALLAX_STORE", str(path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [c.value for c in at.code] == [f"parallax analyze --store {path}"]
    assert "no finished analysis" in at.info[0].value


def test_missing_and_empty_store_say_collect(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere.db"
    monkeypatch.setenv("PARALLAX_STORE", str(missing))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [c.value for c in at.code] == [f"parallax collect SOURCE --store {missing}"]
    assert not missing.exists()  # the dashboard never creates a store
    empty = tmp_path / "empty.db"
    Store(empty).close()
    monkeypatch.setenv("PARALLAX_STORE", str(empty))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [c.value for c in at.code] == [f"parallax collect SOURCE --store {empty}"]
    assert "holds no articles" in at.warning[0].value


def test_view_switches_do_not_reread_the_store(app: AppTest,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the store was read again")

    monkeypatch.setattr(Store, "read_result", refuse)
    for view in ("Coverage and omissions", "Side by side"):
        show(app, view)


def test_store_path_comes_from_argv_then_env() -> None:
    env = {"PARALLAX_STORE": "/env.db"}
    assert data.store_path_from(["--store", "/arg.db"], env) == Path("/arg.db")
    assert data.store_path_from([], env) == Path("/env.db")
    assert data.store_path_from(["--stor", "/x.db"], {}) == Path("parallax.db")


def test_launch_command() -> None:
    argv = launch.command("/tmp/s.db", port=8600, host="0.0.0.0")
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4].endswith("dashboard/app.py")
    flags = dict(zip(argv[5:13:2], argv[6:13:2], strict=True))
    assert flags == {"--server.headless": "true", "--server.address": "0.0.0.0",
                     "--server.port": "8600", "--browser.gatherUsageStats": "false"}
    assert argv[-3:] == ["--", "--store", "/tmp/s.db"]
    assert "--" not in launch.command(None)


def test_escape_and_highlight() -> None:
    hostile = "<b>x</b> [a](javascript:alert(1)) ![i](u) $y$ :red[z] # h"
    safe = markup.escape_text(hostile)
    for raw in ("<", "[", "](", "$", ":red", "# h"):
        assert raw not in safe
    assert markup.highlight_terms("Kiev, not Kievan; KIEV.", ["kiev"]) == (
        '<mark class="px-term">Kiev</mark>, not Kievan; <mark class="px-term">KIEV</mark>.')
    text = "One. Two <i>x</i>. Three."
    assert markup.passage_span(text, "Two <i>x</i>.", 0, 3) == (5, 18)
    assert markup.passage_span(text, "absent", 0, 3) == (0, 0)
    assert markup.safe_url("javascript:alert(1)") == ""
    assert markup.safe_url('https://a.example/?q="x"') == "https://a.example/?q=&quot;x&quot;"
