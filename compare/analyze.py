"""The analysis run: events, passages, fact rows, alignments, coverage, omissions, framing.

``run = analyze(store)`` reads every collected article, groups them into events, and computes
and writes the result tables one wave of events at a time (about ``compare.waves.WAVE_PASSAGES``
passages), so the driver holds the articles, the event grouping and one wave, never a whole
table. The rows are written under the unfinished run id, which readers (dashboard, export,
``load_run``) ignore until ``finish_run`` marks it finished: a failure leaves the previous runs
as they were (not one transaction over the waves: the caches write through the same connection
meanwhile, and collections can write while a long analysis runs). The returned run reads each
table back from the store when first used. The run id is a hash of the inputs, parameters and
models, so the same input gives the same ids and exports.

Work is never done twice:
- an unchanged store and settings give the same run id: the finished run is returned as is;
- passages are split once per article text (the store caches them by content hash and
  splitter), embeddings once per text and model (the embedding cache);
- events whose articles and settings are unchanged since the latest finished run keep that
  run's rows (copied inside the store); only events that new or changed articles touch are
  recomputed;
- when only the framing parameters changed, every unchanged event keeps its fact rows,
  coverage, alignments and omissions, and only the framing table is recomputed.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd

from compare import schema
from compare.cache import detected_languages
from compare.embed.embedders import (
    CHUNK_SIZE,
    ChunkEncoder,
    Embedder,
    embed_texts,
    make_embedder,
)
from compare.embed.scales import (
    MULTILINGUAL_ENCODER,
    WIDE_ENCODER,
    WIDE_TO_USE,
    uncovered,
)
from compare.engine import Engine, check_engine, make_engine
from compare.errors import CompareError
from compare.events.grouper import EventGrouper
from compare.events.labels import event_labels
from compare.facts.event_tables import event_ids, short_hash
from compare.facts.match import SameFactMatcher
from compare.facts.rows import FactBuilder
from compare.facts.verifier import load_verifier
from compare.framing.signals import FramingSettings
from compare.runs import (
    AnalysisRun,
    StoredTables,
    load_run,  # noqa: F401  users import it from here (docs/usage.md)
    read_table,
    recorded_summary,
    stored_summary,
)
from compare.settings import AnalysisSettings, check_params
from compare.text.details import DETAILS_VERSION
from compare.text.passages import passage_counts, splitter_key
from compare.waves import RowOrder, article_waves, reframe, wave_tables
from corpus.language import fill_languages, normalise_language
from corpus.records import Article, ItemOutcome
from corpus.store import Store, now_iso
from corpus.text import TOKENS_VERSION

log = logging.getLogger(__name__)

# Per-event inputs that the event's rows depend on (the text via content_hash, the title for
# the event's label).
_EVENT_INPUTS = ["article_id", "source_id", "outlet", "url", "title", "published", "language",
                 "content_hash"]


@dataclass
class Encoders:
    """The run's encoders: ``main`` (MiniLM, English), ``multilingual`` (every language) and
    ``wide`` (e5, for the events with a language ``multilingual`` does not cover). ``--lite``
    uses the hashing embedder for the first two and has no ``wide``."""

    main: Embedder
    multilingual: Embedder
    wide: Embedder | None = None

    @classmethod
    def for_settings(cls, settings: AnalysisSettings, embedder: str | Embedder | None
                     ) -> Encoders:
        main = embedder if embedder is not None and not isinstance(embedder, str) else \
            make_embedder(embedder or settings.embedder)
        lite = main.name.startswith("hashing")
        if lite:
            return cls(main, main)
        return cls(main, make_embedder(MULTILINGUAL_ENCODER), make_embedder(WIDE_ENCODER))

    def cross_language(self) -> Embedder | None:
        """The encoder that puts every language in one space, None for ``--lite`` (hashing
        reads words, not meanings)."""
        return None if self.multilingual.name.startswith("hashing") else self.multilingual

    def describe(self) -> dict[str, str]:
        wide = {} if self.wide is None else {"wide_model": self.wide.name,
                                             "wide_model_version": self.wide.version}
        return {"model": self.main.name, "model_version": self.main.version,
                "multilingual_model": self.multilingual.name,
                "multilingual_model_version": self.multilingual.version, **wide}


@dataclass
class Stages:
    """Wall time per stage, and counts of the work actually done."""

    seconds: dict[str, float] = field(default_factory=dict)
    work: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # event id -> why its work failed

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + perf_counter() - start


def effective_parameters(settings: AnalysisSettings) -> dict[str, Any]:
    """Every parameter the run uses, defaults included, so a changed default changes the run id
    and the provenance says exactly what ran."""
    def of(estimator: type, overrides: dict[str, Any]) -> dict[str, Any]:
        instance = estimator(**overrides)
        names = [n for n in inspect.signature(estimator).parameters]
        return {n: getattr(instance, n) for n in names if hasattr(instance, n)}

    verifier = load_verifier()
    recorded = asdict(settings)
    del recorded["facts"]  # recorded as "topics", its name in runs made before: same run ids
    return {
        **recorded,
        "events": of(EventGrouper, settings.events),
        "topics": of(FactBuilder, settings.facts),
        "alignment": of(SameFactMatcher, settings.alignment),
        "framing": asdict(FramingSettings.from_dict(settings.framing)),
        "passages": {"splitter": splitter_key()},
        "tokens": TOKENS_VERSION,
        "verifier": {"threshold": verifier.threshold, "closest_floor": verifier.closest_floor,
                     "artifact": verifier.meta.get("sha256", ""),
                     # the scales candidate retrieval and event grouping still read
                     "wide_to_use": {k: list(v) for k, v in WIDE_TO_USE.items()},
                     "details": DETAILS_VERSION},
    }


def run_identity(articles: pd.DataFrame, settings: AnalysisSettings, encoders: Encoders) -> str:
    """The run id: a hash of every input article (each column its rows carry), every
    parameter, the models and the code's version."""
    inputs = sorted("\x1f".join(str(a[c]) for c in _EVENT_INPUTS)
                    for a in articles[_EVENT_INPUTS].to_dict("records"))
    params = json.dumps(effective_parameters(settings), sort_keys=True, default=str)
    models = json.dumps({**encoders.describe(), "parallax_version": _version()}, sort_keys=True)
    return "run-" + short_hash("\n".join(inputs), params, models, n=16)


