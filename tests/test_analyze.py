"""The analysis run on a small corpus with the hashing embedder: tables, IDs, determinism."""
from __future__ import annotations

import pytest

from compare.analyze import analyze
from compare.errors import CompareError
from compare.export import export
from compare.runs import RESULT_TABLES, load_run
from corpus.collect import collect
from corpus.store import Store
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


def test_results_read_back_equal_the_run(tmp_path):
    store, run = _analysed(tmp_path)
    again = load_run(store)
    assert again.run_id == run.run_id
    for name in RESULT_TABLES:
        assert list(again.frames[name].columns) == list(run.frames[name].columns), name
        assert len(again.frames[name]) == len(run.frames[name]), name
    store.close()


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
