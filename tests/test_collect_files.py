"""Collection from local files: records (JSONL/CSV), text, folders, bad records, duplicates."""
from __future__ import annotations

import json

from corpus.collect import CollectSettings, EventScope, collect, normalise_date
from corpus.ids import canonical_url
from corpus.store import Store

WIRE = (
    "Russia said on Tuesday it would drastically reduce military activity around Kyiv and "
    "Chernihiv to boost trust in peace talks held in Istanbul, while Ukraine proposed a "
    "neutral status in exchange for security guarantees from a group of countries including "
    "Turkey, Britain, France and the United States. The head of the Russian delegation, "
    "Vladimir Medinsky, said the talks had been constructive and that proposals would be "
    "passed to President Putin. Western officials said they would judge Moscow by its actions."
)


def _jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _row(n, **kw):
    row = {"id": f"r{n}", "outlet": "Daily Example", "url": f"https://daily.example/{n}",
           "title": f"Story {n}", "published": "2022-03-29",
           "text": f"Story number {n} about a different happening in town {n}.", "extra": n}
    row.update(kw)
    return row


def test_jsonl_records_keep_source_id_and_extra_fields(tmp_path):
    src = _jsonl(tmp_path / "a.jsonl", [_row(1), _row(2)])
    with Store(tmp_path / "s.db") as store:
        report = collect([str(src)], store)
        arts = store.articles()
    assert report.count("stored") == 2
    assert [a.source_id for a in arts] == ["r1", "r2"]
    assert arts[0].metadata == {"extra": 1}
    assert arts[0].published == "2022-03-29"


def test_bad_lines_are_recorded_and_the_run_goes_on(tmp_path):
    src = tmp_path / "b.jsonl"
    src.write_bytes(b'{"id": "ok", "text": "A fine record with text."}\n'
                    b'{"id": broken json\n'
                    b'{"id": "empty", "text": ""}\n'
                    b'\xff\xfe not utf8\n'
                    b'[1, 2]\n')
    with Store(tmp_path / "s.db") as store:
        report = collect([str(src)], store)
        failed = store.items(outcome="failed")
    assert report.count("stored") == 1
    assert len(report.failures) == 4
    reasons = " | ".join(failed["reason"])
    assert "not valid JSON" in reasons and "no text" in reasons and "not UTF-8" in reasons
    assert list(failed["source"]) == [f"{src}#2", f"{src}#3", f"{src}#4", f"{src}#5"]


def test_csv_with_other_column_names(tmp_path):
    src = tmp_path / "k.csv"
    src.write_text("link,headline,date,body\n"
                   "http://en.kremlin.ru/events/1,Talks,2022-03-29T19:40:00Z,\"Putin spoke, "
                   "at length, about the talks.\"\n", encoding="utf-8")
    with Store(tmp_path / "s.db") as store:
        collect([str(src)], store)
        (art,) = store.articles()
    assert art.outlet == "Kremlin"  # named from the domain through the registry
    assert art.title == "Talks" and art.published == "2022-03-29T19:40:00Z"
    assert art.source_id == "http://en.kremlin.ru/events/1"


def test_outlet_given_as_domain_is_resolved_and_kept(tmp_path):
    src = _jsonl(tmp_path / "a.jsonl", [_row(1, outlet="reuters.com")])
    with Store(tmp_path / "s.db") as store:
        collect([str(src)], store)
        (art,) = store.articles()
    assert art.outlet == "Reuters"
    assert art.metadata["outlet_given"] == "reuters.com"


def test_second_collection_adds_nothing(tmp_path):
    src = _jsonl(tmp_path / "a.jsonl", [_row(1), _row(2)])
    with Store(tmp_path / "s.db") as store:
        collect([str(src)], store)
        before = [a.to_dict() for a in store.articles()]
        again = collect([str(src)], store)
        assert again.count("unchanged") == 2 and again.count("stored") == 0
        assert [a.to_dict() for a in store.articles()] == before


