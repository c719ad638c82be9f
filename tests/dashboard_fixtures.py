"""A small but realistic analysis store for the dashboard tests (and a synthetic big one).

The Istanbul talks of 29 March 2022 as told by five outlets, one of them in Russian (Lenta.ru),
plus one hostile "outlet" whose text tries every injection we could think of. Sentences are
written for this fixture. Each article is a list of (fact key, sentence); the result tables
follow ``compare.schema`` and are derived from that list, so offsets, coverage, alignments and
omissions are consistent by construction.

Shape worth knowing when reading the tests:
- TASS reports first and never mentions Western scepticism: its cell there is its *closest*
  passage (the withdrawal sentence, probability 0.31), not the same fact.
- The Kyiv Independent's withdrawal sentence is a *weaker* link (0.61) and, against TASS,
  denies what the others report (relation ``negation``); its casualty count differs from
  Reuters' and Lenta.ru's (relation ``number``).
- Only Al Jazeera reports that Roman Abramovich was in the room (a one-outlet fact).
- Al Jazeera leaves out the Crimea consultation period; the Kyiv Independent leaves out
  Erdogan (its closest passage there: the neutrality sentence, 0.22).
- Default outlets (most shared facts, one per registry kind first): Reuters, Lenta.ru,
  Kyiv Independent, TASS.
- A second, smaller event (Bucha) lets the event picker choose.
"""
from __future__ import annotations

import hashlib
import math
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import pandas as pd

from compare import schema
from corpus.records import Article
from corpus.store import Store

RUN_ID = "run-test"
EVENT_ID = "ev-istanbul"
BUCHA_EVENT_ID = "ev-bucha"
HOSTILE_OUTLET = "Pwn <b>Daily</b> [x](javascript:alert(1)) ![t](http://evil.example/p.png) " \
    ":red[red] $x^2$"
SCRIPT = "<script>alert('pwned')</script>"
LENTA = "Lenta.ru"

ISTANBUL: dict[str, tuple[str, str, str, str, list[tuple[str, str]]]] = {
    # outlet: (published, url, title, language, [(fact, sentence), ...])
    "TASS": (
        "2022-03-29T09:30:00+00:00", "https://tass.com/politics/1429999",
        "Moscow decides to drastically cut military activity near Kiev", "en",
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
        "Russia promises to scale down military operations around Kyiv", "en",
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
            ("casualties", ("The United Nations says at least 1,179 civilians have been killed "
                           "in Ukraine since the invasion began.")),
        ],
    ),
    LENTA: (
        "2022-03-29T10:45:00+00:00", "https://lenta.ru/news/2022/03/29/istanbul/",
        "Россия сократит военную активность на киевском направлении", "ru",
        [
            ("withdraw", ("Минобороны России решило кардинально сократить военную активность "
                         "на киевском и черниговском направлениях, заявил Александр Фомин.")),
            ("neutral", ("Украина предложила нейтральный безъядерный статус в обмен на "
                        "гарантии безопасности, сообщил Владимир Мединский.")),
            ("crimea", "Киев предложил отдельно обсуждать статус Крыма в течение 15 лет."),
            ("erdogan", ("Президент Турции Реджеп Тайип Эрдоган открыл переговоры в Стамбуле "
                        "и призвал стороны к миру.")),
            ("casualties", ("По данным ООН, с начала операции на Украине погибли 1179 мирных "
                           "жителей.")),
        ],
    ),
    "Kyiv Independent": (
        "2022-03-29T12:00:00+00:00", "https://kyivindependent.com/istanbul-round",
        "Ukraine presents security guarantee plan in Istanbul as invasion grinds on", "en",
        [
            ("neutral", ("Ukraine's negotiators laid out a plan for neutrality backed by "
                        "binding security guarantees from several countries.")),
            ("withdraw", ("Russia claimed it would reduce attacks near Kyiv and Chernihiv, "
                         "but Ukrainian officials said the invasion forces were regrouping.")),
            ("crimea", "Kyiv suggested that talks on occupied Crimea could last 15 years."),
            ("skeptic", ("British officials said they would judge Russia by its actions, "
                        "not its words.")),
            ("casualties", ("The UN has confirmed 1,189 civilian deaths since the invasion "
                           "began.")),
        ],
    ),
    "Al Jazeera": (
        "2022-03-29T14:00:00+00:00", "https://www.aljazeera.com/news/2022/3/29/istanbul",
        "Russia pledges to cut back operations as Istanbul talks end", "en",
        [
            ("erdogan", ("Erdogan greeted the negotiators in Istanbul and called for an "
                        "immediate ceasefire.")),
            ("withdraw", ("Moscow pledged to cut back military activity around Kyiv and "
                         "Chernihiv after the talks.")),
            ("neutral", ("Kyiv floated neutrality in return for guarantees from countries "
                        "including Turkey.")),
            ("abramovich", ("Russian billionaire Roman Abramovich was seen in the room during "
                           "the opening session.")),
            ("skeptic", ('Washington said it would watch "whether Russian troops actually '
                        'leave".')),
        ],
    ),
    HOSTILE_OUTLET: (
        "2022-03-30T08:00:00+00:00", "javascript:alert('url')",
        f"Totally normal title {SCRIPT} [t](javascript:alert(2)) :red[t] $t$", "en",
        [
            ("withdraw", (f"{SCRIPT} Russia will cut back <img src=x onerror=alert(1)> "
                         "activity near Kyiv [click me](javascript:alert(1)) "
                         "![pwn](http://evil.example/x.png) :red[red] $x^2$ **bold**.")),
            ("neutral", ("<iframe src=//evil.example></iframe> Neutrality <a href='//evil'>"
                        "offered</a> | table | `code` # heading.")),
        ],
    ),
}

