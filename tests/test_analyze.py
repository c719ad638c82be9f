"""The analysis run on a small corpus with the hashing embedder: tables, IDs, determinism."""
from __future__ import annotations

import pytest

from compare.analyze import analyze
from compare.errors import CompareError, NoAnalysisError
from compare.export.writer import export
from compare.runs import RESULT_TABLES, AnalysisRun, describe_run, load_run
from compare.settings import AnalysisSettings
from corpus.collect import collect
from corpus.store import KEEP_RESULT_RUNS, Store
from tests.analysis_fixture import write_records

REQUIRED = {
    "events": ["article_id", "source_id", "outlet", "url", "published", "event_id",
               "event_label"],
    "passages": ["passage_id", "article_id", "source_id", "outlet", "event_id", "topic_id",
                 "char_start", "char_end", "text"],
    "alignments": ["event_id", "topic_id", "passage_id_a", "passage_id_b", "outlet_a",
                   "outlet_b", "similarity"],
}


def _analysed(tmp_path, name="s.db"):
    store = Store(tmp_path / name)
    collect([str(write_records(tmp_path))], store)
    return store, analyze(store, embedder="hashing:512")


def test_events_split_the_talks_from_the_earthquake(tmp_path):
    store, run = _analysed(tmp_path)
    events = run.events.set_index("source_id")["event_id"]
    assert events["talks-0"] == events["talks-1"] == events["talks-2"] == events["talks-3"]
    assert events["quake-0"] == events["quake-1"] != events["talks-0"]
    store.close()


def test_passage_offsets_and_provenance(tmp_path):
    store, run = _analysed(tmp_path)
    texts = {a.article_id: a.text for a in store.articles()}
    for row in run.passages.itertuples():
        assert texts[row.article_id][row.char_start : row.char_end] == row.text
    assert run.provenance["model"] == "hashing:512"
    assert len(run.provenance["inputs"]) == 6
    store.close()


def test_coverage_is_complete_and_unique_facts_are_found(tmp_path):
    store, run = _analysed(tmp_path)
    talks = run.events.loc[run.events.source_id == "talks-0", "event_id"].iloc[0]
    cov = run.coverage[run.coverage.event_id == talks]
    n_topics = run.topics[run.topics.event_id == talks].shape[0]
    assert len(cov) == n_topics * 4  # every topic x every outlet of the event
    unique = run.omissions[(run.omissions.kind == "unique") & (run.omissions.event_id == talks)]
    depot = run.passages[run.passages.text.str.contains("ammunition depot")]
    assert depot.iloc[0]["topic_id"] in set(unique.loc[unique.outlet == "Opinion Weekly",
                                                       "topic_id"])
    store.close()


def test_the_summary_line_says_what_an_omission_is(tmp_path):
    store, run = _analysed(tmp_path)
    line = describe_run(run)
    n = int((run.omissions["kind"] == "omitted").sum())
    if n:
        assert f"{n} omission" in line
    else:
        assert "no outlet left out facts most other outlets of the event report" in line
    none = AnalysisRun(run.run_id, run.provenance,
                       dict(run.frames, omissions=run.omissions.iloc[:0]))
    assert "no outlet left out" in describe_run(none) and "0 omissions" not in describe_run(none)
    store.close()


def test_results_read_back_equal_the_run(tmp_path):
    store, run = _analysed(tmp_path)
    again = load_run(store)
    store.close()  # the run reads its tables when first used, after its store is closed
    assert again.run_id == run.run_id
    for name in RESULT_TABLES:
        assert again.frames[name].equals(run.frames[name]), name
    # The summary was counted in the store, without the tables: the same as from them.
    assert run.summary() == AnalysisRun(run.run_id, run.provenance, dict(run.frames)).summary()
    assert run.summary()["passages"] == len(run.passages) > 0


def test_same_input_gives_identical_ids_and_exports(tmp_path):
    outputs = []
    for n in range(2):
        folder = tmp_path / f"run{n}"
        folder.mkdir()
        store, run = _analysed(folder)
        files = {}
        for what in ("articles", *RESULT_TABLES):
            for fmt in ("csv", "jsonl"):
                path, _ = export(store, what, fmt, folder / f"{what}.{fmt}")
                files[path.name] = path.read_bytes()
        outputs.append((run.run_id, files))
        store.close()
    (id_a, files_a), (id_b, files_b) = outputs
    assert id_a == id_b
    # collected_at differs between the two collections; everything else must be identical.
    files_a.pop("articles.csv"), files_b.pop("articles.csv")
    files_a.pop("articles.jsonl"), files_b.pop("articles.jsonl")
    assert files_a == files_b