def test_syndicated_copies_are_kept_and_linked(tmp_path):
    rows = [
        _row(1, outlet="Wire", text=WIRE),
        _row(2, outlet="Paper A", text=WIRE),
        _row(3, outlet="Paper B", text="KYIV (Wire) - " + WIRE.replace("Tuesday", "Tuesday,")
             + " Paper B contributed reporting."),
        _row(4, outlet="Paper C", text="A different story entirely: " + WIRE[::-1]),
    ]
    src = _jsonl(tmp_path / "a.jsonl", rows)
    with Store(tmp_path / "s.db") as store:
        report = collect([str(src)], store)
        arts = {a.outlet: a for a in store.articles()}
    assert report.count("duplicate") == 2
    original = arts["Wire"].article_id
    assert (arts["Paper A"].duplicate_of, arts["Paper A"].duplicate_kind) == (original, "exact")
    assert (arts["Paper B"].duplicate_of, arts["Paper B"].duplicate_kind) == (original, "near")
    assert arts["Paper C"].duplicate_of == ""


def test_folder_with_text_and_paperwork(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "story.txt").write_text("Talks in Istanbul\n\nDelegations met on Tuesday.",
                                      encoding="utf-8")
    french = ("Les délégations russe et ukrainienne se sont rencontrées mardi à Istanbul. "
              "La Russie a annoncé qu'elle réduirait considérablement son activité militaire "
              "près de Kyiv et de Tchernihiv, une décision accueillie avec prudence à l'étranger.")
    (folder / "latin1.txt").write_bytes(f"Négociations à Istanbul\n\n{french}".encode("latin-1"))
    (folder / "README.txt").write_text("About this folder", encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    with Store(tmp_path / "s.db") as store:
        report = collect([str(folder)], store, CollectSettings(outlet="My Paper"))
        arts = {a.title: a for a in store.articles()}
    assert set(arts) == {"Talks in Istanbul", "Négociations à Istanbul"}
    assert arts["Talks in Istanbul"].outlet == "My Paper"
    assert [f.reason for f in report.failures] == ["file is empty"]


def test_missing_and_unknown_sources_fail_readably(tmp_path):
    odd = tmp_path / "x.docx"
    odd.write_bytes(b"PK")
    with Store(tmp_path / "s.db") as store:
        report = collect([str(tmp_path / "nope.jsonl"), str(odd)], store)
    reasons = [f.reason for f in report.failures]
    assert "no such file" in reasons[0]
    assert "unknown file type '.docx'" in reasons[1]


def test_event_scope_keeps_only_matching_articles(tmp_path):
    rows = [_row(1, text="Talks in Istanbul went on."), _row(2, published="2022-01-01",
            text="Talks in Istanbul, earlier."), _row(3, text="Football results.")]
    src = _jsonl(tmp_path / "a.jsonl", rows)
    scope = EventScope(keywords=("istanbul",), since="2022-03-28", until="2022-03-31")
    with Store(tmp_path / "s.db") as store:
        report = collect([str(src)], store, CollectSettings(scope=scope))
    assert report.count("stored") == 1
    reasons = [i.reason for i in report.items if i.outcome == "out_of_scope"]
    assert "before the event window" in reasons[0] and "keywords" in reasons[1]


def test_dates_and_urls_normalise():
    assert normalise_date("2022-03-29") == "2022-03-29"
    assert normalise_date("Tue, 29 Mar 2022 17:20:00 +0300") == "2022-03-29T14:20:00Z"
    assert normalise_date("not a date") == ""
    assert canonical_url("http://www.Reuters.com/a/?utm_source=x&b=1#frag") == \
        "https://reuters.com/a?b=1"


def test_an_unknown_outlet_is_one_outlet_on_its_mobile_and_amp_hosts():
    from corpus.outlets import default_resolver, host_of

    resolver = default_resolver()
    names = {resolver.outlet_for(u) for u in ("https://m.example-news.org/a",
                                              "https://www.example-news.org/b",
                                              "https://amp.example-news.org/c",
                                              "https://example-news.org/d")}
    assert names == {"example-news.org"}
    assert host_of("https://m.co/x") == "m.co"  # a two-label domain stays whole
    assert host_of("https://en.kremlin.ru/events/1") == "en.kremlin.ru"  # not a presentation
    assert resolver.outlet_for("https://amp.theguardian.com/world/x") == "The Guardian"
