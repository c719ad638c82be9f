"""A small but realistic analysis store for the dashboard tests (and a synthetic big one).

The Istanbul talks of 29 March 2022 as told by four outlets plus one hostile "outlet" whose
text tries every injection we could think of. Sentences are written for this fixture. Each
article is a list of (topic key, sentence); the result tables follow DESIGN.md and are derived
from that list, so offsets, coverage, alignments and omissions are consistent by construction.

Shape worth knowing when reading the tests:
- TASS reports first and never mentions Western scepticism ("skeptic" is omitted by TASS).
- Only Al Jazeera reports that Roman Abramovich was in the room (a "unique" topic).
- Al Jazeera leaves out the Crimea consultation period; Kyiv Independent leaves out Erdogan.
- A second, smaller event (Bucha) lets the event picker choose.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import pandas as pd

from corpus.records import Article
from corpus.store import Store

RUN_ID = "run-test"
EVENT_ID = "ev-istanbul"
BUCHA_EVENT_ID = "ev-bucha"
HOSTILE_OUTLET = "Pwn <b>Daily</b>"
SCRIPT = "<script>alert('pwned')</script>"

TOPIC_LABELS = {
    "withdraw": "Russia to scale back military activity near Kyiv and Chernihiv",
    "neutral": "Ukraine offers neutrality for security guarantees",
    "crimea": "Crimea's status left to 15 years of talks",
    "erdogan": "Erdogan opens the talks and calls for a ceasefire",
    "skeptic": "Western officials doubt Moscow's sincerity",
    "abramovich": "Roman Abramovich attends the talks",
    "bucha": "Bodies found in Bucha after Russian withdrawal",
}

ISTANBUL: dict[str, tuple[str, str, str, list[tuple[str, str]]]] = {
    # outlet: (published, url, title, [(topic, sentence), ...])
    "TASS": (
        "2022-03-29T09:30:00+00:00", "https://tass.com/politics/1429999",
        "Moscow decides to drastically cut military activity near Kiev",
        [
            ("withdraw", ("Russia's Defence Ministry decided to drastically reduce military "
                         "activity near Kiev and Chernigov, deputy minister Alexander Fomin "
                         "said.")),
            ("neutral", ("The Kiev delegation handed over written proposals on a neutral, "
                        "non-nuclear status, head of the Russian delegation Vladimir Medinsky "
                        "said.")),
            ("crimea", ("Kiev proposed to discuss the status of Crimea separately over fifteen "
                       "years, Medinsky told reporters.")),
            ("erdogan", ("Turkish President Recep Tayyip Erdogan welcomed the delegations at "
                        "the Dolmabahce office and urged progress.")),
        ],
    ),
    "Reuters": (
        "2022-03-29T10:15:00+00:00", "https://www.reuters.com/world/europe/istanbul-talks",
        "Russia promises to scale down military operations around Kyiv",
        [
            ("erdogan", ("Turkish President Tayyip Erdogan opened the talks in Istanbul, telling "
                        "both sides it was up to them to stop the tragedy.")),
            ("withdraw", ("Russia promised to scale down military operations around Kyiv and "
                         "Chernihiv to build trust, Deputy Defence Minister Alexander Fomin "
                         "said.")),
            ("neutral", ("Ukraine proposed adopting neutral status in exchange for security "
                        "guarantees, meaning it would not join military alliances.")),
            ("crimea", ("Under the proposals, Crimea's status would be discussed over a "
                       "15-year period, Ukrainian negotiator Oleksandr Chaly said.")),
            ("skeptic", ("U.S. Secretary of State Antony Blinken said he had seen no sign of "
                        "real seriousness from Moscow.")),
        ],
    ),
    "Kyiv Independent": (
        "2022-03-29T12:00:00+00:00", "https://kyivindependent.com/istanbul-round",
        "Ukraine presents security guarantee plan in Istanbul as invasion grinds on",
        [
            ("neutral", ("Ukraine's negotiators laid out a plan for neutrality backed by "
                        "binding security guarantees from several countries.")),
            ("withdraw", ("Russia claimed it would reduce attacks near Kyiv and Chernihiv, "
                         "but Ukrainian officials said the invasion forces were regrouping.")),
            ("crimea", "Kyiv suggested that talks on occupied Crimea could last 15 years."),
            ("skeptic", ("British officials said they would judge Russia by its actions, "
                        "not its words.")),
        ],
    ),
    "Al Jazeera": (
        "2022-03-29T14:00:00+00:00", "https://www.aljazeera.com/news/2022/3/29/istanbul",
        "Russia pledges to cut back operations as Istanbul talks end",
        [
            ("erdogan", ("Erdogan greeted the negotiators in Istanbul and called for an "
                        "immediate ceasefire.")),
            ("withdraw", ("Moscow pledged to cut back military activity around Kyiv and "
                         "Chernihiv after the talks.")),
            ("neutral", ("Kyiv floated neutrality in return for guarantees from countries "
                        "including Turkey.")),
            ("abramovich", ("Russian billionaire Roman Abramovich was seen in the room during "
                           "the opening session.")),
            ("skeptic", "Washington said it would watch whether Russian troops actually left."),
        ],
    ),
    HOSTILE_OUTLET: (
        "2022-03-30T08:00:00+00:00", "javascript:alert('url')",
        f"Totally normal title {SCRIPT}",
        [
            ("withdraw", (f"{SCRIPT} Russia will cut back <img src=x onerror=alert(1)> "
                         "activity near Kyiv [click me](javascript:alert(1)) "
                         "![pwn](http://evil.example/x.png) :red[red] $x^2$ **bold**.")),
            ("neutral", ("<iframe src=//evil.example></iframe> Neutrality <a href='//evil'>"
                        "offered</a> | table | `code` # heading.")),
        ],
    ),
}

BUCHA: dict[str, tuple[str, str, str, list[tuple[str, str]]]] = {
    "Reuters": (
        "2022-04-03T07:00:00+00:00", "https://www.reuters.com/world/europe/bucha",
        "Bodies line streets of Bucha after Russian retreat",
        [("bucha", ("Reporters saw bodies lying in the streets of Bucha after Russian "
                   "forces pulled back."))],
    ),
    "TASS": (
        "2022-04-03T11:00:00+00:00", "https://tass.com/politics/bucha",
        "Russian Defence Ministry calls Bucha images a provocation",
        [("bucha", ("The Defence Ministry said the images from Bucha were a staged "
                   "provocation by Kiev."))],
    ),
}

# (outlet, term, z_score, count): distinctive words at event level, as framing word_choice.
WORD_CHOICE = [
    ("TASS", "Kiev", 3.4, 3), ("TASS", "drastically", 2.1, 1), ("TASS", "Kyiv", -2.0, 0),
    ("Reuters", "scale down", 2.2, 1), ("Reuters", "seriousness", 1.8, 1),
    ("Kyiv Independent", "invasion", 3.1, 1), ("Kyiv Independent", "occupied", 2.6, 1),
    ("Al Jazeera", "ceasefire", 2.4, 1), ("Al Jazeera", "pledged", 1.7, 1),
    (HOSTILE_OUTLET, "<script>", 2.0, 1),
]
SUBSTITUTIONS = [
    ("TASS", "withdraw", "Kiev", "others say: Kyiv"),
    ("TASS", "withdraw", "Chernigov", "others say: Chernihiv"),
    ("Kyiv Independent", "withdraw", "attacks", "others say: military activity"),
]
SOURCES = [
    ("TASS", "Vladimir Medinsky", 2), ("TASS", "Alexander Fomin", 1),
    ("Reuters", "Alexander Fomin", 1), ("Reuters", "Antony Blinken", 1),
    ("Reuters", "Oleksandr Chaly", 1), ("Kyiv Independent", "Ukrainian officials", 1),
]
# (outlet, signal, term, count): how claims are attributed, hedged and intensified.
WORD_SIGNALS = [
    ("Kyiv Independent", "attribution_verb", "claimed", 1),
    ("Reuters", "attribution_verb", "said", 2),
    ("TASS", "attribution_verb", "told reporters", 1), ("Al Jazeera", "hedge", "whether", 1),
]
TONE = {"TASS": 0.2, "Reuters": 0.0, "Kyiv Independent": -0.4, "Al Jazeera": 0.1,
        HOSTILE_OUTLET: -0.1}


def _hash(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class _Story:
    event_id: str
    label: str
    articles: list[tuple[str, str, str, str, list[tuple[str, str]]]]


def _listed(spec: dict[str, tuple[str, str, str, list[tuple[str, str]]]]
            ) -> list[tuple[str, str, str, str, list[tuple[str, str]]]]:
    return [(outlet, *rest) for outlet, rest in spec.items()]


def _article(outlet: str, published: str, url: str, title: str, text: str, n: int) -> Article:
    return Article(
        article_id=_hash("article", outlet, url, n), source_id=url, outlet=outlet, url=url,
        title=title, text=text, published=published, language="en",
        content_hash=_hash("text", text), origin="fixture",
    )


def _tables(stories: Sequence[_Story], store: Store) -> dict[str, pd.DataFrame]:
    """Write the articles and derive every DESIGN.md result table from the sentence lists."""
    events, passages, topics, coverage, aligns, omissions, framing = ([] for _ in range(7))
    for story in stories:
        ev = story.event_id
        by_topic: dict[str, dict[str, list[dict]]] = {}
        for n, (outlet, published, url, title, sentences) in enumerate(story.articles):
            text, spans = "", []
            for topic, sentence in sentences:
                if text:
                    text += "\n\n" if len(spans) % 2 == 0 else " "
                spans.append((topic, len(text), len(text) + len(sentence)))
                text += sentence
            art = _article(outlet, published, url, title, text, n)
            store.add_article(art)
            events.append({
                "article_id": art.article_id, "source_id": art.source_id, "outlet": outlet,
                "url": url, "title": title, "published": published, "language": "en",
                "duplicate_of": "", "content_hash": art.content_hash, "event_id": ev,
                "event_label": story.label,
            })
            for topic, start, end in spans:
                row = {
                    "passage_id": _hash("passage", art.article_id, start, end),
                    "article_id": art.article_id, "source_id": url, "outlet": outlet, "url": url,
                    "event_id": ev, "topic_id": f"{ev}:{topic}", "char_start": start,
                    "char_end": end, "text": text[start:end], "is_quote": False, "speaker": "",
                    "tone": TONE.get(outlet, 0.0),
                }
                passages.append(row)
                by_topic.setdefault(topic, {}).setdefault(outlet, []).append(row)
        outlets = list(dict.fromkeys(a[0] for a in story.articles))
        for topic, cover in by_topic.items():
            tid = f"{ev}:{topic}"
            first = next(iter(cover.values()))[0]
            topics.append({
                "event_id": ev, "topic_id": tid, "topic_label": TOPIC_LABELS[topic],
                "terms": json.dumps(TOPIC_LABELS[topic].lower().split()[:4]),
                "representative_passage_id": first["passage_id"],
                "representative_text": first["text"], "n_passages": sum(map(len, cover.values())),
                "n_outlets": len(cover), "outlets": json.dumps(sorted(cover)),
            })
            for i, outlet in enumerate(outlets):
                rows = cover.get(outlet, [])
                coverage.append({
                    "event_id": ev, "topic_id": tid, "outlet": outlet, "covered": bool(rows),
                    "n_passages": len(rows),
                    "best_passage_id": rows[0]["passage_id"] if rows else "",
                    "similarity": round(0.93 - 0.07 * i, 2) if rows else None,
                })
                kind = ""
                if not rows and len(cover) * 2 >= len(outlets):
                    kind = "omitted"
                elif rows and len(cover) == 1 and len(outlets) > 1:
                    kind = "unique"
                if kind:
                    omissions.append({
                        "event_id": ev, "outlet": outlet, "topic_id": tid,
                        "topic_label": TOPIC_LABELS[topic], "kind": kind,
                        "n_outlets_reporting": len(cover), "n_outlets_in_event": len(outlets),
                    })
            for a, b in combinations(sorted(cover), 2):
                aligns.append({
                    "event_id": ev, "topic_id": tid, "passage_id_a": cover[a][0]["passage_id"],
                    "passage_id_b": cover[b][0]["passage_id"], "outlet_a": a, "outlet_b": b,
                    "similarity": 0.81,
                })
            for outlet, rows in cover.items():
                framing.append({
                    "event_id": ev, "topic_id": tid, "outlet": outlet, "signal": "tone",
                    "term": "", "value": TONE.get(outlet, 0.0), "z_score": None, "count": len(rows),
                    "passage_ids": json.dumps([r["passage_id"] for r in rows]), "detail": "VADER",
                })
    pid_of = {(p["outlet"], p["topic_id"]): p["passage_id"] for p in passages}
    for outlet, term, z, count in WORD_CHOICE:
        framing.append({
            "event_id": EVENT_ID, "topic_id": "", "outlet": outlet, "signal": "word_choice",
            "term": term, "value": z / 10, "z_score": z, "count": count, "passage_ids": "[]",
            "detail": "log-odds vs other outlets",
        })
    for outlet, topic, term, detail in SUBSTITUTIONS:
        tid = f"{EVENT_ID}:{topic}"
        framing.append({
            "event_id": EVENT_ID, "topic_id": tid, "outlet": outlet, "signal": "substitution",
            "term": term, "value": 1.0, "z_score": None, "count": 1,
            "passage_ids": json.dumps([pid_of.get((outlet, tid), "")]), "detail": detail,
        })
    for outlet, signal, term, count in WORD_SIGNALS:
        framing.append({
            "event_id": EVENT_ID, "topic_id": "", "outlet": outlet, "signal": signal,
            "term": term, "value": float(count), "z_score": None, "count": count,
            "passage_ids": "[]", "detail": f"in {count} passages",
        })
    for outlet, speaker, count in SOURCES:
        framing.append({
            "event_id": EVENT_ID, "topic_id": "", "outlet": outlet, "signal": "source",
            "term": speaker, "value": float(count), "z_score": None, "count": count,
            "passage_ids": "[]", "detail": "quoted or paraphrased",
        })
    return {
        "events": pd.DataFrame(events), "passages": pd.DataFrame(passages),
        "topics": pd.DataFrame(topics), "coverage": pd.DataFrame(coverage),
        "alignments": pd.DataFrame(aligns), "omissions": pd.DataFrame(omissions),
        "framing": pd.DataFrame(framing),
    }


def build_store(path: Path, *, analyze: bool = True) -> Path:
    """Write the Istanbul fixture store at ``path``; without ``analyze`` only the articles."""
    stories = [
        _Story(EVENT_ID, "Russia-Ukraine talks in Istanbul", _listed(ISTANBUL)),
        _Story(BUCHA_EVENT_ID, "Bucha", _listed(BUCHA)),
    ]
    with Store(path) as store:
        frames = _tables(stories, store)
        if analyze:
            params = {"embedder": "hashing:512", "threshold": 0.6}
            store.start_run("analyze", params, run_id=RUN_ID)
            store.write_results(RUN_ID, frames)
            store.finish_run(RUN_ID, {"events": 2, "model": "hashing:512"})
    return path


def build_synthetic_store(path: Path, n_articles: int = 1000, n_outlets: int = 12,
                          n_topics: int = 30) -> Path:
    """One event of ``n_articles`` articles spread over outlets, for the benchmark."""
    outlets = [f"Outlet {i:02d}" for i in range(n_outlets)]
    articles = []
    for i in range(n_articles):
        outlet = outlets[i % n_outlets]
        # Outlet 00 never reports the last topic, so empty cells and omissions appear.
        sentences = [
            (f"t{(i + k) % n_topics}", (f"Sentence {k} of article {i} from {outlet} on topic "
                                       f"{(i + k) % n_topics} with some words about the talks."))
            for k in range(8) if not (outlet == outlets[0] and (i + k) % n_topics == n_topics - 1)
        ]
        articles.append((outlet, f"2022-03-{1 + i % 27:02d}T10:00:00+00:00",
                         f"https://example.org/{i}", f"Article {i}", sentences))
    for k in range(n_topics):
        TOPIC_LABELS.setdefault(f"t{k}", f"Synthetic topic {k}")
    with Store(path) as store:
        frames = _tables([_Story(EVENT_ID, "Synthetic event", articles)], store)
        words = pd.DataFrame([
            {"event_id": EVENT_ID, "topic_id": "", "outlet": outlet, "signal": "word_choice",
             "term": f"word{k}", "value": 0.1, "z_score": 4.0 - k * 0.2, "count": 3,
             "passage_ids": "[]", "detail": "log-odds vs other outlets"}
            for outlet in outlets for k in range(30)
        ])
        frames["framing"] = pd.concat([frames["framing"], words], ignore_index=True)
        store.start_run("analyze", {"embedder": "hashing:512"}, run_id=RUN_ID)
        store.write_results(RUN_ID, frames)
        store.finish_run(RUN_ID, {"events": 1})
    return path