def _version() -> str:
    return importlib.metadata.version("parallax-news")


def articles_frame(articles: list[Article], store: Store | None = None) -> pd.DataFrame:
    """The articles as the analysis reads them, every one with a language: detected from the
    text (cached in ``store``), else the declared one (``corpus.language.article_language``),
    else the text's most likely language among those of the other articles
    (``corpus.language.fill_languages``: a short feed summary langid alone leaves undecided)."""
    frame = pd.DataFrame([a.to_dict() for a in articles])
    texts = [f"{a.title}\n\n{a.text}" for a in articles]
    detected = detected_languages(store, texts)
    frame["language"] = fill_languages(texts, [
        found or normalise_language(a.language)
        for found, a in zip(detected, articles, strict=True)])
    return frame


def group_events(articles: pd.DataFrame, settings: AnalysisSettings,
                 multilingual: Embedder | None = None, store: Store | None = None,
                 report: dict[str, int] | None = None, wide: Embedder | None = None,
                 encode_chunks: ChunkEncoder | None = None, chunk_size: int = CHUNK_SIZE
                 ) -> pd.DataFrame:
    """The ``events`` table: each article with its event id and label.

    With ``multilingual`` (an encoder that reads every language) and articles in two or more
    languages, each article's lead is embedded (cached in ``store``) so that articles in
    different languages can form one event (see "Languages" in ``EventGrouper``'s docstring);
    with ``wide`` too, and an article in a language ``multilingual`` does not cover, the leads
    are also embedded with ``wide``."""
    check_params(EventGrouper, settings.events, "events")
    texts = [f"{t}\n\n{x}" for t, x in zip(articles["title"], articles["text"], strict=True)]
    grouper = None
    if settings.single_event:
        labels = np.zeros(len(articles), dtype=int)
    else:
        grouper = EventGrouper(**settings.events)
        languages = list(articles["language"])
        leads = wide_leads = None
        if multilingual is not None and grouper.needs_leads(languages):
            leads = embed_texts(grouper.leads(texts), multilingual, store, report=report,
                                encode_chunks=encode_chunks, chunk_size=chunk_size)
            if wide is not None and uncovered(languages).any():
                wide_leads = embed_texts(grouper.leads(texts), wide, store, report=report,
                                         encode_chunks=encode_chunks, chunk_size=chunk_size)
        grouper.fit(texts, list(articles["published"]), languages=languages,
                    lead_embeddings=leads, wide_lead_embeddings=wide_leads)
        labels = np.asarray(grouper.labels_)
    names = event_labels(texts, list(articles["title"]), labels,
                         fitted=grouper.words_ if grouper is not None else None,
                         languages=list(articles["language"].fillna("")),
                         outlets=list(articles["outlet"]))
    frame = articles.assign(event_id=event_ids(articles, labels),
                            event_label=[names.get(int(lab), "") for lab in labels])
    return schema.frame("events", frame)


