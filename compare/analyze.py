"""The analysis run: events, passages, topics, alignments, coverage, omissions, framing.

``run = analyze(store)`` reads every collected article, writes the result tables to the store
(so the dashboard reads finished runs) and returns them as pandas DataFrames. The run id is a
hash of the inputs, parameters and model, so the same input gives the same ids and exports.
"""
from __future__ import annotations

import importlib.metadata
import inspect
import json
import logging
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from compare.align import PassageAligner
from compare.embed import Embedder, embed_texts, make_embedder
from compare.errors import CompareError
from compare.events import EventGrouper, event_labels
from compare.figures import unique_figures
from compare.framing import FramingSettings, framing_signals, passage_tone
from compare.passages import BOILERPLATE_MAX_WORDS, MIN_WORDS, split_all
from compare.runs import AnalysisRun
from compare.settings import AnalysisSettings, check_params
from compare.tables import event_ids, omission_rows, short_hash, topic_ids, topic_rows
from compare.topics import TopicClusterer, topic_terms
from corpus.records import Article
from corpus.store import Store, now_iso

log = logging.getLogger(__name__)

def _articles_frame(articles: list[Article]) -> pd.DataFrame:
    cols = ["article_id", "source_id", "outlet", "url", "title", "published", "language",
            "duplicate_of", "content_hash"]
    return pd.DataFrame([{c: getattr(a, c) for c in cols} for a in articles], columns=cols)


def effective_parameters(settings: AnalysisSettings) -> dict[str, Any]:
    """Every parameter the run uses, defaults included, so a changed default changes the run id
    and the provenance says exactly what ran."""
    def of(estimator: type, overrides: dict[str, Any]) -> dict[str, Any]:
        instance = estimator(**overrides)
        names = [n for n in inspect.signature(estimator).parameters]
        return {n: getattr(instance, n) for n in names if hasattr(instance, n)}

    return {
        **asdict(settings),
        "events": of(EventGrouper, settings.events),
        "topics": of(TopicClusterer, settings.topics),
        "alignment": of(PassageAligner, settings.alignment),
        "framing": asdict(FramingSettings.from_dict(settings.framing)),
        "passages": {"splitter": f"pysbd=={importlib.metadata.version('pysbd')}",
                     "min_words": MIN_WORDS, "boilerplate_max_words": BOILERPLATE_MAX_WORDS},
    }


def run_identity(articles: list[Article], settings: AnalysisSettings, embedder: Embedder) -> str:
    inputs = sorted(f"{a.article_id}:{a.content_hash}:{a.published}:{a.outlet}" for a in articles)
    params = json.dumps(effective_parameters(settings), sort_keys=True, default=str)
    return "run-" + short_hash("\n".join(inputs), params, embedder.name, embedder.version, n=16)


def group_events(articles: list[Article], settings: AnalysisSettings) -> pd.DataFrame:
    """The ``events`` table: each article with its event id and label."""
    check_params(EventGrouper, settings.events, "events")
    frame = _articles_frame(articles)
    texts = [f"{a.title}\n\n{a.text}" for a in articles]
    if settings.single_event:
        labels = np.zeros(len(articles), dtype=int)
    else:
        grouper = EventGrouper(**settings.events).fit(texts, list(frame["published"]))
        labels = np.asarray(grouper.labels_)
    names = event_labels(texts, list(frame["title"]), labels)
    frame["event_id"] = event_ids(frame, labels)
    frame["event_label"] = [names.get(int(lab), "") for lab in labels]
    return frame


def _event_topics(event_id: str, passages: pd.DataFrame, emb: np.ndarray,
                  settings: AnalysisSettings) -> tuple[list[str], list[dict[str, Any]],
                                                       list[dict[str, Any]]]:
    clusterer = TopicClusterer(**settings.topics).fit(emb, list(passages["outlet"]))
    labels = np.asarray(clusterer.labels_)
    ids = topic_ids(event_id, passages, labels)
    raw_terms = topic_terms(list(passages["text"]), labels)
    terms = {tid: raw_terms.get(int(lab), []) for tid, lab in zip(ids, labels, strict=True) if tid}
    local = passages.assign(topic_id=ids).reset_index(drop=True)
    topics, coverage = topic_rows(event_id, local, emb, terms)
    return ids, topics, coverage


def _event_alignments(event_id: str, passages: pd.DataFrame, emb: np.ndarray,
                      settings: AnalysisSettings, linked: set[frozenset[str]]
                      ) -> list[dict[str, Any]]:
    aligner = PassageAligner(**settings.alignment).fit(emb, list(passages["outlet"]))
    rows = []
    for (i, j), score in zip(np.asarray(aligner.pairs_).reshape(-1, 2), aligner.scores_,
                             strict=True):
        a, b = passages.iloc[int(i)], passages.iloc[int(j)]
        if frozenset((a["article_id"], b["article_id"])) in linked:
            continue  # a syndicated copy aligned with its original says nothing about framing
        rows.append({
            "event_id": event_id, "topic_id": a["topic_id"] if a["topic_id"] == b["topic_id"]
            else "", "passage_id_a": a["passage_id"], "passage_id_b": b["passage_id"],
            "outlet_a": a["outlet"], "outlet_b": b["outlet"],
            "similarity": round(float(score), 4),
        })
    return rows


