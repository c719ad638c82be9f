"""The dashboard, driven headlessly with Streamlit's AppTest over a small fixture store.

The fixture (``dashboard_fixtures``) is the Istanbul talks told by five outlets, one in Russian,
plus a hostile outlet. Its default outlets are Reuters, Lenta.ru, the Kyiv Independent and TASS;
their facts in order: 1 withdrawal, 2 neutrality, 3 Crimea, 4 Erdogan, 5 casualties,
6 Western scepticism.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from dashboard_fixtures import (
    BUCHA_EVENT_ID,
    EVENT_ID,
    HOSTILE_OUTLET,
    ISTANBUL,
    LENTA,
    RUN_ID,
    build_store,
    build_synthetic_store,
    open_app,
)
from streamlit.testing.v1 import AppTest

from compare import export
from compare.datasets.folder import write_result_folder
from compare.workflows import dashboard_command
from corpus.store import Store
from dashboard import data, markup, tables, views
from dashboard import grid as gr

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
DEFAULT = ["Reuters", LENTA, "Kyiv Independent", "TASS"]


def sentence(outlet: str, fact: str) -> str:
    return dict(ISTANBUL[outlet][4])[fact]


def topic(key: str) -> str:
    return f"{EVENT_ID}:{key}"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("dash") / "s.db")




@pytest.fixture
def app(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return open_app(store_path, monkeypatch)


def page(at: AppTest) -> str:
    """The text of every element that could carry HTML or Markdown."""
    out = [e.value for e in at.html] + [e.value for e in at.markdown]
    out += [e.value for e in at.caption] + [e.value for e in at.info] + [e.value for e in at.code]
    return "\n".join(str(v) for v in out)


def cells(at: AppTest) -> list[str]:
    """Each outlet's cell (its HTML up to the next cell) in every fact row shown."""
    out = []
    for element in at.html:
        out += re.split(r'(?=<div class="px-cell[ "])', str(element.value))[1:]
    return out


def headings(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.html if 'class="px-topic"' in str(e.value)]


def show(at: AppTest, view: str) -> AppTest:
    at.sidebar.radio(key="view").set_value(view).run()
    assert not at.exception, at.exception
    return at


def outlets_widget(at: AppTest):
    return next(m for m in at.sidebar.multiselect if m.label.startswith("Outlets"))


def choose_outlets(at: AppTest, outlets: list[str]) -> AppTest:
    outlets_widget(at).set_value(outlets)
    at.run()
    assert not at.exception, at.exception
    return at


def test_side_by_side_cells_say_one_of_three_things(app: AppTest) -> None:
    assert outlets_widget(app).value == DEFAULT
    text = page(app)
    assert "Facts 1 to 5 of 6" in text
    assert '<div class="px-outlet-head">The Kyiv Independent</div>' in text
    shown = cells(app)
    # Reports it, with its probability; the Kyiv Independent's withdrawal is a weaker link.
    assert any("military operations around Kyiv and Chernihiv" in c
               and "same fact, probability 0.89" in c for c in shown)
    weaker = [c for c in shown if "px-weaker" in c]
    assert len(weaker) == 1 and "Weaker link" in weaker[0]
    assert "regrouping" in weaker[0] and "weaker link, probability 0.61" in weaker[0]
    # Closest passage, not the same fact: the Kyiv Independent on Erdogan (its neutrality
    # sentence), dimmed, with its probability.
    [closest] = [c for c in shown if "px-closest" in c]
    assert "Closest passage, not the same fact" in closest and "laid out a plan" in closest
    assert "same-fact probability 0.22" in closest
    keys = {b.key for b in app.button if b.key and b.key.startswith("read-")}
    assert f"read-{topic('erdogan')}-Kyiv Independent" in keys
    # Fact 6 (next page): TASS's closest passage, and Lenta.ru's plain gap.
    app.button(key="page-top-next").click().run()
    shown = cells(app)
    assert any("px-closest" in c and "drastically" in c and "same-fact probability 0.31" in c
               for c in shown)
    assert any("Not reported by Lenta.ru" in c for c in shown)
    keys = {b.key for b in app.button if b.key and b.key.startswith("read-")}
    assert f"read-{topic('skeptic')}-TASS" in keys
    assert f"read-{topic('skeptic')}-{LENTA}" not in keys
    # Al Jazeera alone reports Abramovich: hidden until one-outlet facts are asked for.
    assert "Abramovich" not in text
    choose_outlets(app, ["Al Jazeera", "Reuters"])
    app.toggle(key="single").set_value(True).run()
    app.button(key="page-top-next").click().run()  # one-outlet facts come last: fact 7
    assert any("Abramovich" in c and "only this outlet reports it" in c for c in cells(app))


