"""One wave of an analysis: the events of about ``WAVE_PASSAGES`` passages, worked and written
together, so that the driver holds one wave's passages, vectors and result rows at a time.

``compare.analyze`` cuts the events it recomputes into waves (``article_waves``) and, for each,
calls ``wave_tables``: the wave's articles split into passages (read back from the passage
cache), embedded into the embedding cache, toned, matched event by event (``event_facts``, run
by the engine) and framed. ``RowOrder`` gives every row the key it is read back by, so the
order of a run's rows never depends on the waves; ``reframe`` frames reused events again when
only the framing parameters changed (docs/scale.md#a-bounded-driver).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compare import schema
from compare.cache import tones
from compare.embed.embedders import Embedder, cached_vectors, fill_cache
from compare.embed.scales import reads_minilm
from compare.engine import Engine, EventJob
from compare.facts.event_tables import EventFacts, fact_tables, omission_rows
from compare.facts.match import SameFactMatcher
from compare.facts.numbers import unique_figures
from compare.facts.rows import FactBuilder
from compare.facts.signals import passage_signals
from compare.facts.verifier import Verifier, pair_probability
from compare.framing.signals import FramingSettings, framing_signals
from compare.settings import AnalysisSettings
from compare.text.passages import split_cached
from corpus.store import ORDER_COLUMN, Store

if TYPE_CHECKING:
    from compare.analyze import Encoders, Stages

# Passages per wave of events: the driver holds one wave's passages, vectors and result rows
# at a time (docs/scale.md#a-bounded-driver).
WAVE_PASSAGES = 100_000


def wave_tables(store: Store, articles: pd.DataFrame, events: pd.DataFrame,
                settings: AnalysisSettings, encoders: Encoders, verifier: Verifier,
                framing: FramingSettings, timer: Stages, progress: bool, engine: Engine
                ) -> dict[str, pd.DataFrame]:
    """Every result table's rows of the events of ``articles`` (one wave): split, embedded
    (the cache filled), toned, matched and framed."""
    with timer.stage("split"):
        passages, _ = split_cached(store, articles, map_texts=engine.map_texts)
        passages = _with_event_columns(passages, events)
    with timer.stage("embed"):
        _embed(passages, encoders, store, engine, timer.work, progress)
        # VADER reads English only: other languages' tone is "not measured" (NaN), never 0.
        measured = np.flatnonzero(passages["language"].to_numpy() == "en")
        passages["tone"] = np.nan
        passages.loc[passages.index[measured], "tone"] = np.round(
            tones(store, passages["text"].iloc[measured].tolist(), engine.map_texts), 4)
    with timer.stage("match"):
        tables = _per_event(passages, *_vectors(passages, encoders, store), settings,
                            verifier, engine, timer.failed, progress)
        del passages
    with timer.stage("framing"):
        figures = unique_figures(tables["passages"], tables["topics"])
        tables["omissions"] = pd.concat(
            [tables["omissions"], schema.frame("omissions", figures)], ignore_index=True)
        tables["framing"] = schema.frame("framing", framing_signals(
            tables["passages"], tables["alignments"], settings=framing))
    return tables


def reframe(store: Store, run_id: str, previous: str, reused: set[str], order: RowOrder,
             framing: FramingSettings, timer: Stages) -> None:
    """The framing rows of the reused events, framed again from the previous run's passages
    and alignments (the framing parameters changed), one wave of events at a time."""
    counted = store.aggregate_result("passages", previous, "event_id, COUNT(*)",
                                     group_by="event_id")
    waves = event_waves(pd.Series({e: n for e, n in counted if e in reused}, dtype="int64"))
    for _, members in waves.groupby(waves, sort=True):
        wave = list(members.index)
        with timer.stage("framing"):
            passages = schema.decode("passages", store.read_result("passages", previous, wave))
            pairs = schema.decode("alignments", store.read_result("alignments", previous, wave))
            framed = schema.frame("framing", framing_signals(passages, pairs, settings=framing))
        with timer.stage("write"):
            store.add_results(run_id, {"framing": order.encoded("framing", framed)})


class RowOrder:
    """The order the run's rows are read back in (``ORDER_COLUMN``), which depends only on
    the inputs: passages (and events) by article, the other tables by event id; rows with
    one key keep their order, so each wave's rows are put in order before they are written."""

    def __init__(self, events: pd.DataFrame) -> None:
        self.article = {a: k for k, a in enumerate(events["article_id"])}
        self.event = {e: k for k, e in enumerate(sorted(set(events["event_id"])))}
        self.event_of = dict(zip(events["article_id"], events["event_id"], strict=True))

    def _key(self, name: str) -> tuple[str, dict[str, int]]:
        return ("article_id", self.article) if name in ("events", "passages") else \
            ("event_id", self.event)

    def encoded(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` in order, encoded for the store, with its keys."""
        by, key = self._key(name)
        # Passages by article, then offset; ties (and the other tables' rows) as they come.
        ordered = frame.assign(_key=frame[by].map(key)).sort_values(
            ["_key", "char_start"] if name == "passages" else ["_key"], kind="mergesort")
        out = schema.encode(name, ordered)
        out[ORDER_COLUMN] = ordered["_key"].to_numpy()
        return out

    def copy(self, store: Store, name: str, run_id: str, previous: str,
             events: set[str]) -> None:
        """The rows of ``events`` in ``previous``'s table, copied into the run with keys."""
        by, key = self._key(name)
        chosen = events if by == "event_id" else \
            {a for a, e in self.event_of.items() if e in events}
        store.copy_results(name, run_id, previous, by, {v: key[v] for v in chosen})


def event_waves(sizes: pd.Series) -> pd.Series:
    """Each event's wave, from its passage count (``sizes``, by event id): whole events in
    event-id order, about ``WAVE_PASSAGES`` passages a wave (a larger event alone). No result
    depends on them: each event's rows read that event only."""
    wave, count, waves = 0, 0, {}
    for event_id, size in sizes.sort_index().items():
        if count and count + size > WAVE_PASSAGES:
            wave, count = wave + 1, 0
        waves[event_id] = wave
        count += size
    return pd.Series(waves, dtype="int64")


def article_waves(sizes: np.ndarray, event_of: pd.Series) -> Iterator[np.ndarray]:
    """Positions of each wave's articles (``event_waves``), in order, from each article's passage
    count (``sizes``) and event."""
    events = event_of.to_numpy()
    wave_of = pd.Series(events).map(event_waves(pd.Series(sizes, index=events).groupby(
        level=0).sum()))
    return iter(wave_of.groupby(wave_of, sort=True).indices.values())


def _readers(passages: pd.DataFrame, encoders: Encoders) -> list[tuple[Embedder, np.ndarray]]:
    """Each encoder with the rows it reads: the multilingual encoder and e5 every passage (the
    verifier reads e5's cosine on every pair, docs/evaluation.md#fact-links--verifier), MiniLM
    the English ones."""
    every = np.arange(len(passages))
    readers = [(encoders.multilingual, every),
               (encoders.main, np.flatnonzero(reads_minilm(passages["language"].to_numpy())))]
    if encoders.wide is not None:
        readers.append((encoders.wide, every))
    return readers


def _embed(passages: pd.DataFrame, encoders: Encoders, store: Store, engine: Engine,
           report: dict[str, int], progress: bool) -> None:
    """Every passage's vectors into the store's embedding cache, once per text and encoder."""
    texts = passages["text"].tolist()
    for encoder, rows in _readers(passages, encoders):
        fill_cache([texts[i] for i in rows], encoder, store, progress=progress, report=report,
                   encode_chunks=engine.encode_chunks, chunk_size=engine.chunk_size)


def _vectors(passages: pd.DataFrame, encoders: Encoders, store: Store
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The passages' vectors from the cache: multilingual, MiniLM (zeros where it does not
    read the language) and e5 (None for ``--lite``)."""
    texts = passages["text"].tolist()
    vectors = []
    for encoder, rows in _readers(passages, encoders):
        read = np.zeros((len(texts), encoder.dim), dtype=np.float32)
        read[rows] = cached_vectors([texts[i] for i in rows], encoder, store)
        vectors.append(read)
    use, main, *wide = vectors
    return use, main, wide[0] if wide else None


def _with_event_columns(passages: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    meta = events.set_index("article_id")[["source_id", "outlet", "url", "published",
                                           "event_id", "language"]]
    return passages.join(meta, on="article_id").assign(topic_id="").reset_index(drop=True)


def _per_event(passages: pd.DataFrame, use: np.ndarray, main: np.ndarray,
               wide: np.ndarray | None, settings: AnalysisSettings, verifier: Verifier,
               engine: Engine, failed: dict[str, str], progress: bool = False
               ) -> dict[str, pd.DataFrame]:
    """Fact rows, coverage, alignments and omissions of every event in ``passages``, each
    event's ``event_facts`` run by ``engine``; an event whose work failed keeps its passages
    (no fact row) and goes into ``failed`` with the reason."""
    topics: list[dict[str, Any]] = []
    coverage: list[dict[str, Any]] = []
    alignments: list[dict[str, Any]] = []
    members_of = [(str(e), m.index.to_numpy()) for e, m in
                  passages.groupby("event_id", sort=True)]
    jobs = (EventJob(e, passages.loc[idx].reset_index(drop=True), use[idx], main[idx],
                     None if wide is None else wide[idx]) for e, idx in members_of)
    outcomes = engine.map_events(event_facts, jobs, settings, verifier, progress=progress,
                                 count=len(members_of))
    for (event_id, idx), outcome in zip(members_of, outcomes, strict=True):
        if outcome.failed:
            failed[event_id] = outcome.reason
            continue
        facts = outcome.result
        passages.loc[idx, "topic_id"] = facts.topic_id
        topics += facts.topics
        coverage += facts.coverage
        alignments += facts.alignments
    topics_frame = schema.frame("topics", topics)
    outlets = passages.groupby("event_id")["outlet"].agg(lambda s: sorted(set(s)))
    return {
        "passages": schema.frame("passages", passages),
        "topics": topics_frame,
        "coverage": schema.frame("coverage", coverage),
        "alignments": schema.frame("alignments", alignments),
        "omissions": schema.frame("omissions", omission_rows(topics_frame, outlets,
                                                             settings.omission_share)),
    }


def event_facts(event_id: str, passages: pd.DataFrame, use: np.ndarray, main: np.ndarray,
                wide: np.ndarray | None, settings: AnalysisSettings, verifier: Verifier
                ) -> EventFacts:
    """One event's fact rows, coverage and alignments from its passages and vectors: the
    per-event work an engine runs (``Engine.map_events``), reading that event only."""
    english = reads_minilm(passages["language"].to_numpy())
    signals = passage_signals(passages["text"].tolist(), passages["language"].tolist(), use,
                              main if english.any() else None, wide)

    def score(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return pair_probability(signals, i, j, verifier)

    outlets = passages["outlet"].tolist()
    matcher = SameFactMatcher(**settings.alignment).fit(signals, outlets, verifier)
    builder = FactBuilder(**settings.facts).fit(matcher.pairs_, matcher.probability_, outlets,
                                                 matcher.threshold_, score)
    return fact_tables(event_id, passages, signals, matcher, builder, verifier.closest_floor,
                       score)
