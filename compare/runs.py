"""Finished analysis runs: the result tables of one run, read back from the store.

Light on purpose (no model, no clustering): the exporter and the dashboard import it.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Self

import pandas as pd

from compare import schema
from compare.errors import NoAnalysisError
from corpus.errors import StoreError
from corpus.records import Article
from corpus.store import Store

RESULT_TABLES = schema.RESULT_TABLES


class ReadableStore(Protocol):
    """What reading finished runs needs (``load_run``, the exporter, ``parallax status``, the
    dashboard): a SQLite ``corpus.store.Store`` or a result folder
    (``compare.datasets.folder.ResultFolder``)."""

    @property
    def path(self) -> Path: ...

    def articles(self) -> list[Article]: ...

    def article(self, article_id: str) -> Article | None: ...

    def article_count(self) -> int: ...

    def runs(self, kind: str | None = None) -> list[dict[str, Any]]: ...

    def latest_run(self, kind: str = "analyze") -> dict[str, Any] | None: ...

    def read_result(self, name: str, run_id: str) -> pd.DataFrame: ...

    def items(self, run_id: str | None = None, outcome: str | None = None) -> pd.DataFrame: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


def same_fact_threshold(provenance: dict[str, Any]) -> float:
    """The probability from which a run linked two passages as the same fact: its
    ``[alignment] threshold``, else the verifier's threshold it recorded (a run too old to
    record either: the shipped verifier's)."""
    parameters = provenance.get("parameters") or {}
    chosen = (parameters.get("alignment") or {}).get("threshold")
    if chosen is None:
        chosen = (parameters.get("verifier") or {}).get("threshold")
    if chosen is None:
        from compare.facts.verifier import load_verifier

        chosen = load_verifier().threshold
    return float(chosen)


@dataclass
class AnalysisRun:
    """A finished analysis: its id, provenance, and one DataFrame per result table."""

    run_id: str
    provenance: dict[str, Any]
    frames: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    # Seconds per stage of the analysis that produced it, and counts of the work done
    # (texts split and embedded, events recomputed and reused); empty for a run read back.
    stages: dict[str, float] = field(default_factory=dict)
    work: dict[str, int] = field(default_factory=dict)
    # Each event whose fact rows could not be computed, with the reason (the store keeps them
    # as the run's failed items): its passages are in the run, its facts are not.
    failed_events: dict[str, str] = field(default_factory=dict)
    # The summary counted from the stored rows (``stored_summary``), so that ``summary()``
    # reads no table; empty: counted from the frames.
    counted: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        frames = self.__dict__.get("frames", {})
        if name in frames:
            return frames[name]
        raise AttributeError(name)

    def summary(self) -> dict[str, Any]:
        if self.counted:
            return dict(self.counted)
        topics, omissions = self.frames["topics"], self.frames["omissions"]
        pairs = self.frames["alignments"]
        kinds = omissions["kind"].value_counts() if len(omissions) else pd.Series(dtype=int)
        in_rows = pairs[pairs["topic_id"] != ""] if len(pairs) else pairs
        return _summary(self.frames["events"], {
            "passages": len(self.frames["passages"]), "topics": len(topics),
            "shared_facts": int((topics["n_outlets"] >= 2).sum()) if len(topics) else 0,
            "alignments": len(pairs),
            "told_differently": int(in_rows.loc[~in_rows["relation"].isin(schema.SAME_RELATIONS),
                                                "topic_id"].nunique()) if len(in_rows) else 0,
            "omissions": int(kinds.get("omitted", 0)),
            "unique_facts": int(kinds.get("unique", 0)),
            "unique_figures": int(kinds.get("unique_figure", 0)),
        })


def _summary(events: pd.DataFrame, counts: dict[str, int]) -> dict[str, Any]:
    """The run's summary: what its events table says, and ``counts`` of its other rows."""
    per_event = events.groupby("event_id")["outlet"].nunique()
    return {
        "articles": len(events), "events": int(events["event_id"].nunique()),
        "multi_outlet_events": int((per_event > 1).sum()),
        "max_outlets_per_event": int(per_event.max()) if len(per_event) else 0,
        **counts,
    }


def _kind_count(kind: str) -> tuple[str, str]:
    return "omissions", f"COUNT(CASE WHEN kind = '{kind}' THEN 1 END)"


_SAME = ", ".join(f"'{r}'" for r in schema.SAME_RELATIONS)
_TOLD_DIFFERENTLY = ("COUNT(DISTINCT CASE WHEN topic_id != '' AND relation NOT IN "
                     f"({_SAME}) THEN topic_id END)")
# ``AnalysisRun.summary``'s counts as SQL over a run's stored rows: (table, expression).
_STORED_COUNTS = {
    "passages": ("passages", "COUNT(*)"),
    "topics": ("topics", "COUNT(*)"),
    "shared_facts": ("topics", "COUNT(CASE WHEN n_outlets >= 2 THEN 1 END)"),
    "alignments": ("alignments", "COUNT(*)"),
    "told_differently": ("alignments", _TOLD_DIFFERENTLY),
    "omissions": _kind_count("omitted"),
    "unique_facts": _kind_count("unique"),
    "unique_figures": _kind_count("unique_figure"),
}