def test_a_result_folder_shows_what_its_store_shows(store_path: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``parallax dashboard --store FOLDER`` over the run written as a result folder
    (``compare.datasets``): the same facts, cells and articles, read from the Parquet tables."""
    with Store(store_path, readonly=True) as store:
        folder = write_result_folder(store, tmp_path / "results")
    from_store, from_folder = open_app(store_path, monkeypatch), open_app(folder, monkeypatch)
    assert cells(from_folder) == cells(from_store) and len(cells(from_store)) >= 20
    assert headings(from_folder) == headings(from_store)
    key = f"read-{topic('erdogan')}-Kyiv Independent"
    from_folder.button(key=key).click().run()
    assert "Russia claimed it would reduce attacks" in page(from_folder)
    for at in (from_store, from_folder):
        show(at, "Coverage and omissions")
    assert page(from_folder) == page(from_store)


def test_passages_carry_their_language(app: AppTest) -> None:
    shown = cells(app)
    russian = [c for c in shown if 'lang="ru"' in c]
    assert len(russian) == 5  # Lenta.ru reports five of the six facts, in Russian
    assert all('<span class="px-lang" title="Russian">RU</span>' in c for c in russian)
    assert any(sentence(LENTA, "withdraw") in c for c in russian)
    english = [c for c in shown if 'lang="en"' in c]
    assert english and all('title="English">EN</span>' in c for c in english)
    # Word choice compares outlets of one language: Lenta.ru is the only Russian outlet shown,
    # so none of its words is marked; TASS's are (against the other English outlets).
    assert not any("<mark" in c for c in russian)
    assert any('<mark class="px-term">Kiev</mark>' in c for c in shown)


def test_row_heading_is_a_shown_outlets_passage(app: AppTest) -> None:
    withdraw = headings(app)[1]  # after "neutral", the surer row of the same outlet count
    assert sentence("Reuters", "withdraw") in withdraw and "</span> Reuters</span>" in withdraw
    # Erdogan's representative passage is Al Jazeera's, which is not shown: the shown cell with
    # the highest probability (TASS, 0.93) heads the row instead.
    erdogan = headings(app)[3]
    assert sentence("TASS", "erdogan") in erdogan and "</span> TASS</span>" in erdogan
    choose_outlets(app, [LENTA, "TASS"])
    for heading in headings(app):
        assert "</span> TASS</span>" in heading or "</span> Lenta.ru</span>" in heading


def test_facts_told_differently_come_first_and_say_how(app: AppTest) -> None:
    assert "Facts told differently first (2)" in [t.label for t in app.toggle]
    app.toggle(key="differ").set_value(True).run()
    first, second, *_ = headings(app)
    assert sentence("Reuters", "withdraw") in first
    assert "Told differently by The Kyiv Independent and TASS&#58; one denies it" in first
    assert sentence("Reuters", "casualties") in second
    # One outlet with another count than two others: one line.
    assert ("Told differently by The Kyiv Independent, against Lenta.ru and Reuters&#58; "
            "differ on the number") in second
    assert second.count("px-differ") == 1
    assert app.query_params["differ"] in ("1", ["1"])


def test_read_in_article_shows_full_text_with_passage_marked(app: AppTest) -> None:
    key = f"read-{topic('erdogan')}-Kyiv Independent"  # a closest passage
    app.button(key=key).click().run()
    text = page(app)
    assert '<div class="px-article" lang="en" dir="auto">' in text
    assert '<mark class="px-passage">Ukraine&#39;s negotiators laid out a plan' in text
    assert "Russia claimed it would reduce attacks" in text  # the rest of the article
    assert [b.proto.url for b in app.get("link_button")] == [
        "https://kyivindependent.com/istanbul-round"]
    app.button(key=f"close-{topic('erdogan')}").click().run()
    assert '<div class="px-article"' not in page(app)


def test_side_by_side_pages_through_many_facts(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = build_synthetic_store(tmp_path / "big.db", n_articles=60, n_outlets=4, n_topics=25)
    at = open_app(path, monkeypatch)
    assert "Facts 1 to 5 of 25" in page(at) and len(headings(at)) == 5
    at.button(key="page-top-next").click().run()
    assert "Facts 6 to 10 of 25" in page(at)
    assert at.query_params["fact"] in ("6", ["6"])
    for _ in range(3):
        at.button(key="page-bottom-next").click().run()
    assert "Facts 21 to 25 of 25" in page(at) and len(headings(at)) == 5
    assert at.button(key="page-top-next").disabled


def test_events_view_lists_events_and_who_reported_first(app: AppTest) -> None:
    show(app, "Events")
    events = app.dataframe[0].value
    assert list(events["Event"]) == ["Russia-Ukraine talks in Istanbul", "Bucha"]
    assert list(events["Articles"]) == [6, 2]
    firsts = app.dataframe[1].value
    assert list(firsts["Outlet"])[:3] == ["TASS", "Reuters", LENTA]
    assert firsts["Hours after first"].iloc[1] == pytest.approx(0.8)
    assert len(app.get("plotly_chart")) == 1


def test_event_picker_switches_event(app: AppTest) -> None:
    app.sidebar.selectbox(key="event").set_value(BUCHA_EVENT_ID).run()
    assert outlets_widget(app).value == ["Reuters", "TASS"]
    assert "staged provocation by Kiev" in page(app)
    outlets_widget(app).set_value(["TASS"]).run()
    assert "Pick at least two outlets" in app.info[0].value


def test_coverage_heatmap_names_columns_on_top_and_keeps_quotes(app: AppTest) -> None:
    choose_outlets(app, ["Reuters", "Al Jazeera", "TASS"])
    show(app, "Coverage and omissions")
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    heat = spec["data"][0]
    assert spec["layout"]["xaxis"]["side"] == "top"
    assert heat["x"] == ["Reuters", "Al Jazeera", "TASS"]
    labels = " ".join(heat["y"])
    assert 'watch "whether' in labels and 'leave".' in labels and "&quot;" not in labels
    assert "Russia's Defence" not in labels and "&#39;" not in labels
    assert ["0.93", "0.85", "closest 0.31"] in heat["text"]  # scepticism
    assert ["0.89", "not reported", "0.93"] in heat["text"]  # Crimea: Al Jazeera is silent
    gaps = app.dataframe[0].value
    rows = set(zip(gaps["Outlet"], gaps["What"], strict=True))
    assert ("TASS", "left out (most others reported it)") in rows
    assert ("Al Jazeera", "only this outlet reported it") in rows
    assert "more than half of the event's other outlets" in page(app)


def test_word_choice_view_bars_and_substitutions(app: AppTest) -> None:
    show(app, "Word choice")
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    terms = {t for trace in spec["data"] for t in trace["y"]}
    assert {"Kiev", "invasion", "scale down"} <= terms
    subs = app.dataframe[0].value
    assert ("TASS", "Kiev", "others say: Kyiv") in set(
        zip(subs["Outlet"], subs["This outlet writes"], subs["Where others write"], strict=True))


def test_tone_view_says_not_measured_for_russian(app: AppTest) -> None:
    show(app, "Tone and sourcing")
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    heat = spec["data"][0]
    lenta = heat["x"].index(LENTA)
    said = [row[lenta] for row in heat["text"]]
    assert "not measured" in said and "0.00" not in said
    assert "-0.40" in [row[heat["x"].index("The Kyiv Independent")] for row in heat["text"]]
    sources = app.dataframe[0].value
    assert ("TASS", "Vladimir Medinsky", 2) in set(
        zip(sources["Outlet"], sources["Source"], sources["Times quoted"], strict=True))


def test_search_marks_matches_and_reads_in_article(app: AppTest) -> None:
    show(app, "Search")
    app.text_input(key="query").set_value("CRIMEA").run()
    text = page(app)
    assert "3 passages contain &#39;CRIMEA&#39;." in text
    assert 'discuss the status of <mark class="px-term">Crimea</mark> separately' in text
    hit = next(b for b in app.button if b.key and b.key.startswith("read-search-"))
    hit.click().run()
    assert '<mark class="px-passage">' in page(app)
    app.text_input(key="query").set_value("Bucha").run()
    assert "0 passages contain" in page(app)  # only this event by default
    app.checkbox(key="query-event").uncheck().run()
    assert "2 passages contain" in page(app)


def test_label_filters_restrict_outlets(app: AppTest) -> None:
    app.sidebar.multiselect(key="label-kind").set_value(["wire", "russian_state"]).run()
    assert outlets_widget(app).options == ["TASS", "Reuters"]
    assert outlets_widget(app).value == ["Reuters", "TASS"]
    assert '<div class="px-outlet-head">Al Jazeera</div>' not in page(app)


def test_classroom_one_fact_at_a_time(app: AppTest) -> None:
    app.sidebar.toggle(key="classroom").set_value(True).run()
    text = page(app)
    assert "font-size:28px" in text and '[data-testid="stSidebar"]' in text
    assert "Fact 1 of 6" in text and app.query_params["classroom"] in ("1", ["1"])
    assert app.button(key="fact-next").proto.shortcut.lower() == "right"
    app.button(key="fact-next").click().run()
    app.button(key="fact-next").click().run()
    text = page(app)
    assert "Fact 3 of 6" in text and sentence("TASS", "crimea") in text
    assert app.query_params["fact"] in ("3", ["3"])
    assert "fact=3&classroom=1" in app.code[-1].value
    app.button(key="fact-prev").click().run()
    assert "Fact 2 of 6" in page(app)
    app.button(key="exit-classroom").click().run()
    assert "classroom" not in app.query_params
    assert "Fact 2 of 6" not in page(app) and "Facts 1 to 5 of 6" in page(app)


def test_hostile_text_never_reaches_markdown(store_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Outlet names, titles, passages, labels, the query and a link's parameters: shown as
    text through the escaping module, never rendered as Markdown, LaTeX or HTML."""
    bad = "[x](javascript:alert(9)) ![p](http://evil.example/q.png) :red[q] $y^2$ <b>q</b>"
    app = open_app(store_path, monkeypatch, outlets=f"Reuters,{bad},x", view=bad, event=EVENT_ID)
    seen = [markdown_free(app)]
    choose_outlets(app, ["Reuters", HOSTILE_OUTLET])
    app.button(key=f"read-{topic('withdraw')}-{HOSTILE_OUTLET}").click().run()
    seen.append(markdown_free(app))
    show(app, "Search")
    for query in (bad, "alert"):
        app.text_input(key="query").set_value(query).run()
        seen.append(markdown_free(app))
    for view in ("Events", "Coverage and omissions", "Word choice", "Tone and sourcing"):
        show(app, view)
        seen.append(markdown_free(app))
        for chart in app.get("plotly_chart"):  # plotly renders <b>, <a href> in labels
            assert "<b>" not in chart.proto.spec and "<script" not in chart.proto.spec
    app.sidebar.toggle(key="classroom").set_value(True).run()
    seen.append(markdown_free(app))
    joined = "\n".join(seen)
    assert "&lt;script&gt;alert" in joined and "Pwn &lt;b&gt;Daily&lt;/b&gt;" in joined
    assert "This link could not be opened exactly" in seen[0]
    for body in seen:
        low = body.lower()
        for tag in ("<script", "<img", "<iframe", "<a ", "<b>"):
            assert tag not in low
        assert "javascript:" not in low and "](" not in body and "![" not in body
        assert ":red[" not in body and "$x^2$" not in body and "$y^2$" not in body
    assert not app.get("link_button")  # a javascript: URL gets no link


def markdown_free(at: AppTest) -> str:
    """The page's HTML, after checking that no Markdown-rendering element carries text from
    the data or the user (only the dashboard's own words go there)."""
    assert not at.exception, at.exception
    for element in (*at.markdown, *at.caption, *at.info, *at.warning, *at.error,
                    *at.subheader, *at.title, *at.toggle, *at.checkbox, *at.button):
        said = str(getattr(element, "value", "")) + str(getattr(element, "label", ""))
        for word in ("Pwn", "evil", "javascript", "alert", "Totally normal"):
            assert word not in said, said
    return page(at)


def test_download_is_the_export_table(store_path: Path) -> None:
    """The side-by-side download is the library's side-by-side table, run id first, written by
    ``compare.export.to_bytes``: the same bytes as ``parallax export side-by-side``."""
    _frames, missing = data.load_tables(str(store_path), RUN_ID)
    assert missing == ()
    with Store(store_path, readonly=True) as store:
        run = store.latest_run()
    prov = tables.provenance(run)
    frame = data.side_by_side_export(str(store_path), RUN_ID, prov, EVENT_ID, DEFAULT, False)
    assert list(frame.columns[:6]) == ["run_id", "event_id", "event_label", "fact_id",
                                       "fact_label", "n_outlets"]
    assert list(frame.columns[6:8]) == ["Reuters", "Reuters probability"]
    assert len(frame) == 6 and set(frame["run_id"]) == {RUN_ID}
    row = frame.set_index("fact_id").loc[topic("withdraw")]
    assert row[LENTA] == sentence(LENTA, "withdraw") and row["n_outlets"] == 4
    assert row["Kyiv Independent probability"] == pytest.approx(0.61)
    assert data.to_bytes(frame, "csv", prov) == export.to_bytes(frame, "csv", prov)
    csv = pd.read_csv(io.BytesIO(data.to_bytes(frame, "csv", prov)))
    assert sentence(LENTA, "crimea") in set(csv[LENTA])
    with pytest.raises(ValueError, match="unknown export format"):
        data.to_bytes(frame, "docx", prov)


def test_handout_is_printable_and_escaped(store_path: Path) -> None:
    frames, _ = data.load_tables(str(store_path), RUN_ID)
    grid = gr.fact_grid(gr.event_grid(frames, EVENT_ID, threshold=0.7),
                        ["Kyiv Independent", HOSTILE_OUTLET], include_single=True)
    doc = views.handout(grid, {}, {}, "Istanbul <talks>", "run run-test")
    assert doc.startswith("<!doctype html>") and "@media print" in doc
    assert "Not reported by Pwn &lt;b&gt;Daily" in doc and "Weaker link" in doc
    assert "<script" not in doc and "&lt;script&gt;" in doc
    assert "Istanbul &lt;talks&gt;" in doc


def test_store_without_analysis_says_what_to_run(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = build_store(tmp_path / "raw.db", analyze=False)
    at = open_app(path, monkeypatch)
    assert [c.value for c in at.code] == [f"parallax analyze --store {path}"]
    assert "no finished analysis" in page(at)


def test_missing_and_empty_store_say_collect(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere.db"
    at = open_app(missing, monkeypatch)
    assert [c.value for c in at.code] == [f"parallax collect SOURCE --store {missing}"]
    assert not missing.exists()  # the dashboard never creates a store
    empty = tmp_path / "empty.db"
    Store(empty).close()
    at = open_app(empty, monkeypatch)
    assert [c.value for c in at.code] == [f"parallax collect SOURCE --store {empty}"]
    assert "holds no articles" in page(at)


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
    argv = dashboard_command(Path("/tmp/s.db"), port=8600, host="0.0.0.0")
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4].endswith("dashboard/app.py")
    flags = dict(zip(argv[5:13:2], argv[6:13:2], strict=True))
    assert flags == {"--server.headless": "true", "--server.address": "0.0.0.0",
                     "--server.port": "8600", "--browser.gatherUsageStats": "false"}
    assert argv[-3:] == ["--", "--store", "/tmp/s.db"]


def test_escape_and_highlight() -> None:
    hostile = "<b>x</b> [a](javascript:alert(1)) ![i](u) $y$ :red[z] # h"
    safe = markup.escape_text(hostile)
    for raw in ("<", "[", "](", "$", ":red", "# h"):
        assert raw not in safe
    assert markup.plotly_text('"Kiev" <b>&') == '"Kiev" &lt;b&gt;&amp;'
    assert markup.language_badge("ru") == '<span class="px-lang" title="Russian">RU</span>'
    assert "?" in markup.language_badge("<x>") and "<x>" not in markup.language_badge("<x>")
    assert markup.highlight_terms("Kiev, not Kievan; KIEV.", ["kiev"]) == (
        '<mark class="px-term">Kiev</mark>, not Kievan; <mark class="px-term">KIEV</mark>.')
    text = "One. Two <i>x</i>. Three."
    assert markup.passage_span(text, "Two <i>x</i>.", 0, 3) == (5, 18)
    assert markup.passage_span(text, "absent", 0, 3) == (0, 0)
    assert markup.safe_url("javascript:alert(1)") == ""
    assert markup.safe_url('https://a.example/?q="x"') == "https://a.example/?q=&quot;x&quot;"


def test_a_users_registry_labels_are_shown_as_plain_words(
        store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Registry columns are the user's words: a filter's label (which Streamlit renders as
    Markdown) gets only their letters, digits and spaces."""
    registry = tmp_path / "outlets.csv"
    column = "[x](javascript:alert(1)) :red[k] $z$"
    registry.write_text(f'outlet,domains,"{column}"\nTASS,tass.com,a\nReuters,reuters.com,b\n',
                        encoding="utf-8")
    monkeypatch.setenv("PARALLAX_OUTLETS", str(registry))
    st.cache_resource.clear()
    try:
        app = open_app(store_path, monkeypatch)
        [label] = [m.label for m in app.sidebar.multiselect if m.key == f"label-{column}"]
        assert label == "X javascript alert 1 red k z"
    finally:
        st.cache_resource.clear()


def test_a_closest_passage_at_the_threshold_says_it_is_shown_in_another_fact() -> None:
    from dashboard.grid import CLOSEST, Cell
    from dashboard.views import cell_html

    far = Cell("Lenta.ru", CLOSEST, 0.31, passage_id="p1", text="Talks resumed.", language="en")
    near = Cell("Lenta.ru", CLOSEST, 0.76, passage_id="p2", text="Talks resumed.",
                language="en", elsewhere=True)
    assert "Closest passage, not the same fact" in cell_html(far, "Lenta.ru", (), 2)
    shown = cell_html(near, "Lenta.ru", (), 2)
    assert "Closest passage, shown in another fact" in shown
    assert "same-fact probability 0.76" in shown


def test_a_cell_stating_the_fact_inside_a_longer_passage_says_so() -> None:
    from dashboard.grid import REPORTS, WEAKER, Cell
    from dashboard.views import cell_html

    text = "Russia will cut activity near Kyiv, Medinsky said, and no ceasefire is agreed."
    longer = Cell("Reuters", REPORTS, 0.81, passage_id="p1", text=text, language="en",
                  within_longer=True)
    shown = cell_html(longer, "Reuters", (), 3)
    assert "reports it, within a longer passage" in shown and "probability 0.81" in shown
    weaker = cell_html(Cell("Reuters", WEAKER, 0.52, passage_id="p1", text=text, language="en",
                            within_longer=True), "Reuters", (), 3)
    assert "within a longer passage" in weaker
    plain = cell_html(Cell("Reuters", REPORTS, 0.81, passage_id="p1", text=text,
                           language="en"), "Reuters", (), 3)
    assert "within a longer passage" not in plain


def test_the_larger_side_of_a_contains_pair_is_marked_in_its_row(store_path: Path) -> None:
    frames, _ = data.load_tables(str(store_path), RUN_ID)
    pairs = frames["alignments"]
    row = pairs.index[(pairs["event_id"] == EVENT_ID) & (pairs["topic_id"] != "")][0]
    marked = pairs.copy()
    marked.loc[row, ["relation", "larger"]] = ["contains", "b"]
    grid = gr.event_grid({**frames, "alignments": marked}, EVENT_ID, threshold=0.57)
    longer = grid.cells[grid.cells["within_longer"]]
    topic, passage = marked.loc[row, "topic_id"], marked.loc[row, "passage_id_b"]
    assert set(zip(longer.index.get_level_values("topic_id"), longer["passage_id"],
                   strict=True)) == {(topic, passage)}
    assert not gr.event_grid(frames, EVENT_ID, threshold=0.57).cells["within_longer"].any()


def test_passage_text_takes_its_own_script_direction() -> None:
    # An Arabic passage beside English ones reads right to left (its full stop at its end).
    arabic = markup.card(markup.escape_text("أعلنت الحكومة الحداد الوطني."), language="ar")
    assert ' lang="ar"' in arabic and '<div class="px-text" dir="auto">' in arabic
    heading = markup.fact_heading("أعلنت الحكومة الحداد.", "Al Jazeera", "ar", [])
    assert '<span class="px-quote" lang="ar" dir="auto">' in heading


def _closest_states(frames: dict[str, pd.DataFrame], threshold: float) -> set[tuple[float, bool]]:
    grid = gr.event_grid(frames, EVENT_ID, threshold=threshold)
    closest = grid.cells[grid.cells["state"] == gr.CLOSEST]
    return set(zip(closest["probability"].round(2), closest["elsewhere"], strict=True))


def _frames_with_closest(store_path: Path, probability: float) -> dict[str, pd.DataFrame]:
    """The fixture run's tables with one closest cell of the event at ``probability``."""
    frames, _ = data.load_tables(str(store_path), RUN_ID)
    cov = frames["coverage"].copy()
    closest = cov.index[(cov["event_id"] == EVENT_ID) & (cov["status"] == "closest")
                        & (cov["closest_passage_id"] != "")]
    cov.loc[closest[0], "probability"] = probability
    return {**frames, "coverage": cov}


def test_shown_in_another_fact_follows_the_runs_threshold(store_path: Path) -> None:
    # The run's [alignment] threshold, not the shipped verifier's, says whether a closest
    # passage is already another fact's cell: at 0.8, a closest passage at 0.75 is not.
    from compare.runs import same_fact_threshold

    frames = _frames_with_closest(store_path, 0.75)
    assert same_fact_threshold({"parameters": {"alignment": {"threshold": 0.8},
                                               "verifier": {"threshold": 0.7}}}) == 0.8
    assert same_fact_threshold({"parameters": {"alignment": {"threshold": None},
                                               "verifier": {"threshold": 0.7}}}) == 0.7
    assert (0.75, False) in _closest_states(frames, 0.8)
    assert (0.75, True) in _closest_states(frames, 0.7)