def event_fingerprints(events: pd.DataFrame) -> dict[str, str]:
    """Per event id, a hash of its articles as the event's rows read them."""
    rows = events[["event_id", *_EVENT_INPUTS]].astype(str)
    keyed = rows.assign(_key=rows[_EVENT_INPUTS].agg("\x1f".join, axis=1)).sort_values(
        ["event_id", "_key"])
    return {str(e): hashlib.sha1("\n".join(g["_key"]).encode()).hexdigest()
            for e, g in keyed.groupby("event_id", sort=False)}


def _settings_key(provenance: dict[str, Any], *, without: tuple[str, ...] = ()) -> str:
    """What every event's rows depend on besides its articles: parameters and models
    (``without`` these parameter sections)."""
    keys = ("parameters", "model", "model_version", "multilingual_model",
            "multilingual_model_version", "wide_model", "wide_model_version",
            "parallax_version")
    chosen = {k: provenance.get(k) for k in keys}
    chosen["parameters"] = {k: v for k, v in (chosen["parameters"] or {}).items()
                            if k not in without}
    return json.dumps(chosen, sort_keys=True, default=str)


# Parameter sections that only the framing table reads. A run that changes nothing else
# reuses the latest run's fact rows, coverage, alignments and omissions of every unchanged
# event (no embedding, no matching) and recomputes the framing table from them.
_FRAMING_ONLY = ("framing",)


def analyze(
    store: Store,
    settings: AnalysisSettings | None = None,
    *,
    embedder: str | Embedder | None = None,
    progress: bool = False,
    engine: str | Engine = "local",
    ray_address: str | None = None,
    engine_settings: dict[str, Any] | None = None,
) -> AnalysisRun:
    """Analyse everything collected in the store and save the results in it.

    Args:
        store: an open, writable store holding collected articles.
        settings: analysis parameters (defaults when None); recorded with the run.
        embedder: the main embedder's name (``"st:all-MiniLM-L6-v2"``, ``"hashing:512"``) or
            object; defaults to ``settings.embedder``.
        progress: show progress bars on the terminal.
        engine: where the per-text and per-event work runs: ``"local"`` (this process) or
            ``"ray"`` (``compare.engine``); the run id and every table are the same.
        ray_address: the Ray cluster to use (``"auto"``, ``"ray://head:10001"``); None starts
            Ray on this machine.
        engine_settings: the ``[ray]`` section (``compare.engine.ray_engine.RaySettings``).

    Returns:
        The finished run, each result table read from the store as a DataFrame when first
        used (``runs.StoredTables``), its summary counted in the store; ``run.stages`` holds the
        seconds per stage, ``run.work`` what was computed and what reused, and
        ``run.failed_events`` each event whose work failed, with the reason (also recorded
        in the store's items, ``parallax status``).

    Raises:
        CompareError: the store holds no articles, or a setting is invalid.
    """
    settings = settings or AnalysisSettings()
    check_engine(engine, ray_address)
    check_params(FactBuilder, settings.facts, "facts")
    check_params(SameFactMatcher, settings.alignment, "alignment")
    timer = Stages()
    with timer.stage("load"):
        stored = store.articles()
        if not stored:
            raise CompareError(
                f"the store {store.path} holds no articles: run `parallax collect SOURCE "
                f"--store {store.path}` first")
        articles = articles_frame(stored, store)
        del stored  # the frame holds what the run reads (a large corpus: one copy, not two)
        encoders = Encoders.for_settings(settings, embedder)
        settings = settings.with_overrides(embedder=encoders.main.name)
        run_id = run_identity(articles, settings, encoders)
        finished = _finished(store, run_id)
    if finished is not None:
        finished.stages, finished.work = timer.seconds, {"reused_run": 1}
        return finished
    provenance = _provenance(run_id, articles, settings, encoders)
    failed_before = _failed_before(store)
    runner = make_engine(engine, address=ray_address, settings=engine_settings,
                         progress=progress)
    try:
        store.start_run("analyze", provenance, run_id=run_id)
        finished = _finished(store, run_id)  # another process finished it meanwhile
        if finished is not None:
            finished.stages, finished.work = timer.seconds, {"reused_run": 1}
            return finished
        store.clear_results(run_id)  # what an earlier try of this run left, unfinished
        timer.work["texts_embedded"] = 0
        with timer.stage("events"):
            events = group_events(articles, settings, encoders.cross_language(), store,
                                  report=timer.work, wide=encoders.wide,
                                  encode_chunks=runner.encode_chunks,
                                  chunk_size=runner.chunk_size)
        _compute(store, run_id, articles, events, settings, encoders, provenance, timer,
                 progress, runner)
    finally:
        runner.close()
    with timer.stage("write"):
        for event_id, reason in sorted(timer.failed.items()):
            store.record_item(run_id, ItemOutcome(event_id, "failed", "facts", reason))
        # An event that failed before and has its rows now: `parallax status` drops it.
        for event_id in sorted(failed_before & set(events["event_id"]) - set(timer.failed)):
            store.record_item(run_id, ItemOutcome(event_id, "stored", "facts"))
        summary = stored_summary(store, run_id, events)
        store.finish_run(run_id, summary, prune=schema.RESULT_TABLES)
    timer.work["events_failed"] = len(timer.failed)
    log.info("analysis %s: %s", run_id, {k: round(v, 2) for k, v in timer.seconds.items()})
    return AnalysisRun(run_id, provenance, StoredTables(store, run_id),
                       stages=timer.seconds, work=timer.work, failed_events=timer.failed,
                       counted=summary)