def analyze(
    store: Store,
    settings: AnalysisSettings | None = None,
    *,
    embedder: str | Embedder | None = None,
    progress: bool = False,
) -> AnalysisRun:
    """Analyse everything collected in the store and save the results in it.

    Args:
        store: an open, writable store holding collected articles.
        settings: analysis parameters (defaults when None); recorded with the run.
        embedder: an embedder name (``"st:all-MiniLM-L6-v2"``, ``"hashing:512"``) or object;
            defaults to ``settings.embedder``.
        progress: show progress bars on the terminal.

    Returns:
        The finished run, with one DataFrame per result table.

    Raises:
        CompareError: the store holds no articles, or a setting is invalid.
    """
    settings = settings or AnalysisSettings()
    check_params(TopicClusterer, settings.topics, "topics")
    check_params(PassageAligner, settings.alignment, "alignment")
    articles = store.articles()
    if not articles:
        raise CompareError(
            f"the store {store.path} holds no articles: run `parallax collect SOURCE "
            f"--store {store.path}` first"
        )
    model = embedder if embedder is not None and not isinstance(embedder, str) else \
        make_embedder(embedder or settings.embedder)
    settings = settings.with_overrides(embedder=model.name)
    run_id = run_identity(articles, settings, model)
    provenance = _provenance(run_id, articles, settings, model)
    store.start_run("analyze", provenance, run_id=run_id)

    events = group_events(articles, settings)
    passages = _passages_frame(articles, events)
    emb = embed_texts(list(passages["text"]), model, store, progress=progress)
    passages["tone"] = np.round(passage_tone(list(passages["text"])), 4)
    frames = _per_event(events, passages, emb, settings, articles)
    figures = unique_figures(frames["passages"], frames["topics"])
    frames["omissions"] = pd.concat([frames["omissions"], figures], ignore_index=True)
    frames["framing"] = framing_signals(frames["passages"], frames["alignments"],
                                        settings=FramingSettings.from_dict(settings.framing))
    run = AnalysisRun(run_id, provenance, frames)
    store.write_results(run_id, frames)
    store.finish_run(run_id, run.summary())
    return run


def _passages_frame(articles: list[Article], events: pd.DataFrame) -> pd.DataFrame:
    passages = pd.DataFrame([p.to_dict() for p in split_all(articles)])
    if passages.empty:
        raise CompareError("no passages: every article's text was empty or boilerplate")
    meta = events.set_index("article_id")[["source_id", "outlet", "url", "published", "event_id"]]
    passages = passages.join(meta, on="article_id")
    passages["topic_id"] = ""
    return passages


def _per_event(events: pd.DataFrame, passages: pd.DataFrame, emb: np.ndarray,
               settings: AnalysisSettings, articles: list[Article]) -> dict[str, pd.DataFrame]:
    linked = {frozenset((a.article_id, a.duplicate_of)) for a in articles if a.duplicate_of}
    topics: list[dict[str, Any]] = []
    coverage: list[dict[str, Any]] = []
    alignments: list[dict[str, Any]] = []
    omissions: list[dict[str, Any]] = []
    for event_id, members in passages.groupby("event_id", sort=True):
        idx = members.index.to_numpy()
        local = members.reset_index(drop=True)
        ids, event_topics, event_coverage = _event_topics(str(event_id), local, emb[idx], settings)
        passages.loc[idx, "topic_id"] = ids
        local["topic_id"] = ids
        topics += event_topics
        coverage += event_coverage
        alignments += _event_alignments(str(event_id), local, emb[idx], settings, linked)
        omissions += omission_rows(str(event_id), event_topics, sorted(local["outlet"].unique()),
                                   settings.omission_share)
    return {
        "events": events,
        "passages": passages[["passage_id", "article_id", "source_id", "outlet", "url",
                              "event_id", "topic_id", "char_start", "char_end", "text",
                              "is_quote", "speaker", "tone"]],
        "topics": _frame(topics, ["event_id", "topic_id", "topic_label", "terms",
                                  "representative_passage_id", "representative_text",
                                  "n_passages", "n_outlets", "outlets"]),
        "coverage": _frame(coverage, ["event_id", "topic_id", "outlet", "covered", "n_passages",
                                      "best_passage_id", "similarity"]),
        "alignments": _frame(alignments, ["event_id", "topic_id", "passage_id_a", "passage_id_b",
                                          "outlet_a", "outlet_b", "similarity"]),
        "omissions": _frame(omissions, ["event_id", "outlet", "topic_id", "topic_label", "kind",
                                        "n_outlets_reporting", "n_outlets_in_event"]),
    }


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def _provenance(run_id: str, articles: list[Article], settings: AnalysisSettings,
                model: Embedder) -> dict[str, Any]:
    return {
        "run_id": run_id, "analyzed_at": now_iso(),
        "parallax_version": importlib.metadata.version("parallax-news"),
        "model": model.name, "model_version": model.version,
        "parameters": effective_parameters(settings),
        "inputs": [{"article_id": a.article_id, "content_hash": a.content_hash, "url": a.url,
                    "source_id": a.source_id, "collected_at": a.collected_at}
                   for a in articles],
    }