def stored_summary(store: Store, run_id: str, events: pd.DataFrame) -> dict[str, Any]:
    """``AnalysisRun.summary`` of the run ``run_id`` with this ``events`` table, its other
    counts taken by SQL over the stored rows: no result table is read into memory."""
    counts = {}
    for key, (name, select) in _STORED_COUNTS.items():
        found = store.aggregate_result(name, run_id, select)
        counts[key] = int(found[0][0] or 0) if found else 0
    return _summary(events, counts)


_EVENT_COUNTS = ("articles", "events", "multi_outlet_events", "max_outlets_per_event")


def recorded_summary(recorded: dict[str, Any] | None) -> dict[str, Any]:
    """The summary a finished run recorded (``runs.summary``) where it holds every count
    ``AnalysisRun.summary`` gives, so a run read back counts nothing again; else empty (a
    run recorded by an older version: counted from its tables when asked)."""
    keys = {*_EVENT_COUNTS, *_STORED_COUNTS}
    return dict(recorded) if recorded and keys <= set(recorded) else {}


class StoredTables(Mapping[str, pd.DataFrame]):
    """A finished run's result tables, each read from the store when first used, then kept.

    Read through the store that wrote them while it is open (an in-memory store too), else
    from its file opened read-only, so a run outlives its ``Store`` and holds no table nobody
    asked for."""

    def __init__(self, store: Store, run_id: str) -> None:
        self._store, self._run_id = store, run_id
        self._read: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in RESULT_TABLES:
            raise KeyError(name)
        if name not in self._read:
            if not self._store.closed:
                self._read[name] = self._table(self._store, name)
            else:
                with Store(self._store.path, readonly=True) as store:
                    self._read[name] = self._table(store, name)
        return self._read[name]

    def _table(self, store: Store, name: str) -> pd.DataFrame:
        if not any(r["run_id"] == self._run_id for r in store.runs("analyze")):
            raise NoAnalysisError(
                f"the analysis {self._run_id} is no longer in {store.path}: a store keeps its "
                "latest finished runs only; read a table before running more analyses")
        return read_table(store, name, self._run_id)

    def __contains__(self, name: object) -> bool:
        return name in RESULT_TABLES

    def __iter__(self) -> Iterator[str]:
        return iter(RESULT_TABLES)

    def __len__(self) -> int:
        return len(RESULT_TABLES)


def read_table(store: ReadableStore, name: str, run_id: str) -> pd.DataFrame:
    """One result table of a run, typed; empty when the run never wrote it (an older
    version's run)."""
    try:
        return schema.decode(name, store.read_result(name, run_id))
    except StoreError:
        return schema.frame(name, [])


def describe_run(run: AnalysisRun) -> str:
    """One readable line summarising a finished run."""
    s = run.summary()
    return (f"Analysis {run.run_id} ({run.provenance.get('model', '?')}): {s['articles']} articles"
            f" in {s['events']} events ({s['multi_outlet_events']} covered by several outlets, up"
            f" to {s['max_outlets_per_event']} outlets); {s['shared_facts']} facts told by "
            f"several outlets ({s['told_differently']} with different details), "
            f"{s['alignments']} aligned passage pairs, {_omissions(s['omissions'])}, "
            f"{s['unique_facts']} facts and {s['unique_figures']} figures reported by one outlet "
            "only.")


def _omissions(n: int) -> str:
    """The omission count with what it counts: with many outlets few facts are told by most of
    them, and a bare "0 omissions" reads as a feature that did not run."""
    what = "facts most other outlets of the event report"
    if n == 0:
        return f"no outlet left out {what}"
    return f"{n} {'omission' if n == 1 else 'omissions'} ({what}, left out by one outlet)"


def describe_work(run: AnalysisRun) -> str:
    """One readable line on what this call computed and what it reused, and its seconds."""
    work, seconds = run.work, sum(run.stages.values())
    if work.get("reused_run"):
        return "Nothing changed since this run: the finished run was returned."
    parts = [f"{work.get('articles_split', 0)} articles split",
             f"{work.get('texts_embedded', 0)} texts embedded",
             f"{work.get('events_recomputed', 0)} events computed"]
    if work.get("events_reused"):
        reframed = work.get("events_reframed", 0)
        parts.append(f"{work['events_reused']} reused from the previous run"
                     + (" (framing recomputed: only framing settings changed)" if reframed
                        else ""))
    if run.failed_events:
        parts.append(f"{len(run.failed_events)} failed (listed below)")
    return f"Work: {', '.join(parts)}; {seconds:.1f} s."


def load_run(store: ReadableStore, run_id: str | None = None) -> AnalysisRun:
    """A finished analysis run read back from the store (the latest when no id is given).

    Raises:
        NoAnalysisError: the store holds no finished analysis.
    """
    runs = store.runs("analyze")
    chosen = next((r for r in runs if r["run_id"] == run_id), None) if run_id else \
        store.latest_run("analyze")
    if chosen is None or not chosen.get("finished_at"):
        raise NoAnalysisError(
            f"no finished analysis in {store.path}: run `parallax analyze --store {store.path}`"
        )
    frames = {name: read_table(store, name, chosen["run_id"]) for name in RESULT_TABLES}
    failed = store.items(chosen["run_id"], "failed")
    return AnalysisRun(chosen["run_id"], chosen["params"], frames,
                       failed_events=dict(zip(failed["source"], failed["reason"], strict=True)))