def _failed_before(store: Store) -> set[str]:
    """The events whose work failed in the latest finished analysis."""
    latest = store.latest_run("analyze")
    if latest is None:
        return set()
    items = store.items(latest["run_id"], "failed")
    return set(items.loc[items["stage"] == "facts", "source"])


def _finished(store: Store, run_id: str) -> AnalysisRun | None:
    """The finished run with this id, when the store has one (same inputs and settings)."""
    done = next((r for r in store.runs("analyze") if r["run_id"] == run_id
                 and r["finished_at"]), None)
    if done is None:
        return None
    failed = store.items(run_id, "failed")
    return AnalysisRun(run_id, done["params"], StoredTables(store, run_id),
                       failed_events=dict(zip(failed["source"], failed["reason"], strict=True)),
                       counted=recorded_summary(done["summary"]))


def _reusable(store: Store, events: pd.DataFrame, provenance: dict[str, Any]
              ) -> tuple[set[str], str, bool]:
    """Events of the latest finished run whose articles are unchanged, when that run had the
    same models and parameters (framing's aside), that run's id, and whether its framing
    rows are reusable too (the framing parameters are also the same)."""
    latest = store.latest_run("analyze")
    if latest is None or _settings_key(latest["params"], without=_FRAMING_ONLY) != \
            _settings_key(provenance, without=_FRAMING_ONLY):
        return set(), "", False
    before = event_fingerprints(read_table(store, "events", latest["run_id"]))
    same = {e for e, fp in event_fingerprints(events).items() if before.get(e) == fp}
    failed = store.items(latest["run_id"], "failed")
    same -= set(failed["source"])  # their work failed: compute them again
    framing_too = _settings_key(latest["params"]) == _settings_key(provenance)
    return same, latest["run_id"], framing_too


def _compute(store: Store, run_id: str, articles: pd.DataFrame, events: pd.DataFrame,
             settings: AnalysisSettings, encoders: Encoders, provenance: dict[str, Any],
             timer: Stages, progress: bool, engine: Engine) -> None:
    """Write every result row of the run under ``run_id``: the reused events' rows copied
    from the previous run, the others computed and written one wave of events at a time."""
    reused, previous, framing_too = _reusable(store, events, provenance)
    todo = events[~events["event_id"].isin(reused)]
    with timer.stage("split"):
        todo_articles = articles[articles["article_id"].isin(todo["article_id"])]
        sizes, split_count = passage_counts(store, todo_articles, engine.map_texts)
    timer.work.update(events_recomputed=int(todo["event_id"].nunique()),
                      events_reused=len(reused), articles_split=split_count,
                      events_reframed=0 if framing_too else len(reused))
    order = RowOrder(events)
    with timer.stage("write"):  # every table, so that the run has each even when empty
        store.add_results(run_id, {name: order.encoded(name, events if name == "events" else
                                                       schema.frame(name, []))
                                   for name in schema.RESULT_TABLES})
        for name in schema.RESULT_TABLES[1:] if reused else ():
            if name != "framing" or framing_too:
                order.copy(store, name, run_id, previous, reused)
    verifier = load_verifier()
    framing = FramingSettings.from_dict(settings.framing)
    for rows in article_waves(sizes, todo_articles["article_id"].map(order.event_of)):
        tables = wave_tables(store, todo_articles.iloc[rows], events, settings, encoders,
                              verifier, framing, timer, progress, engine)
        with timer.stage("write"):
            store.add_results(run_id, {name: order.encoded(name, tables.pop(name))
                                       for name in list(tables)})
    if reused and not framing_too:
        reframe(store, run_id, previous, reused, order, framing, timer)


def _provenance(run_id: str, articles: pd.DataFrame, settings: AnalysisSettings,
                encoders: Encoders) -> dict[str, Any]:
    return {
        "run_id": run_id, "analyzed_at": now_iso(),
        "parallax_version": _version(),
        **encoders.describe(),
        "parameters": effective_parameters(settings),
        "inputs": articles[["article_id", "content_hash", "url", "source_id",
                            "collected_at"]].to_dict("records"),
    }
