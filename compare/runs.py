"""Finished analysis runs: the result tables of one run, read back from the store.

Light on purpose (no model, no clustering): the exporter and the dashboard import it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from compare.errors import NoAnalysisError
from corpus.store import Store

RESULT_TABLES = ("events", "passages", "topics", "coverage", "alignments", "omissions", "framing")


@dataclass
class AnalysisRun:
    """A finished analysis: its id, provenance, and one DataFrame per result table."""

    run_id: str
    provenance: dict[str, Any]
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        frames = self.__dict__.get("frames", {})
        if name in frames:
            return frames[name]
        raise AttributeError(name)

    def summary(self) -> dict[str, Any]:
        events = self.frames["events"]
        per_event = events.groupby("event_id")["outlet"].nunique()
        omissions = self.frames["omissions"]
        return {
            "articles": len(events), "events": int(events["event_id"].nunique()),
            "multi_outlet_events": int((per_event > 1).sum()),
            "max_outlets_per_event": int(per_event.max()) if len(per_event) else 0,
            "passages": len(self.frames["passages"]), "topics": len(self.frames["topics"]),
            "alignments": len(self.frames["alignments"]),
            "omissions": int((omissions["kind"] == "omitted").sum()) if len(omissions) else 0,
            "unique_facts": int((omissions["kind"] == "unique").sum()) if len(omissions) else 0,
            "unique_figures": int((omissions["kind"] == "unique_figure").sum())
            if len(omissions) else 0,
        }


def describe_run(run: AnalysisRun) -> str:
    """One readable line summarising a finished run."""
    s = run.summary()
    return (f"Analysis {run.run_id} ({run.provenance.get('model', '?')}): {s['articles']} articles"
            f" in {s['events']} events ({s['multi_outlet_events']} covered by several outlets, up"
            f" to {s['max_outlets_per_event']} outlets), {s['topics']} topics, {s['alignments']} "
            f"aligned passage pairs, {s['omissions']} omissions, {s['unique_facts']} facts and "
            f"{s['unique_figures']} figures reported by one outlet only.")


def load_run(store: Store, run_id: str | None = None) -> AnalysisRun:
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
    frames = {name: _decode(store.read_result(name, chosen["run_id"])) for name in RESULT_TABLES}
    return AnalysisRun(chosen["run_id"], chosen["params"], frames)


_JSON_COLUMNS = ("terms", "outlets", "passage_ids")
_BOOL_COLUMNS = ("covered", "is_quote")


def _decode(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo the store's flattening: JSON lists back to lists, 0/1 back to booleans."""
    for col in _JSON_COLUMNS:
        if col in frame:
            frame[col] = frame[col].map(lambda v: json.loads(v) if isinstance(v, str) else v)
    for col in _BOOL_COLUMNS:
        if col in frame:
            frame[col] = frame[col].astype(bool)
    text = frame.select_dtypes(include=["object", "str"]).columns
    frame[text] = frame[text].fillna("")
    return frame