def test_events_analysed_in_waves_give_the_same_tables(tmp_path, monkeypatch):
    import compare.waves

    for name in ("whole", "waves"):
        (tmp_path / name).mkdir()
    store, whole = _analysed(tmp_path / "whole")
    store.close()
    # One event a wave: each wave's vectors are read from the cache and framed alone.
    monkeypatch.setattr(compare.waves, "WAVE_PASSAGES", 1)
    store, waves = _analysed(tmp_path / "waves")
    store.close()
    assert whole.events["event_id"].nunique() > 1
    assert waves.run_id == whole.run_id
    for name in RESULT_TABLES:
        assert waves.frames[name].equals(whole.frames[name]), name


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_exports_have_the_documented_columns(tmp_path, fmt):
    import pandas as pd

    store, _ = _analysed(tmp_path)
    for what, columns in REQUIRED.items():
        path, rows = export(store, what, fmt, tmp_path / f"{what}.{fmt}")
        frame = {"csv": pd.read_csv, "parquet": pd.read_parquet,
                 "jsonl": lambda p: pd.read_json(p, lines=True)}[fmt](path)
        assert rows == len(frame)
        if rows or fmt != "jsonl":  # an empty JSONL file has no place for column names
            assert set(columns) <= set(frame.columns), what
        assert (tmp_path / f"{what}.{fmt}.provenance.json").exists()
    store.close()


def test_empty_store_says_what_to_run(tmp_path):
    with Store(tmp_path / "s.db") as store, pytest.raises(CompareError, match="parallax collect"):
        analyze(store, embedder="hashing:512")


def _extra_records(folder):
    """A third event (a flood) and one more article on the earthquake."""
    import json

    rows = [
        {"id": "flood-0", "outlet": "Wire Service", "url": "https://o0.example/flood",
         "title": "Floods in Porto Alegre", "published": "2022-09-01",
         "text": "Heavy rain flooded Porto Alegre on Thursday, forcing 3,000 people from their "
                 "homes.\n\nThe river rose two metres overnight."},
        {"id": "quake-2", "outlet": "Opinion Weekly", "url": "https://o3.example/quake",
         "title": "Chile earthquake", "published": "2022-07-10",
         "text": "A 6.1 earthquake shook central Chile on Sunday, damaging homes in Talca."},
    ]
    path = folder / "extra.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _exports(store, folder):
    files = {}
    for what in RESULT_TABLES:
        path, _ = export(store, what, "csv", folder / f"{what}.csv")
        files[what] = path.read_bytes()
    return files


def test_unchanged_store_and_settings_return_the_finished_run(tmp_path):
    store, run = _analysed(tmp_path)
    again = analyze(store, embedder="hashing:512")
    assert again.run_id == run.run_id and again.work == {"reused_run": 1}
    # Its summary is the one the run recorded: a large run is not read back to say it.
    assert describe_run(again) == describe_run(run)
    assert again.summary() == run.summary() == store.latest_run()["summary"]
    assert not again.frames._read
    store.close()


def test_adding_articles_recomputes_only_the_events_they_touch(tmp_path):
    """An incremental run equals a cold run on the same articles, byte for byte, and embeds
    and splits only the new articles."""
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    store, first = _analysed(tmp_path / "a")
    collect([str(_extra_records(tmp_path))], store)
    second = analyze(store, embedder="hashing:512")
    assert second.work["events_reused"] == 1  # the talks
    assert second.work["events_recomputed"] == 2  # the earthquake (one more article), the flood
    assert second.work["articles_split"] == 2
    assert second.work["texts_embedded"] == 3  # the new passages (lite: one encoder serves both)
    talks = first.events.loc[first.events.source_id == "talks-0", "event_id"].iloc[0]
    before = first.topics[first.topics.event_id == talks]["topic_id"].tolist()
    assert second.topics[second.topics.event_id == talks]["topic_id"].tolist() == before
    incremental = _exports(store, tmp_path / "a")
    store.close()
    cold = Store(tmp_path / "b" / "s.db")
    collect([str(write_records(tmp_path / "b")), str(_extra_records(tmp_path / "b"))], cold)
    full = analyze(cold, embedder="hashing:512")
    assert full.run_id == second.run_id
    assert _exports(cold, tmp_path / "b") == incremental
    cold.close()


