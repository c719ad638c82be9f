"""The real multi-outlet datasets load through the JSONL/CSV path, every article and outlet
accounted for."""
from __future__ import annotations

import csv
import json

import pytest

from corpus.collect import collect
from corpus.store import Store
from tests.shared_data import need

pytestmark = pytest.mark.real


def test_basil_every_article_and_outlet(tmp_path):
    src = need("basil/articles.jsonl")
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()]
    with Store(tmp_path / "s.db") as store:
        report = collect([str(src)], store)
        articles = store.articles()
    assert not report.failures
    assert {a.source_id for a in articles} == {r["id"] for r in rows}
    assert {a.outlet for a in articles} == {"New York Times", "Fox News", "HuffPost"}
    by_id = {a.source_id: a for a in articles}
    for row in rows:
        assert by_id[row["id"]].text == row["text"].strip()
        assert by_id[row["id"]].metadata["event_id"] == row["event_id"]


def test_ukraine_folder_every_row_accounted_for(tmp_path):
    folder = need("ukraine")
    csv.field_size_limit(2**31 - 1)
    n_rows = sum(1 for line in (folder / "istanbul_2022.jsonl").open() if line.strip())
    for name in ("kremlin_en_2021-10-24_2022-06-24.csv",
                 "president_gov_ua_en_2021-10-24_2022-06-24.csv"):
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            n_rows += sum(1 for _ in csv.DictReader(handle))
    with Store(tmp_path / "s.db") as store:
        report = collect([str(folder)], store)
        outlets = {a.outlet for a in store.articles()}
    assert not report.failures
    assert len(report.items) == n_rows
    # The slice repeats some press releases of the full CSVs: same URL, one article.
    assert report.count("stored") + report.count("duplicate") + report.count("unchanged") \
        == n_rows
    assert {"Kremlin", "President of Ukraine", "Reuters", "Ukrinform", "Censor.net",
            "Al Jazeera"} == outlets
