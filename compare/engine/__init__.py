"""Where an analysis run's work runs: in this process (``"local"``, the default) or on Ray.

An engine does three kinds of work for ``compare.analyze`` and nothing else; the analysis
decides what to compute, the engine only where:

- ``map_texts(compute, texts)``: ``compute`` (a list of texts to a list of JSON-like values,
  one per text: passage spans, tone) on every text, values in order (per-text work);
- ``encode_chunks(embedder, chunks)``: vectors of each chunk of texts, one ``encode`` call per
  chunk, in order (per-text work; the caller owns the embedding cache);
- ``map_events(compute, jobs, *shared)``: ``compute`` on each event's inputs, a failure of one
  event recorded with its reason while the others go on (per-event work); ``jobs`` may be a
  generator, so only the events at work hold copies of their inputs.

Engines are chosen by name (``make_engine("ray", address=...)``). ``local`` never imports Ray;
``ray`` needs the ``ray`` extra (``pip install 'parallax-news[ray]'``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from compare.embed.embedders import CHUNK_SIZE
from compare.errors import SettingsError

if TYPE_CHECKING:
    from compare.embed.embedders import Embedder

log = logging.getLogger(__name__)

ENGINES = ("local", "ray")


@dataclass(frozen=True)
class EventJob:
    """The inputs of one event's per-event work: its passages and their rows of each matrix."""

    event_id: str
    passages: pd.DataFrame
    use: np.ndarray
    main: np.ndarray
    wide: np.ndarray | None

    @property
    def size(self) -> int:
        return len(self.passages)


@dataclass(frozen=True)
class EventOutcome:
    """What one event's work gave: its result, or None and the reason it failed."""

    event_id: str
    result: Any = None
    reason: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.reason)


class Engine(Protocol):
    name: str
    chunk_size: int  # texts per encoder call (the vectors of a text depend on its chunk)

    def map_texts(self, compute: Callable[[list[str]], list[Any]], texts: Sequence[str]
                  ) -> list[Any]: ...

    def encode_chunks(self, embedder: Embedder, chunks: Sequence[Sequence[str]]
                      ) -> Iterator[np.ndarray]: ...

    def map_events(self, compute: Callable[..., Any], jobs: Iterable[EventJob], *shared: Any,
                   progress: bool = False, count: int | None = None) -> list[EventOutcome]: ...

    def close(self) -> None: ...


def run_event(compute: Callable[..., Any], job: EventJob, *shared: Any) -> EventOutcome:
    """``compute`` on one event; an exception becomes the event's recorded reason, so one bad
    event never stops the run (the rule collection follows for articles)."""
    try:
        return EventOutcome(job.event_id, compute(job.event_id, job.passages, job.use, job.main,
                                                  job.wide, *shared))
    except Exception as exc:  # any failure of one event: recorded with its reason, run goes on
        log.exception("event %s failed", job.event_id)
        return EventOutcome(job.event_id, reason=f"{type(exc).__name__}: {exc}")


class LocalEngine:
    """Everything in this process, in order: the default, and what the Ray engine must equal."""

    name = "local"
    chunk_size = CHUNK_SIZE

    def map_texts(self, compute: Callable[[list[str]], list[Any]], texts: Sequence[str]
                  ) -> list[Any]:
        return compute(list(texts))

    def encode_chunks(self, embedder: Embedder, chunks: Sequence[Sequence[str]]
                      ) -> Iterator[np.ndarray]:
        return (embedder.encode(list(chunk)) for chunk in chunks)

    def map_events(self, compute: Callable[..., Any], jobs: Iterable[EventJob], *shared: Any,
                   progress: bool = False, count: int | None = None) -> list[EventOutcome]:
        return [run_event(compute, job, *shared) for job in jobs]

    def close(self) -> None:
        return None


def make_engine(name: str | Engine = "local", *, address: str | None = None,
                settings: dict[str, Any] | None = None, progress: bool = False) -> Engine:
    """The engine called ``name`` (an engine object is returned as is).

    Args:
        name: ``"local"`` or ``"ray"``.
        address: the Ray cluster's address (``"auto"``, ``"ray://head:10001"``); None starts
            Ray on this machine. Only for ``"ray"``.
        settings: keyword arguments of ``compare.engine.ray_engine.RaySettings`` (the
            ``[ray]`` section of ``parallax.toml``).
        progress: show Ray's progress bars (the ``ray`` engine).

    Raises:
        SettingsError: an unknown engine, an address without Ray, or Ray not installed.
    """
    if not isinstance(name, str):
        return name
    check_engine(name, address)
    if name == "local":
        return LocalEngine()
    from compare.engine.ray_engine import RayEngine, RaySettings

    return RayEngine(RaySettings.from_dict(settings or {}), address=address, progress=progress)


def check_engine(name: str | Engine, address: str | None = None) -> None:
    """Raise SettingsError for an unknown engine name, or an address without ``ray``."""
    if not isinstance(name, str):
        return
    if name not in ENGINES:
        raise SettingsError(f"unknown engine '{name}': use one of {', '.join(ENGINES)}")
    if name == "local" and address:
        raise SettingsError(f"--ray-address {address} needs --engine ray")
