from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from corpus.errors import StoreError
from corpus.records import Article, ItemOutcome
from corpus.store import Store


def _article(n: int, **kw: object) -> Article:
    base = {"article_id": f"a{n}", "source_id": f"s{n}", "outlet": "Outlet", "url": f"https://x.org/{n}",
                "title": f"T{n}", "text": f"Text {n}", "content_hash": f"h{n}"}
    base.update(kw)
    return Article(**base)  # type: ignore[arg-type]


def test_add_is_idempotent_and_never_overwrites(tmp_path):
    with Store(tmp_path / "s.db") as store:
        assert store.add_article(_article(1))
        assert not store.add_article(_article(1, text="changed"))
        assert store.article("a1").text == "Text 1"
        assert store.article_count() == 1


def test_articles_keep_metadata_and_order(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.add_article(_article(2, metadata={"side": "west"}))
        store.add_article(_article(1))
        got = store.articles()
    assert [a.article_id for a in got] == ["a2", "a1"]
    assert got[0].metadata == {"side": "west"}


def test_readonly_store_missing_says_what_to_run(tmp_path):
    with pytest.raises(StoreError, match="parallax collect"):
        Store(tmp_path / "none.db", readonly=True)


def test_reader_sees_writes_while_writer_is_open(tmp_path):
    path = tmp_path / "s.db"
    writer = Store(path)
    writer.add_article(_article(1))
    reader = Store(path, readonly=True)
    writer.add_article(_article(2))
    assert reader.article_count() == 2
    reader.close()
    writer.close()


def test_item_outcomes_and_runs(tmp_path):
    with Store(tmp_path / "s.db") as store:
        run = store.start_run("collect", {"sources": ["x"]})
        store.record_item(run, ItemOutcome("http://dead", "failed", "fetch", "HTTP 404 Not Found"))
        store.finish_run(run, {"failed": 1})
        failed = store.items(outcome="failed")
        assert failed.loc[0, "reason"] == "HTTP 404 Not Found"
        assert store.runs("collect")[0]["summary"] == {"failed": 1}


def test_embedding_cache_round_trip(tmp_path):
    vectors = np.random.default_rng(0).random((3, 4), dtype=np.float32)
    with Store(tmp_path / "s.db") as store:
        store.cache_embeddings("m", ["a", "b", "c"], vectors)
        got = store.cached_embeddings("m", ["c", "a", "zz"])
    assert set(got) == {"a", "c"}
    np.testing.assert_array_equal(got["c"], vectors[2])


def test_results_replace_per_run(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.write_results("r1", {"topics": pd.DataFrame({"topic_id": ["t1"], "terms": ['["a"]']})})
        store.write_results("r1", {"topics": pd.DataFrame({"topic_id": ["t2"], "terms": ['["b"]']})})
        got = store.read_result("topics", "r1")
    assert list(got["topic_id"]) == ["t2"]
    assert got.loc[0, "terms"] == '["b"]'


def test_write_results_is_one_transaction(tmp_path):
    """A failure in the second table leaves the first table as the previous run wrote it."""
    good = {"events": pd.DataFrame({"event_id": ["e1"]}),
            "topics": pd.DataFrame({"topic_id": ["t1"]})}
    with Store(tmp_path / "s.db") as store:
        store.write_results("r1", good)
        broken = {"events": pd.DataFrame({"event_id": ["e2"]}),
                  "topics": pd.DataFrame({"topic_id": [object()]})}  # not storable
        with pytest.raises(StoreError):
            store.write_results("r1", broken)
        assert list(store.read_result("events", "r1")["event_id"]) == ["e1"]
        assert list(store.read_result("topics", "r1")["topic_id"]) == ["t1"]


def test_rows_added_in_waves_read_back_in_their_order(tmp_path):
    """An analysis adds rows wave by wave with an order key: they read back by key, then as
    inserted; a run written before the key existed reads back as inserted."""
    from corpus.store import ORDER_COLUMN

    with Store(tmp_path / "s.db") as store:
        store.write_results("old", {"topics": pd.DataFrame({"topic_id": ["b", "a"]})})
        for wave in (["t3", "t1"], ["t4", "t2"]):
            store.add_results("new", {"topics": pd.DataFrame(
                {"topic_id": wave, ORDER_COLUMN: [int(t[1]) % 2 for t in wave]})})
        assert list(store.read_result("topics", "old")["topic_id"]) == ["b", "a"]
        got = store.read_result("topics", "new")
        assert list(got.columns) == ["topic_id"]
        assert list(got["topic_id"]) == ["t4", "t2", "t3", "t1"]


def test_copied_rows_keep_their_order_under_new_keys(tmp_path):
    """Reused events' rows are copied inside the store, in the order the old run reads
    them, with the new run's keys; other events' rows and other runs are left alone."""
    old = pd.DataFrame({"event_id": ["e1", "e2", "e1", "e3"], "topic_id": ["a", "b", "c", "d"]})
    with Store(tmp_path / "s.db") as store:
        store.write_results("r1", {"topics": old})
        store.copy_results("topics", "r2", "r1", "event_id", {"e3": 0, "e1": 1})
        assert list(store.read_result("topics", "r2")["topic_id"]) == ["d", "a", "c"]
        assert list(store.read_result("topics", "r1")["topic_id"]) == ["a", "b", "c", "d"]
        assert list(store.read_result("topics", "r1", events=["e3", "e1"])["topic_id"]) == \
            ["a", "c", "d"]
        store.clear_results("r2")
        assert store.read_result("topics", "r2").empty


def test_clearing_a_run_spares_a_finished_one_and_drops_an_unfinished_trys_items(tmp_path):
    """What an unfinished try of a run id left (rows and failed items) goes; a finished run
    of that id is never emptied, even when another process starts it again."""
    from corpus.records import ItemOutcome

    with Store(tmp_path / "s.db") as store:
        for run_id in ("done", "crashed"):
            store.start_run("analyze", {}, run_id=run_id)
            store.write_results(run_id, {"topics": pd.DataFrame({"topic_id": ["t"]})},
                                keep_runs=10)
            store.record_item(run_id, ItemOutcome("e1", "failed", "facts", "boom"))
        store.finish_run("done", {})
        for run_id in ("done", "crashed"):
            store.start_run("analyze", {}, run_id=run_id)
            store.clear_results(run_id)
        assert list(store.read_result("topics", "done")["topic_id"]) == ["t"]
        assert len(store.items("done")) == 1
        assert store.read_result("topics", "crashed").empty
        assert store.items("crashed").empty


def test_passage_cache_round_trip(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.cache_passages("splitter-1", {"h1": [[0, 5, False, ""]]})
        assert store.cached_passages("splitter-1", ["h1", "h2"]) == {"h1": [[0, 5, False, ""]]}
        assert store.cached_passages("splitter-2", ["h1"]) == {}