BUCHA: dict[str, tuple[str, str, str, str, list[tuple[str, str]]]] = {
    "Reuters": (
        "2022-04-03T07:00:00+00:00", "https://www.reuters.com/world/europe/bucha",
        "Bodies line streets of Bucha after Russian retreat", "en",
        [("bucha", ("Reporters saw bodies lying in the streets of Bucha after Russian "
                   "forces pulled back."))],
    ),
    "TASS": (
        "2022-04-03T11:00:00+00:00", "https://tass.com/politics/bucha",
        "Russian Defence Ministry calls Bucha images a provocation", "en",
        [("bucha", ("The Defence Ministry said the images from Bucha were a staged "
                   "provocation by Kiev."))],
    ),
}

# Whose passage represents each fact (the row's heading when its outlet is shown).
REPRESENTATIVE = {"withdraw": "Reuters", "neutral": "Reuters", "crimea": "TASS",
                  "erdogan": "Al Jazeera", "skeptic": "Al Jazeera", "casualties": "Reuters",
                  "abramovich": "Al Jazeera", "bucha": "Reuters"}
# (fact, outlet) -> probability of a weaker cell (verified with the row on average only).
WEAKER = {("withdraw", "Kyiv Independent"): 0.61}
# (fact, outlet) -> (the outlet's fact whose passage is its closest one, probability).
CLOSEST = {("skeptic", "TASS"): ("withdraw", 0.31),
           ("erdogan", "Kyiv Independent"): ("neutral", 0.22),
           ("crimea", "Al Jazeera"): ("neutral", 0.04)}  # below the floor: "none"
# (fact, outlet, outlet) -> how their passages differ.
DIFFER = {("withdraw", "Kyiv Independent", "TASS"): "negation",
          ("casualties", "Kyiv Independent", "Reuters"): "number",
          ("casualties", "Kyiv Independent", LENTA): "number"}
CLOSEST_FLOOR = 0.1

