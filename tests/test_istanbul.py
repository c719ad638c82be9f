"""The Istanbul demo material through the product path: the demo's event-scoped collection of
../shared/data/ukraine and the seed article, analysed with the real model."""
from __future__ import annotations

import pytest

from compare.analyze import analyze
from compare.settings import AnalysisSettings
from compare.workflows import DEMO_SCOPE
from corpus.collect import CollectSettings, collect
from corpus.store import Store
from tests.shared_data import need

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    sources = [str(need("ukraine")), str(need("istanbul/seed_article.jsonl"))]
    store = Store(tmp_path_factory.mktemp("istanbul") / "s.db")
    collect(sources, store, CollectSettings(scope=DEMO_SCOPE))
    result = analyze(store, AnalysisSettings(single_event=True))
    store.close()
    return result


def test_the_talks_form_one_event_across_outlets(run):
    assert run.events["event_id"].nunique() == 1
    outlets = set(run.events["outlet"])
    assert {"Global Research", "Kremlin", "President of Ukraine", "Reuters", "Ukrinform"} <= outlets


def test_kyiv_chernihiv_announcement_topic_spans_sources(run):
    p = run.passages
    about = p[p.text.str.contains("Chernihiv") & p.text.str.contains("Kyiv")
              & p.text.str.contains(r"reduc|withdraw|scale|de-escalat", case=False)]
    sources_per_topic = (p[p.topic_id.isin(about.topic_id) & (p.topic_id != "")]
                         .groupby("topic_id")["outlet"].nunique())
    # Measured: the president's address and the seed share one topic; Censor.net's report
    # and the seed's Fomin quote stay apart (see the xfail in test_align_quality.py).
    assert sources_per_topic.max() >= 2


def test_seed_only_assertion_is_unique_to_the_seed(run):
    p, om = run.passages, run.omissions
    depot = p[(p.outlet == "Global Research") & p.text.str.contains("Belgorod|Krasny Oktyabr")]
    assert len(depot)
    unique = set(om[(om.kind == "unique") & (om.outlet == "Global Research")]["topic_id"])
    assert set(depot["topic_id"]) & unique


def test_seed_casualty_figure_is_unique_to_the_seed(run):
    om = run.omissions
    figures = om[(om.kind == "unique_figure") & (om.outlet == "Global Research")]
    assert figures["topic_label"].str.startswith("14,000 civilians").any()
    # The figure's sentence shares a "people killed" topic with the Ukrainian president's
    # own count (8 killed, 30 wounded): the topic is shared, the figure is not.
    assert not om[(om.kind == "unique_figure") & (om.outlet != "Global Research")][
        "topic_label"].str.contains("14,000").any()


def test_framing_signals_name_the_seed_loaded_language(run):
    f = run.framing
    loaded = f[(f.outlet == "Global Research") & (f.signal == "intensifier")]
    assert {"bizarre", "mysteriously"} & set(loaded["term"])
    sources = set(f[f.signal == "source"]["term"])
    assert any("Medinsky" in s for s in sources)