def test_changed_settings_reuse_split_passages_and_embeddings(tmp_path):
    from compare.settings import AnalysisSettings

    store, _ = _analysed(tmp_path)
    changed = analyze(store, AnalysisSettings(alignment={"candidates": 2}),
                      embedder="hashing:512")
    assert changed.work["articles_split"] == 0 and changed.work["texts_embedded"] == 0
    assert changed.work["events_recomputed"] == 2 and changed.work["events_reused"] == 0
    store.close()


def test_a_framing_setting_reframes_the_kept_facts_and_equals_a_cold_run(tmp_path):
    """Changing only framing parameters keeps every event's fact rows, coverage, alignments
    and omissions (nothing split, embedded or matched) and recomputes the framing table; the
    result equals a cold run with that setting, byte for byte."""
    from compare.settings import AnalysisSettings

    reframe = AnalysisSettings(framing={"top_terms": 3, "z_threshold": 0.5})
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    store, first = _analysed(tmp_path / "a")
    second = analyze(store, reframe, embedder="hashing:512")
    assert second.work["events_recomputed"] == 0 and second.work["texts_embedded"] == 0
    assert second.work["events_reused"] == second.work["events_reframed"] == 2
    assert not second.framing.equals(first.framing)
    kept = _exports(store, tmp_path / "a")
    store.close()
    cold_store = Store(tmp_path / "b" / "s.db")
    collect([str(write_records(tmp_path / "b"))], cold_store)
    cold = analyze(cold_store, reframe, embedder="hashing:512")
    assert cold.work["events_recomputed"] == 2 and cold.run_id == second.run_id
    assert _exports(cold_store, tmp_path / "b") == kept
    cold_store.close()


def test_the_returned_run_reads_its_tables_from_an_open_closed_or_in_memory_store(tmp_path):
    """``analyze`` returns tables read from the store on first use: through the store while
    it is open (an in-memory store too), from its file once it is closed."""
    memory = Store(":memory:")
    collect([str(write_records(tmp_path))], memory)
    in_memory = analyze(memory, embedder="hashing:512")
    store, run = _analysed(tmp_path)
    store.close()
    assert len(in_memory.passages) == len(run.passages) > 0
    for name in RESULT_TABLES:
        assert run.frames[name].drop(columns="run_id", errors="ignore").equals(
            in_memory.frames[name].drop(columns="run_id", errors="ignore"))
    memory.close()


def test_a_run_pruned_from_the_store_says_so_instead_of_reading_empty(tmp_path):
    store, first = _analysed(tmp_path)
    for terms in range(5, 5 + KEEP_RESULT_RUNS):  # framing-only changes: quick, new run ids
        analyze(store, AnalysisSettings(framing={"top_terms": terms}), embedder="hashing:512")
    with pytest.raises(NoAnalysisError, match="no longer in"):
        first.frames["passages"]
    store.close()


def test_the_run_id_changes_with_any_column_the_rows_carry(tmp_path):
    """A title, URL or source id fixed on re-import is a new run (the rows carry them), not
    the old run returned as if nothing changed."""
    from compare.analyze import Encoders, articles_frame, run_identity

    with Store(tmp_path / "s.db") as store:
        collect([str(write_records(tmp_path))], store)
        articles = articles_frame(store.articles(), store)
    settings = AnalysisSettings()
    encoders = Encoders.for_settings(settings, "hashing:512")
    before = run_identity(articles, settings, encoders)
    assert run_identity(articles.copy(), settings, encoders) == before
    for column, value in (("title", "Corrected headline"), ("url", "https://o9.example/x"),
                          ("source_id", "other-feed")):
        changed = articles.copy()
        changed.loc[0, column] = value
        assert run_identity(changed, settings, encoders) != before, column


def test_a_run_another_process_finished_meanwhile_is_returned_not_redone(tmp_path,
                                                                           monkeypatch):
    """Two analyses of the same inputs: the one that finds the run finished only after
    marking it started returns it, and its rows stay as they were."""
    import compare.analyze as module

    store, run = _analysed(tmp_path)
    rows = len(run.passages)
    real, calls = module._finished, []

    def late(store, run_id):  # the first look happens before the other process finished
        calls.append(run_id)
        return None if len(calls) == 1 else real(store, run_id)

    monkeypatch.setattr(module, "_finished", late)
    again = analyze(store, embedder="hashing:512")
    assert len(calls) == 2 and again.work == {"reused_run": 1}
    assert len(load_run(store, run.run_id).passages) == rows
    store.close()