# (outlet, term, z_score, count): distinctive words at event level, as framing word_choice.
WORD_CHOICE = [
    ("TASS", "Kiev", 3.4, 3), ("TASS", "drastically", 2.1, 1), ("TASS", "Kyiv", -2.0, 0),
    ("Reuters", "scale down", 2.2, 1), ("Reuters", "seriousness", 1.8, 1),
    ("Kyiv Independent", "invasion", 3.1, 1), ("Kyiv Independent", "occupied", 2.6, 1),
    ("Al Jazeera", "ceasefire", 2.4, 1), ("Al Jazeera", "pledged", 1.7, 1),
    (LENTA, "Крыма", 2.8, 1), (LENTA, "на", 2.5, 4),  # too short to highlight
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
        HOSTILE_OUTLET: -0.1}  # Lenta.ru: Russian, not measured


def _hash(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]


def _label(text: str, limit: int = 110) -> str:
    """The analysis' fact label: its representative passage, cut at a word when long."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _listed(spec: Mapping[str, tuple[str, str, str, str, list[tuple[str, str]]]]
            ) -> list[tuple[str, str, str, str, str, list[tuple[str, str]]]]:
    return [(outlet, *rest) for outlet, rest in spec.items()]


def topic_id(event_id: str, fact: str) -> str:
    return f"{event_id}:{fact}"


@dataclass(frozen=True)
class _Story:
    event_id: str
    label: str
    articles: list[tuple[str, str, str, str, str, list[tuple[str, str]]]]
    representative: Mapping[str, str] = field(default_factory=dict)


def _article(outlet: str, published: str, url: str, title: str, text: str, language: str,
             n: int) -> Article:
    return Article(
        article_id=_hash("article", outlet, url, n), source_id=url, outlet=outlet, url=url,
        title=title, text=text, published=published, language=language,
        content_hash=_hash("text", text), origin="fixture",
    )


def _probability(fact: str, outlet: str, position: int, n_outlets: int) -> float:
    if n_outlets == 1:
        return math.nan
    return WEAKER.get((fact, outlet), round(0.93 - 0.04 * position, 2))


class _Builder:
    """Accumulates the rows of every result table."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rows: dict[str, list[dict]] = {name: [] for name in schema.RESULT_TABLES}

    def story(self, story: _Story) -> None:
        ev = story.event_id
        by_fact: dict[str, dict[str, dict]] = {}
        counts: dict[str, int] = {}
        for n, (outlet, published, url, title, lang, sentences) in enumerate(story.articles):
            for row in self._article(ev, story.label, outlet, published, url, title, lang,
                                     sentences, n):
                # An outlet's first passage of a fact is its cell; later ones are support.
                by_fact.setdefault(row["_fact"], {}).setdefault(outlet, row)
                counts[row["_fact"]] = counts.get(row["_fact"], 0) + 1
        outlets = list(dict.fromkeys(a[0] for a in story.articles))
        for fact, cover in by_fact.items():
            self._fact(ev, fact, cover, outlets, by_fact, story.representative, counts[fact])

    def _article(self, ev: str, label: str, outlet: str, published: str, url: str, title: str,
                 lang: str, sentences: Sequence[tuple[str, str]], n: int) -> list[dict]:
        text, spans = "", []
        for fact, sentence in sentences:
            if text:
                text += "\n\n" if len(spans) % 2 == 0 else " "
            spans.append((fact, len(text), len(text) + len(sentence)))
            text += sentence
        art = _article(outlet, published, url, title, text, lang, n)
        self.store.add_article(art)
        self.rows["events"].append({
            "article_id": art.article_id, "source_id": art.source_id, "outlet": outlet,
            "url": url, "title": title, "published": published, "language": lang,
            "duplicate_of": "", "content_hash": art.content_hash, "event_id": ev,
            "event_label": label})
        out = []
        for fact, start, end in spans:
            row = {"passage_id": _hash("passage", art.article_id, start, end),
                   "article_id": art.article_id, "source_id": url, "outlet": outlet, "url": url,
                   "event_id": ev, "topic_id": topic_id(ev, fact), "char_start": start,
                   "char_end": end, "text": text[start:end], "is_quote": False, "speaker": "",
                   "tone": TONE.get(outlet, math.nan) if lang == "en" else math.nan,
                   "language": lang, "_fact": fact}
            self.rows["passages"].append(row)
            out.append(row)
        return out

    def _fact(self, ev: str, fact: str, cover: dict[str, dict], outlets: Sequence[str],
              by_fact: Mapping[str, Mapping[str, dict]], reps: Mapping[str, str],
              n_passages: int) -> None:
        tid = topic_id(ev, fact)
        rep = cover[reps.get(fact, next(iter(cover)))]
        self.rows["topics"].append({
            "event_id": ev, "topic_id": tid, "topic_label": _label(rep["text"]),
            "terms": [], "representative_passage_id": rep["passage_id"],
            "representative_text": rep["text"], "n_passages": n_passages,
            "n_outlets": len(cover), "outlets": sorted(cover)})
        prob = {}
        for i, outlet in enumerate(outlets):
            if outlet in cover:
                prob[outlet] = _probability(fact, outlet, len(prob), len(cover))
                self.rows["coverage"].append({
                    "event_id": ev, "topic_id": tid, "outlet": outlet, "covered": True,
                    "n_passages": 1, "best_passage_id": cover[outlet]["passage_id"],
                    "similarity": 1.0 if cover[outlet] is rep else 0.8,
                    "status": "weaker" if (fact, outlet) in WEAKER else "same",
                    "probability": prob[outlet], "closest_passage_id": ""})
            else:
                self.rows["coverage"].append(self._uncovered(ev, tid, fact, outlet, by_fact))
        for a, b in combinations(sorted(cover), 2):
            relation = DIFFER.get((fact, a, b), "same")
            self.rows["alignments"].append({
                "event_id": ev, "topic_id": tid, "passage_id_a": cover[a]["passage_id"],
                "passage_id_b": cover[b]["passage_id"], "outlet_a": a, "outlet_b": b,
                "similarity": 0.81, "probability": min(prob[a], prob[b]),
                "relation": relation})
        self._omissions(ev, tid, cover, outlets)
        for outlet, row in cover.items():
            self.rows["framing"].append({
                "event_id": ev, "topic_id": tid, "outlet": outlet, "signal": "tone",
                "term": "", "value": row["tone"], "z_score": None, "count": 1,
                "passage_ids": [row["passage_id"]], "detail": "VADER"})

    @staticmethod
    def _uncovered(ev: str, tid: str, fact: str, outlet: str,
                   by_fact: Mapping[str, Mapping[str, dict]]) -> dict:
        near = CLOSEST.get((fact, outlet))
        base = {"event_id": ev, "topic_id": tid, "outlet": outlet, "covered": False,
                "n_passages": 0, "best_passage_id": ""}
        if near is None:
            return {**base, "similarity": None, "status": "none", "probability": None,
                    "closest_passage_id": ""}
        other, p = near
        return {**base, "similarity": 0.3, "probability": p,
                "status": "closest" if p >= CLOSEST_FLOOR else "none",
                "closest_passage_id": by_fact[other][outlet]["passage_id"]}

    def _omissions(self, ev: str, tid: str, cover: Mapping[str, dict],
                   outlets: Sequence[str]) -> None:
        """The analysis' rule: an outlet omits a fact more than half of the other outlets (and
        at least two) report; a fact one outlet alone reports is unique to it."""
        label = _label(next(iter(cover.values()))["text"])
        for outlet in outlets:
            kind = ""
            if outlet not in cover and len(cover) >= 2 and len(cover) / (len(outlets) - 1) > 0.5:
                kind = "omitted"
            elif outlet in cover and len(cover) == 1 and len(outlets) > 1:
                kind = "unique"
            if kind:
                self.rows["omissions"].append({
                    "event_id": ev, "outlet": outlet, "topic_id": tid, "topic_label": label,
                    "kind": kind, "n_outlets_reporting": len(cover),
                    "n_outlets_in_event": len(outlets)})

    def framing(self, event_id: str) -> None:
        """The event-level framing rows of the Istanbul fixture."""
        pid_of = {(p["outlet"], p["topic_id"]): p["passage_id"] for p in self.rows["passages"]}
        add = self.rows["framing"].append
        for outlet, term, z, count in WORD_CHOICE:
            add({"event_id": event_id, "topic_id": "", "outlet": outlet,
                 "signal": "word_choice", "term": term, "value": z / 10, "z_score": z,
                 "count": count, "passage_ids": [], "detail": "log-odds vs other outlets"})
        for outlet, fact, term, detail in SUBSTITUTIONS:
            tid = topic_id(event_id, fact)
            add({"event_id": event_id, "topic_id": tid, "outlet": outlet,
                 "signal": "substitution", "term": term, "value": 1.0, "z_score": None,
                 "count": 1, "passage_ids": [pid_of.get((outlet, tid), "")], "detail": detail})
        for outlet, signal, term, count in WORD_SIGNALS:
            add({"event_id": event_id, "topic_id": "", "outlet": outlet, "signal": signal,
                 "term": term, "value": float(count), "z_score": None, "count": count,
                 "passage_ids": [], "detail": f"in {count} passages"})
        for outlet, speaker, count in SOURCES:
            add({"event_id": event_id, "topic_id": "", "outlet": outlet, "signal": "source",
                 "term": speaker, "value": float(count), "z_score": None, "count": count,
                 "passage_ids": [], "detail": "quoted or paraphrased"})

    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: schema.frame(name, rows) for name, rows in self.rows.items()}


