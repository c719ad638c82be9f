"""What an analyst gets from ``parallax export`` (issue 10): aligned passages that read on their
own, the side by side as a table, and files Excel opens with every language intact.

The corpus is written for these tests: wire copy that several outlets carry almost word for
word (in English and in Russian) beside sentences only one outlet has, so that even the fast
hashing embedder links passages across outlets."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from compare import schema
from compare.analyze import analyze
from compare.errors import CompareError
from compare.export.sidebyside import (
    FACT_COLUMNS,
    TOLD_DIFFERENTLY,
    side_by_side_table,
    told_differently,
)
from compare.export.writer import EXPORTABLE, export, table, to_bytes
from compare.runs import load_run
from corpus.collect import collect
from corpus.store import Store

ROOT = Path(__file__).resolve().parents[1]
NEW_ALIGNMENT_COLUMNS = [
    "article_id_a", "article_id_b", "url_a", "url_b", "title_a", "title_b", "published_a",
    "published_b", "language_a", "language_b", "text_a", "text_b", "fact_label"]

WIRE = [
    ("Russia will sharply reduce military activity near Kyiv and Chernihiv, deputy defence "
     "minister Alexander Fomin said on Tuesday after the talks in Istanbul."),
    ("Ukraine proposed adopting a neutral status in exchange for security guarantees from "
     "several countries, negotiator David Arakhamia told reporters."),
    ("The delegations agreed that presidents Putin and Zelenskiy could meet once a draft treaty "
     "is ready."),
]
RU = [
    ("Россия резко сократит военную активность на киевском и черниговском направлениях, заявил "
     "замминистра обороны Александр Фомин после переговоров в Стамбуле."),
    ("Украина предложила принять нейтральный статус в обмен на гарантии безопасности от "
     "нескольких стран, сообщил переговорщик Давид Арахамия."),
]
STORIES = {
    "Wire Service": ("Istanbul talks", [*WIRE, ("The United States said it would judge Moscow "
                                         "by its actions, not its words.")]),
    "Capital Daily": ("Istanbul talks", [WIRE[0], WIRE[1].replace("told reporters", "said"),
                                         ("Civilians in Mariupol remained trapped by the brutal "
                                          "siege of the port city.")]),
    "State Herald": ("Istanbul talks", [WIRE[0].replace("sharply", "drastically"), WIRE[2],
                                        ("An ammunition depot in Belgorod exploded on Tuesday, "
                                         "injuring four soldiers.")]),
    "ТАСС": ("Переговоры в Стамбуле", [*RU, "Мединский назвал переговоры конструктивными."]),
    "Известия": ("Переговоры в Стамбуле", [RU[0], RU[1].replace("сообщил", "заявил"),
                                          "Погода в Стамбуле была солнечной."]),
}


def parallax(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "compare.cli", *args], check=False,
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("export-tables")
    rows = [{"id": f"a{n}", "outlet": outlet, "url": f"https://o{n}.example/talks",
             "title": title, "published": "2022-03-29", "text": "\n\n".join(sentences)}
            for n, (outlet, (title, sentences)) in enumerate(STORIES.items())]
    records = folder / "records.jsonl"
    records.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                       encoding="utf-8")
    path = folder / "s.db"
    with Store(path) as store:
        collect([str(records)], store)
        run = analyze(store, embedder="hashing:512")
    assert len(run.alignments) >= 3, "the fixture must give aligned passages"
    assert set(run.alignments["outlet_a"]) & {"ТАСС", "Известия"}, "and Russian ones"
    return path


@pytest.fixture
def store(analysed):
    with Store(analysed, readonly=True) as db:
        yield db


# -- alignments ----------------------------------------------------------------------------

def test_alignments_read_on_their_own(store):
    frame, provenance = table(store, "alignments")
    assert list(frame.columns) == ["run_id", *schema.columns("alignments"),
                                   *NEW_ALIGNMENT_COLUMNS]
    assert len(frame) >= 3 and provenance["table"] == "alignments"
    run = load_run(store)
    articles = {a.article_id: a for a in store.articles()}
    passages = run.passages.set_index("passage_id")
    labels = dict(zip(run.topics["topic_id"], run.topics["topic_label"], strict=True))
    for row in frame.to_dict("records"):
        for side in ("a", "b"):
            passage = passages.loc[row[f"passage_id_{side}"]]
            article = articles[row[f"article_id_{side}"]]
            assert passage["article_id"] == article.article_id
            assert row[f"text_{side}"] == article.text[passage["char_start"]:passage["char_end"]]
            assert row[f"url_{side}"] == article.url
            assert row[f"title_{side}"] == article.title
            assert row[f"published_{side}"] == article.published
            assert row[f"outlet_{side}"] == article.outlet
        assert row["fact_label"] == (labels[row["topic_id"]] if row["topic_id"] else "")
        assert row["language_a"] == row["language_b"] in {"en", "ru"}


def test_alignments_to_pandas_in_one_command(analysed, tmp_path):
    done = parallax("export", "alignments", "--store", str(analysed),
                    "--out", str(tmp_path / "aligned.parquet"))
    assert done.returncode == 0, done.stderr
    frame = pd.read_parquet(tmp_path / "aligned.parquet")
    with Store(analysed, readonly=True) as db:
        expected, _ = table(db, "alignments")
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)
    assert "Известия" in set(frame["outlet_b"])


# -- spreadsheets --------------------------------------------------------------------------

def test_alignments_to_excel_in_one_command(analysed, tmp_path):
    out = tmp_path / "aligned.xlsx"
    done = parallax("export", "alignments", "--format", "xlsx", "--out", str(out),
                    "--store", str(analysed))
    assert done.returncode == 0, done.stderr
    with Store(analysed, readonly=True) as db:
        expected, _ = table(db, "alignments")
    book = load_workbook(out)
    assert book.sheetnames == ["alignments", "provenance"]
    sheet = book["alignments"]
    header = [c.value for c in sheet[1]]
    assert header == list(expected.columns)
    assert all(c.font.b for c in sheet[1]) and sheet.freeze_panes == "A2"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == len(expected)
    for got, want in zip(rows, expected.to_dict("records"), strict=True):
        for name, value in zip(header, got, strict=True):
            if isinstance(want[name], float):
                assert value == pytest.approx(want[name]), name
            else:  # Excel has no empty-string cell: an empty value reads back as None
                assert (value if value is not None else "") == want[name], name  # nothing cut
    text_col = header.index("text_a") + 1
    assert sheet.cell(row=2, column=text_col).alignment.wrap_text
    assert any("Россия резко сократит" in str(v) for row in rows for v in row)
    provenance = {r[0].value: r[1].value for r in book["provenance"].iter_rows(min_row=2)}
    assert provenance["run_id"] == expected["run_id"].iloc[0]
    assert provenance["format"] == "xlsx" and provenance["rows"] == len(expected)
    assert provenance["table"] == "alignments" and "parameters.verifier.threshold" in provenance


def test_every_table_exports_to_xlsx(store, tmp_path):
    for what in EXPORTABLE:
        path, rows = export(store, what, out=tmp_path / f"{what}.xlsx")
        frame = pd.read_excel(path, sheet_name=0)
        assert len(frame) == rows, what
        assert list(frame.columns) == list(table(store, what)[0].columns), what


def test_xlsx_keeps_text_as_text(tmp_path):
    frame = pd.DataFrame({"text": ["=HYPERLINK(\"http://x\")", "Україна\x07 заявила", None],
                          "terms": [["мир", "talks"], [], ["a"]], "value": [1.5, math.nan, 2]})
    path = tmp_path / "t.xlsx"
    path.write_bytes(to_bytes(frame, "xlsx", {"table": "framing", "run_id": "r"}))
    sheet = load_workbook(path)["framing"]
    cells = [[c for c in row] for row in sheet.iter_rows(min_row=2)]
    assert cells[0][0].value == "=HYPERLINK(\"http://x\")" and cells[0][0].data_type == "s"
    assert cells[1][0].value == "Україна заявила"  # a control character Excel refuses, dropped
    assert cells[2][0].value is None and cells[1][2].value is None
    assert json.loads(cells[0][1].value) == ["мир", "talks"]


def test_excel_csv_has_a_byte_order_mark(store, tmp_path):
    plain, _ = export(store, "alignments", out=tmp_path / "plain.csv")
    excel, _ = export(store, "alignments", out=tmp_path / "excel.csv", excel=True)
    assert not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    assert excel.read_bytes().startswith(b"\xef\xbb\xbf")
    read = pd.read_csv(excel, encoding="utf-8-sig", keep_default_na=False)
    assert next(iter(read.columns)) == "run_id"
    assert read["text_a"].tolist() == pd.read_csv(plain, keep_default_na=False)["text_a"].tolist()
    assert any(t.startswith("Россия") for t in read["text_a"])
    with pytest.raises(CompareError, match="--excel applies to CSV"):
        export(store, "alignments", out=tmp_path / "x.xlsx", excel=True)


# -- side by side --------------------------------------------------------------------------

def test_side_by_side_has_one_row_per_fact(store):
    run = load_run(store)
    for event_id in run.events["event_id"].unique():
        facts = run.topics[run.topics["event_id"] == event_id]
        outlets = sorted(run.events.loc[run.events["event_id"] == event_id, "outlet"])
        frame = side_by_side_table(run, event_id=event_id)
        assert len(frame) == len(facts) and set(frame["fact_id"]) == set(facts["topic_id"])
        assert list(frame.columns[:5]) == list(FACT_COLUMNS)
        shown = list(frame.columns[5:-1:2])
        assert sorted(shown) == outlets
        assert list(frame.columns[6:-1:2]) == [f"{o} probability" for o in shown]
        assert frame.columns[-1] == TOLD_DIFFERENTLY
        assert frame["n_outlets"].is_monotonic_decreasing
        assert frame["n_outlets"].iloc[0] >= 2
        coverage = run.coverage.set_index(["topic_id", "outlet"])
        texts = run.passages.set_index("passage_id")["text"]
        for row in frame.to_dict("records"):
            assert row["n_outlets"] == sum(bool(row[o]) for o in shown)
            for outlet in shown:
                cell = coverage.loc[(row["fact_id"], outlet)]
                if cell["covered"]:
                    assert row[outlet] == texts[cell["best_passage_id"]]
                else:
                    assert row[outlet] == "" and math.isnan(row[f"{outlet} probability"])


def test_side_by_side_chosen_outlets_and_shared_facts_only(store):
    run = load_run(store)
    event_id = run.events.loc[run.events["outlet"] == "State Herald", "event_id"].iloc[0]
    frame = side_by_side_table(run, event_id=event_id, outlets=["State Herald", "Wire Service"],
                               include_single=False)
    assert list(frame.columns[5:]) == ["State Herald", "State Herald probability",
                                       "Wire Service", "Wire Service probability",
                                       TOLD_DIFFERENTLY]
    assert len(frame) >= 1 and (frame["n_outlets"] == 2).all()
    assert (frame["State Herald"] != "").all() and (frame["Wire Service"] != "").all()
    assert frame["State Herald probability"].notna().all()
    with pytest.raises(CompareError, match="no event 'ev_nope'"):
        side_by_side_table(run, event_id="ev_nope")


def test_told_differently_is_one_line_per_odd_outlet_and_relation():
    assert told_differently([]) == []
    assert told_differently([("A", "B", "negation")]) == [
        "Told differently by A and B: one denies it"]
    # One outlet with another count than three others: one line, not three.
    assert told_differently([("A", "B", "number"), ("C", "A", "number"), ("A", "D", "number"),
                             ("B", "C", "date"), ("B", "A", "number")]) == [
        "Told differently by A, against B, C and D: differ on the number",
        "Told differently by B and C: different date"]
    # No outlet shared: each pair is its own line; an unknown relation is still said.
    assert told_differently([("A", "B", "number"), ("C", "D", "number"),
                             ("A", "C", "tense")]) == [
        "Told differently by A and B: differ on the number",
        "Told differently by C and D: differ on the number",
        "Told differently by A and C: differ (tense)"]


def test_side_by_side_says_which_shown_outlets_tell_a_fact_differently(tmp_path):
    from dashboard_fixtures import EVENT_ID, LENTA, build_store, topic_id

    with Store(build_store(tmp_path / "differ.db"), readonly=True) as db:
        run = load_run(db)
    frame = side_by_side_table(run, event_id=EVENT_ID).set_index("fact_id")
    said = frame[TOLD_DIFFERENTLY]
    assert said[topic_id(EVENT_ID, "casualties")] == (
        f"Told differently by Kyiv Independent, against {LENTA} and Reuters: differ on the "
        "number")
    assert said[topic_id(EVENT_ID, "withdraw")] == (
        "Told differently by Kyiv Independent and TASS: one denies it")
    assert (said.drop([topic_id(EVENT_ID, "casualties"), topic_id(EVENT_ID, "withdraw")])
            == "").all()
    # Only the shown outlets' differences: without Reuters and Lenta.ru, none about the toll.
    shown = side_by_side_table(run, event_id=EVENT_ID,
                               outlets=["Kyiv Independent", "TASS", "Al Jazeera"])
    said = shown.set_index("fact_id")[TOLD_DIFFERENTLY]
    assert said.get(topic_id(EVENT_ID, "casualties"), "") == ""
    assert said[topic_id(EVENT_ID, "withdraw")].endswith("one denies it")


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl", "xlsx"])
def test_side_by_side_export_in_every_format(analysed, tmp_path, fmt):
    with Store(analysed, readonly=True) as db:
        run = load_run(db)
    event_id = run.events.loc[run.events["outlet"] == "ТАСС", "event_id"].iloc[0]
    out = tmp_path / f"sbs.{fmt}"
    done = parallax("export", "side-by-side", "--format", fmt, "--out", str(out),
                    "--event", event_id, "--store", str(analysed))
    assert done.returncode == 0, done.stderr
    read = {"csv": pd.read_csv, "parquet": pd.read_parquet, "xlsx": pd.read_excel,
            "jsonl": lambda p: pd.read_json(p, lines=True)}[fmt](out)
    n_facts = int((run.topics["event_id"] == event_id).sum())
    assert len(read) == n_facts and set(read["event_id"]) == {event_id}
    assert list(read.columns[:6]) == ["run_id", *FACT_COLUMNS]
    assert {"ТАСС", "ТАСС probability", "Известия", "Известия probability"} <= set(read.columns)
    assert read["fact_label"].str.contains("Россия резко").any()
    sidecar = json.loads((tmp_path / f"sbs.{fmt}.provenance.json").read_text(encoding="utf-8"))
    assert sidecar["table"] == "side-by-side" and sidecar["event_id"] == event_id


def test_unknown_event_is_one_line(analysed, tmp_path):
    for what in ("side-by-side", "alignments"):
        done = parallax("export", what, "--event", "ev_nope", "--store", str(analysed),
                        cwd=tmp_path)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "no event 'ev_nope'" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_event_keeps_one_events_rows(store):
    run = load_run(store)
    event_id = run.events.loc[run.events["outlet"] == "ТАСС", "event_id"].iloc[0]
    frame, provenance = table(store, "alignments", event_id=event_id)
    assert len(frame) >= 1 and set(frame["event_id"]) == {event_id}
    assert len(frame) == int((run.alignments["event_id"] == event_id).sum())
    assert provenance["event_id"] == event_id


def test_export_starts_light(analysed, tmp_path):
    code = ("import sys\nfrom compare.cli import main\n"
            f"sys.argv = ['parallax', 'export', 'alignments', '--store', {str(analysed)!r}, "
            f"'--out', {str(tmp_path / 'a.csv')!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = ('torch', 'sklearn', 'sentence_transformers', 'openpyxl', 'scipy')\n"
            "print('heavy:' + ','.join(m for m in heavy if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "heavy:"
    assert (tmp_path / "a.csv").exists()
