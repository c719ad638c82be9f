"""Data that does not fit one SQLite file (issue 25, item 5): ``analyze --articles DATASET
--out FOLDER`` reads a Parquet dataset of articles and writes every result table as Parquet
partitioned by event; ``export`` and ``status`` open the folder like a store (the dashboard:
tests/test_dashboard.py).

The corpus is ``analysis_fixture``'s two events plus an outlet that carries the wire story word
for word, so that the hashing embedder aligns passages across outlets."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from compare import schema
from compare.datasets.analysis import analyze_dataset
from compare.datasets.folder import open_readonly, write_result_folder
from compare.errors import CompareError
from compare.export.writer import EXPORTABLE, export, table, to_bytes
from corpus.collect import collect
from corpus.store import Store
from tests.analysis_fixture import QUAKE, TALKS

ROOT = Path(__file__).resolve().parents[1]
LITE = "hashing:512"
# What the folder adds to the run's provenance: where the articles came from, and when.
FOLDER_KEYS = {"source", "written_at"}
WHEN = {"analyzed_at"}


def parallax(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "compare.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def _records() -> list[dict[str, str]]:
    rows = [{"id": f"talks-{n}", "outlet": outlet, "url": f"https://o{n}.example/talks",
             "title": "Istanbul talks", "published": "2022-03-29", "text": text}
            for n, (outlet, text) in enumerate(TALKS.items())]
    rows.append({"id": "talks-copy", "outlet": "Copy Desk", "url": "https://copy.example/talks",
                 "title": "Istanbul talks", "published": "2022-03-30",
                 "text": TALKS["Wire Service"].rsplit("\n\n", 1)[0]})
    rows += [{"id": f"quake-{n}", "outlet": outlet, "url": f"https://o{n}.example/quake",
              "title": "Chile earthquake", "published": "2022-07-10", "text": text}
             for n, (outlet, text) in enumerate(QUAKE.items())]
    return rows


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> dict[str, Path]:
    """A store collected and analysed as usual, its articles exported to Parquet, and that
    dataset analysed into a result folder."""
    folder = tmp_path_factory.mktemp("datasets")
    records = folder / "records.jsonl"
    records.write_text("\n".join(json.dumps(r) for r in _records()) + "\n", encoding="utf-8")
    with Store(folder / "s.db") as store:
        collect([str(records)], store)
        from compare.analyze import analyze

        run = analyze(store, embedder=LITE)
        export(store, "articles", "parquet", folder / "articles.parquet")
    assert len(run.alignments) >= 2 and run.events["event_id"].nunique() == 2
    done = analyze_dataset(folder / "articles.parquet", folder / "out", embedder=LITE)
    assert done.run.run_id == run.run_id and not done.imported.failures
    return {"store": folder / "s.db", "dataset": folder / "articles.parquet",
            "out": folder / "out"}


def _exports(store) -> dict[str, tuple[bytes, dict]]:
    return {what: (to_bytes(frame, "csv", {}), provenance)
            for what in EXPORTABLE for frame, provenance in [table(store, what)]}


def test_export_from_the_folder_equals_export_from_the_store(analysed, tmp_path):
    # A copy without the working store: the Parquet tables are what is read.
    copy = tmp_path / "copy"
    shutil.copytree(analysed["out"], copy, ignore=shutil.ignore_patterns("_store.db*"))
    with Store(analysed["store"], readonly=True) as store, open_readonly(copy) as folder:
        stored, read_back = _exports(store), _exports(folder)
    for what in EXPORTABLE:
        assert read_back[what][0] == stored[what][0], what
        (_, from_store), (_, from_folder) = stored[what], read_back[what]
        if what == "articles":
            assert from_folder["inputs"] == from_store["inputs"]
            continue
        assert set(from_folder) - set(from_store) == FOLDER_KEYS
        # The same run (id, parameters, models, inputs), analysed at its own time.
        assert {k: v for k, v in from_folder.items() if k not in {*FOLDER_KEYS, *WHEN}} == \
            {k: v for k, v in from_store.items() if k not in WHEN}
    assert from_folder["source"] == str(analysed["dataset"])


def test_every_table_is_partitioned_by_event_with_the_provenance_in_its_schema(analysed):
    out = analysed["out"]
    with Store(analysed["store"], readonly=True) as store:
        run = store.latest_run()
    events = {f"event_id={e}" for e in pd.read_parquet(out / "events")["event_id"]}
    assert len(events) == 2
    for name in schema.RESULT_TABLES:
        partitions = {p.name for p in (out / name).iterdir()}
        assert partitions <= events and partitions, name
        for file in (out / name).glob("event_id=*/*.parquet"):
            meta = pq.read_schema(file).metadata
            provenance = json.loads(meta[b"parallax.provenance"])
            assert provenance["run_id"] == run["run_id"] == \
                json.loads(meta[b"parallax.run"])["run_id"]
            assert provenance["parameters"] == run["params"]["parameters"]
            assert provenance["parallax_version"] and provenance["written_at"]
            assert provenance["source"] == str(analysed["dataset"])
            assert "inputs" not in provenance  # one row each in articles/, not in every file
    assert [p.name for p in (out / "articles").iterdir()] == ["part-0.parquet"]
    # Any Parquet reader gets the export's columns, typed, and the event from the folder name.
    passages = ds.dataset(out / "passages", partitioning="hive").to_table()
    assert set(passages.column_names) == {"run_id", *schema.columns("passages")}
    assert passages.schema.field("is_quote").type == pa.bool_()
    topics = pd.read_parquet(out / "topics")
    assert all(isinstance(list(t), list) and len(t) for t in topics["outlets"])


def test_a_second_run_reuses_the_first_and_follows_the_dataset(analysed, tmp_path):
    again = analyze_dataset(analysed["dataset"], analysed["out"], embedder=LITE)
    assert again.run.work == {"reused_run": 1} and not again.imported.changed
    # A dataset without the quake, read through a URL, partitioned by outlet: the folder
    # follows the dataset (the quake is gone), the talks event is reused, not recomputed.
    frame = pd.read_parquet(analysed["dataset"])
    smaller = tmp_path / "smaller"
    pq.write_to_dataset(pa.Table.from_pandas(frame[~frame["title"].str.contains("quake")],
                                             preserve_index=False),
                        smaller, partition_cols=["outlet"])
    out = tmp_path / "out"
    shutil.copytree(analysed["out"], out)
    done = analyze_dataset(smaller.as_uri(), out, embedder=LITE)
    assert done.imported.changed and done.run.work["events_reused"] == 1
    assert done.run.work["events_recomputed"] == 0
    with open_readonly(out) as folder:
        events = table(folder, "events")[0]
        assert not events["title"].str.contains("quake").any() and len(events) == 5
        assert folder.article_count() == 5


def test_rows_that_are_no_article_are_reported_and_the_rest_analysed(analysed, tmp_path):
    frame = pd.read_parquet(analysed["dataset"])
    bad = pd.concat([frame, frame.iloc[[0]], frame.iloc[[1]].assign(text="  ", article_id="x"),
                     frame.iloc[[2]].assign(outlet="", article_id="y")], ignore_index=True)
    dataset = tmp_path / "bad.parquet"
    bad.to_parquet(dataset)
    out = tmp_path / "out"
    done = parallax("analyze", "--articles", str(dataset), "--out", str(out), "--lite")
    assert done.returncode == 0, done.stderr
    failed = [line for line in done.stderr.splitlines() if line.startswith("failed")]
    n = len(frame)
    assert failed == [
        (f"failed  {dataset}#{n + 1} [read]: article_id {frame['article_id'][0]} was already "
         "read in row 1"),
        f"failed  {dataset}#{n + 2} [read]: no text",
        f"failed  {dataset}#{n + 3} [read]: no outlet"]
    assert f"{n} articles (stored), 3 rows failed" in done.stdout
    status = parallax("status", "--store", str(out))
    assert status.returncode == 0 and "3 failed items:" in status.stdout
    assert "[read]: no text" in status.stdout
    with open_readonly(out) as folder:
        assert len(table(folder, "events")[0]) == n


def test_a_dataset_without_a_needed_column_is_one_readable_line(tmp_path):
    dataset = tmp_path / "titles.parquet"
    pd.DataFrame({"article_id": ["a"], "url": ["https://a.example/1"], "title": ["A"],
                  "published": ["2022-03-29"]}).to_parquet(dataset)
    done = parallax("analyze", "--articles", str(dataset), "--out", str(tmp_path / "out"),
                    "--lite")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        (f"parallax: the articles dataset {dataset} has no column outlet, text: a dataset of "
         "articles needs article_id, outlet, url, title, published, text (as `parallax export "
         "articles --format parquet` writes them); source_id, language, duplicate_of, "
         "duplicate_kind, author, site_name, content_hash, origin, collected_at are optional")]
    assert not (tmp_path / "out").exists()


def test_mistakes_with_the_folder_are_one_readable_line(analysed, tmp_path):
    others = tmp_path / "others"
    others.mkdir()
    (others / "notes.txt").write_text("mine", encoding="utf-8")
    cases = [
        (("analyze", "--articles", str(analysed["dataset"])), "go together"),
        (("analyze", "--articles", str(analysed["dataset"]), "--out", str(others)),
         "holds other files"),
        (("analyze", "--articles", str(tmp_path / "none"), "--out", str(tmp_path / "o")),
         "no articles dataset at"),
        (("export", "passages", "--store", str(analysed["out"]),
          "--out", str(analysed["out"] / "passages" / "x.parquet")), "in the result folder"),
        (("export", "passages", "--store", str(others), "--out", str(tmp_path / "p.csv")),
         "not a result folder"),
        (("analyze", "--store", str(analysed["out"]), "--lite"), "is a result folder"),
    ]
    for args, words in cases:
        done = parallax(*args)
        assert done.returncode != 0 and words in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert [p.name for p in others.iterdir()] == ["notes.txt"]
    with pytest.raises(CompareError, match="overlap"):
        analyze_dataset(analysed["out"].parent, analysed["out"] / "inner", embedder=LITE)


def test_a_stores_run_written_as_a_folder_reads_back_as_that_run(analysed, tmp_path):
    with Store(analysed["store"], readonly=True) as store:
        folder = write_result_folder(store, tmp_path / "results")
        expected = _exports(store)
    with open_readonly(folder) as results:
        assert {w: b for w, (b, _) in _exports(results).items()} == \
            {w: b for w, (b, _) in expected.items()}
        assert results.latest_run()["params"]["source"] == str(analysed["store"])