def _write_run(store: Store, frames: Mapping[str, pd.DataFrame], params: dict,
               summary: dict) -> None:
    store.start_run("analyze", params, run_id=RUN_ID)
    store.write_results(RUN_ID, {name: schema.encode(name, frame)
                                 for name, frame in frames.items()})
    store.finish_run(RUN_ID, summary)


def build_store(path: Path, *, analyze: bool = True) -> Path:
    """Write the Istanbul fixture store at ``path``; without ``analyze`` only the articles."""
    with Store(path) as store:
        builder = _Builder(store)
        builder.story(_Story(EVENT_ID, "Russia-Ukraine talks in Istanbul", _listed(ISTANBUL),
                             REPRESENTATIVE))
        builder.story(_Story(BUCHA_EVENT_ID, "Bucha", _listed(BUCHA), REPRESENTATIVE))
        builder.framing(EVENT_ID)
        if analyze:
            _write_run(store, builder.frames(), {"embedder": "hashing:512", "threshold": 0.6},
                       {"events": 2, "model": "hashing:512"})
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
                         f"https://example.org/{i}", f"Article {i}", "en", sentences))
    with Store(path) as store:
        builder = _Builder(store)
        builder.story(_Story(EVENT_ID, "Synthetic event", articles))
        builder.rows["framing"] += [
            {"event_id": EVENT_ID, "topic_id": "", "outlet": outlet, "signal": "word_choice",
             "term": f"word{k}", "value": 0.1, "z_score": 4.0 - k * 0.2, "count": 3,
             "passage_ids": [], "detail": "log-odds vs other outlets"}
            for outlet in outlets for k in range(30)]
        _write_run(store, builder.frames(), {"embedder": "hashing:512"}, {"events": 1})
    return path


# --- The real dashboard in a real browser (Playwright with Debian's Chromium) ---------------

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync",
                "--disable-quic"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@contextmanager
def serve(store_path: Path) -> Iterator[str]:
    """``streamlit run dashboard/app.py`` over ``store_path`` on a free 127.0.0.1 port; yields
    its URL and stops it afterwards."""
    from compare.workflows import dashboard_command

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {k: v for k, v in os.environ.items() if k != "PARALLAX_STORE"}
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(dashboard_command(Path(store_path), port=port, host="127.0.0.1"), cwd=root,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    raise RuntimeError(f"streamlit did not start: {out[-2000:]}") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_idle(page: Any) -> None:
    """Wait until the app has finished its run (the page shows its final state)."""
    page.wait_for_selector(IDLE, state="attached")
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, state="attached")


APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")


def open_app(store_path: Path, monkeypatch: Any, **params: str) -> Any:
    """The dashboard app run once by Streamlit's AppTest over ``store_path`` with these URL
    parameters; fails the test when the script raised."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PARALLAX_STORE", str(store_path))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at
