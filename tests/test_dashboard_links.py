"""Links to a view (event, outlets, view, fact, classroom in the URL) and the default outlets.

AppTest over the fixture store of ``test_dashboard``; the pure parts without Streamlit.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from dashboard_fixtures import BUCHA_EVENT_ID, EVENT_ID, ISTANBUL, LENTA, build_store, open_app
from streamlit.testing.v1 import AppTest

from dashboard import grid as gr
from dashboard import links

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
DEFAULT = ["Reuters", LENTA, "Kyiv Independent", "TASS"]
NOTICE = "This link could not be opened exactly"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("links") / "s.db")




def html(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in at.html)


def notices(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.html if 'class="px-notice"' in str(e.value)]


def outlets(at: AppTest) -> list[str]:
    return next(m for m in at.sidebar.multiselect if m.label.startswith("Outlets")).value


def param(at: AppTest, key: str) -> str:
    value = at.query_params[key]
    return value[-1] if isinstance(value, list) else value


def test_deep_link_opens_that_fact_of_those_outlets(store_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(store_path, monkeypatch, event=EVENT_ID, outlets="TASS,Al Jazeera,Reuters",
                   view="side-by-side", fact="3", classroom="1")
    assert outlets(at) == ["TASS", "Al Jazeera", "Reuters"]
    page = html(at)
    # These three share five facts: withdrawal, neutrality, Erdogan (all three), then Crimea
    # and scepticism (two each).
    assert "Fact 3 of 5" in page and "Erdogan" in page and not notices(at)
    heads = [e for e in page.split('<div class="px-outlet-head">')[1:]]
    assert [h.split("<")[0] for h in heads] == ["TASS", "Al Jazeera", "Reuters"]
    assert at.code[-1].value.endswith(
        f"?event={EVENT_ID}&outlets=TASS,Al%20Jazeera,Reuters&view=side-by-side&fact=3"
        "&classroom=1")


def test_the_url_follows_what_is_shown(store_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(store_path, monkeypatch)
    assert {k: param(at, k) for k in at.query_params} == {
        "event": EVENT_ID, "outlets": ",".join(DEFAULT), "view": "side-by-side", "fact": "1"}
    at.sidebar.radio(key="view").set_value("Word choice").run()
    assert param(at, "view") == "word-choice"
    at.sidebar.selectbox(key="event").set_value(BUCHA_EVENT_ID).run()
    assert param(at, "event") == BUCHA_EVENT_ID and param(at, "outlets") == "Reuters,TASS"


@pytest.mark.parametrize(("params", "said"), [
    ({"event": "ev-gone", "outlets": "TASS,Reuters", "fact": "2"},
     "event &#39;ev-gone&#39; is not in this analysis"),
    ({"outlets": "TASS,Nobody Daily", "fact": "2"},
     "&#39;Nobody Daily&#39; is not an outlet of this event"),
    ({"view": "nonsense", "fact": "x7"}, "there is no view &#39;nonsense&#39;"),
    ({"fact": "99", "classroom": "1"}, "fact 99 does not exist, these outlets share 6"),
    ({"classroom": "maybe"}, "classroom &#39;maybe&#39; is not 1 or 0"),
    # Issue 26 F7: a superscript two passes str.isdigit(); 5,000 nines pass int()'s digit limit.
    ({"fact": "\u00b2"}, "fact &#39;\u00b2&#39; is not a fact number"),
    ({"fact": "9" * 5000}, "9999…&#39; is not a fact number"),
])
def test_a_broken_link_falls_back_with_one_notice(store_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  params: dict[str, str], said: str) -> None:
    at = open_app(store_path, monkeypatch, **params)
    [notice] = notices(at)
    assert NOTICE in notice and said in notice
    assert outlets(at) == DEFAULT
    assert "Fact 1 of 6" in html(at) or "Facts 1 to 5 of 6" in html(at)
    # The notice stays while the page is what the link opened, and goes once the viewer moves.
    at.run()
    assert len(notices(at)) == 1
    at.sidebar.radio(key="view").set_value("Events").run()
    assert not notices(at)


def test_arrow_keys_page_the_side_by_side(store_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(store_path, monkeypatch)
    assert at.button(key="page-top-next").proto.shortcut.lower() == "right"
    assert at.button(key="page-top-prev").proto.shortcut.lower() == "left"
    assert not at.button(key="page-bottom-next").proto.shortcut  # one button per key


def test_read_link_never_raises() -> None:
    events = ["ev1", "ev2"]
    offered = {"ev1": ["A", "B", "C"], "ev2": ["B", "D"]}
    read = {"events": events, "outlets_of": offered.__getitem__,
            "default_outlets": lambda e: offered[e][:2], "views": ["side-by-side", "events"],
            "default_view": "side-by-side"}
    for params in ({}, {"fact": "-1"}, {"fact": "1e9"}, {"outlets": ",,,"},
                   {"outlets": "A," * 20}, {"event": "\x00"}, {"classroom": "2"},
                   {"outlets": "A,B,C,A", "event": "ev1", "view": "events", "fact": "2"}):
        state, notice = links.read_link(params, **read)  # type: ignore[arg-type]
        assert state.event in events and len(state.outlets) >= 2 and state.fact >= 1
    state, notice = links.read_link({"outlets": "A,B,C,A", "event": "ev1", "view": "events",
                                     "fact": "2", "differ": "1"}, **read)  # type: ignore[arg-type]
    assert state == links.LinkState("ev1", ("A", "B", "C"), "events", 2, False, True, False)
    assert notice == ""
    state, notice = links.read_link({"event": "ev2", "outlets": "A,B"},
                                    **read)  # type: ignore[arg-type]
    assert state.outlets == ("B", "D") and "'A' is not an outlet" in notice
    assert notice.count("This link") == 1 and "\n" not in notice


def test_odd_fact_numbers_fall_back_to_fact_one_with_one_notice() -> None:
    """Issue 26 F7: digits that are not ASCII, and numbers too long for int(), are refused."""
    read = {"events": ["ev1"], "outlets_of": lambda e: ["A", "B"],
            "default_outlets": lambda e: ["A", "B"], "views": ["side-by-side"],
            "default_view": "side-by-side"}
    for raw in ("\u00b2", "\u0663", "\uff17", "9" * 5000, "1" * 30):
        state, notice = links.read_link({"fact": raw}, **read)  # type: ignore[arg-type]
        assert state.fact == 1
        assert "is not a fact number" in notice and "\n" not in notice and len(notice) < 200


def test_link_encodes_names() -> None:
    state = links.LinkState("ev1", ("Al Jazeera", "Pwn <b>&"), "side-by-side", 3, True)
    url = links.link("http://127.0.0.1:8501/?old=1", state)
    assert url == ("http://127.0.0.1:8501/?event=ev1&outlets=Al%20Jazeera,Pwn%20%3Cb%3E%26"
                   "&view=side-by-side&fact=3&classroom=1")


def test_default_outlets_share_most_facts_one_per_kind_first() -> None:
    """The Istanbul demo's shape: Global Research (one opinion piece) shares as many facts as
    a third Western paper and is preferred to it; the seed outlet is in the default."""
    candidates = ["Lenta.ru", "New York Times", "President of Ukraine", "Kremlin",
                  "The Guardian", "HuffPost", "Global Research"]
    shared = pd.Series({"Lenta.ru": 40, "New York Times": 24, "President of Ukraine": 17,
                        "Kremlin": 7, "HuffPost": 6, "Global Research": 6, "The Guardian": 5})
    kinds = {"New York Times": "western", "The Guardian": "western", "HuffPost": "western",
             "President of Ukraine": "official", "Kremlin": "official",
             "Global Research": "opinion"}
    assert gr.default_outlets(candidates, shared, kinds) == [
        "Lenta.ru", "New York Times", "President of Ukraine", "Global Research"]
    # Without kinds, the outlets sharing the most facts.
    assert gr.default_outlets(candidates, shared, {}) == candidates[:4]
    # With article counts, facts per 1 + ln(articles): one opinion piece sharing 6 facts
    # before a news agency sharing 6 from 9 articles (both kinds still unseen), and before one
    # sharing 7 from 9; the chosen are shown by the facts they share, ties by fewer articles.
    tied = pd.Series({"Lenta.ru": 26, "New York Times": 26, "President of Ukraine": 19,
                      "Ukrinform": 6, "Global Research": 6})
    agency = ["Lenta.ru", "New York Times", "President of Ukraine", "Ukrinform",
              "Global Research"]
    kinds_tied = {**kinds, "Ukrinform": "ukrainian"}
    assert gr.default_outlets(agency, tied, kinds_tied)[-1] == "Ukrinform"  # given order
    assert gr.default_outlets(agency, tied, kinds_tied, articles=pd.Series(
        {"Lenta.ru": 64, "New York Times": 11, "President of Ukraine": 12, "Ukrinform": 9,
         "Global Research": 1})) == ["New York Times", "Lenta.ru", "President of Ukraine",
                                     "Global Research"]
    more = tied.copy()
    more["Ukrinform"] = 7
    assert "Global Research" in gr.default_outlets(agency, more, kinds_tied, articles=pd.Series(
        {"Lenta.ru": 64, "New York Times": 11, "President of Ukraine": 12, "Ukrinform": 9,
         "Global Research": 1}))
    # ... but not before an outlet sharing far more (30 of 9 articles), which is shown first.
    more["Ukrinform"] = 30
    assert gr.default_outlets(agency, more, {}, articles=pd.Series(
        {"Lenta.ru": 64, "New York Times": 11, "President of Ukraine": 12, "Ukrinform": 9,
         "Global Research": 1})) == ["Ukrinform", "New York Times", "President of Ukraine",
                                     "Global Research"]
    # Fewer kinds than places: the rest by rank; an outlet sharing nothing comes last.
    assert gr.default_outlets(["A", "B", "C"], pd.Series({"B": 3, "C": 1}),
                              {"A": "w", "B": "w", "C": "w"}) == ["B", "C", "A"]


def test_fixture_default_and_fact_order(store_path: Path) -> None:
    from dashboard import data

    frames = data.load_tables(str(store_path), "run-test")[0]
    shared = gr.shared_counts(frames["topics"], EVENT_ID)
    assert shared["Reuters"] == 6 and shared[LENTA] == 5
    kinds = {"Reuters": "wire", "TASS": "russian_state", "Kyiv Independent": "ukrainian",
             "Al Jazeera": "other"}
    assert gr.default_outlets(list(ISTANBUL), shared, kinds) == DEFAULT
    grid = gr.fact_grid(gr.event_grid(frames, EVENT_ID, threshold=0.7), DEFAULT)
    # All four shown outlets report each of the first four facts: the surest first ("withdraw"
    # has a weaker cell, 0.61), then the analysis' order.
    assert [r.topic_id.split(":")[1] for r in grid.rows] == [
        "neutral", "withdraw", "crimea", "erdogan", "casualties", "skeptic"]
    assert grid.n_shared == 6 and grid.n_single == 0
    differ = gr.fact_grid(gr.event_grid(frames, EVENT_ID, threshold=0.7), DEFAULT, differ_first=True)
    assert [r.topic_id.split(":")[1] for r in differ.rows][:2] == ["withdraw", "casualties"]
