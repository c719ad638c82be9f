"""The Ray engine: per-text work as Ray Data, per-event work as Ray tasks.

Imported only when ``engine="ray"`` is chosen (``compare.engine.make_engine``). Every result
equals the local engine's: chunks are encoded with the same ``encode`` calls (a chunk of texts
is one row, so batching never changes a vector), spans are a pure function of the text, and
each event runs the same function on the same inputs.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from compare.embed.embedders import CHUNK_SIZE
from compare.engine import EventJob, EventOutcome, run_event
from compare.errors import SettingsError

if TYPE_CHECKING:
    from compare.embed.embedders import Embedder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RaySettings:
    """The ``[ray]`` section of ``parallax.toml``: how the work is cut and spread, never what
    is computed (none of it enters the run id)."""

    # CPUs of a Ray started on this machine (None: all of them); ignored with an address.
    num_cpus: int | None = None
    # GPUs of a Ray started on this machine (None: those Ray detects); ignored with an address.
    num_gpus: int | None = None
    # GPUs per encoder actor of a torch model when the cluster has GPUs (0: always on CPU).
    encoder_gpus: float = 1.0
    # Texts per encoder call: the local engine's chunk, so both give the same vectors.
    encode_batch: int = CHUNK_SIZE
    # Encoder actors per model (None: one per CPU of the cluster, never more than chunks).
    encoders: int | None = None
    # Texts per batch of the cheap per-text work (splitting, tone): batches amortise overhead.
    text_batch: int = 256
    # Passages per per-event task: small events travel together, a large one goes alone.
    event_passages: int = 2000

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RaySettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise SettingsError(f"[ray] has unknown key(s) {', '.join(unknown)}; allowed: "
                                f"{', '.join(sorted(known))}")
        chosen = cls(**values)
        for name in ("encode_batch", "text_batch", "event_passages"):
            if int(getattr(chosen, name)) < 1:
                raise SettingsError(f"[ray] {name} = {getattr(chosen, name)}: use 1 or more")
        if float(chosen.encoder_gpus) < 0:
            raise SettingsError(f"[ray] encoder_gpus = {chosen.encoder_gpus}: use 0 or more")
        return chosen


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise SettingsError("--engine ray needs Ray: pip install 'parallax-news[ray]'") from exc
    return ray


class _Encoder:
    """One encoder actor: its embedder loads its model on the first chunk, once per actor; on
    a GPU when Ray gave the actor one and torch sees it."""

    def __init__(self, embedder: Embedder, gpu: bool = False) -> None:
        self.embedder = embedder
        if gpu:
            import torch

            if torch.cuda.is_available():
                embedder.on_device("cuda")  # type: ignore[attr-defined]
            else:
                log.warning("%s: Ray gave this actor a GPU but torch sees none; encoding on "
                            "CPU", embedder.name)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = [self.embedder.encode([str(t) for t in texts]) for texts in batch["texts"]]
        return {"chunk": batch["chunk"],
                "vectors": np.array([np.ascontiguousarray(v, dtype=np.float32).tobytes()
                                     for v in vectors], dtype=object)}


class _MapTexts:
    """``compute`` on a batch of texts, its values as JSON (Arrow holds any JSON value)."""

    def __init__(self, compute: Callable[[list[str]], list[Any]]) -> None:
        self.compute = compute

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        values = self.compute([str(t) for t in batch["text"]])
        return {"row": batch["row"],
                "value": np.array([json.dumps(v) for v in values], dtype=object)}


def _events_task(compute: Callable[..., Any], jobs: list[EventJob], *shared: Any
                 ) -> list[EventOutcome]:
    return [run_event(compute, job, *shared) for job in jobs]


class RayEngine:
    """Per-text work through Ray Data, per-event work as Ray tasks, on a Ray started here
    (``address`` None) or the cluster at ``address``."""

    name = "ray"

    def __init__(self, settings: RaySettings | None = None, *, address: str | None = None,
                 progress: bool = False) -> None:
        self.settings = settings or RaySettings()
        self.chunk_size = int(self.settings.encode_batch)
        self.progress = progress
        ray = _ray()
        self._started = not ray.is_initialized()
        if self._started:
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if address:
                ray.init(address=address, **options)
            else:
                ray.init(num_cpus=self.settings.num_cpus, num_gpus=self.settings.num_gpus,
                         **options)
        self._ray = ray
        ray.data.DataContext.get_current().enable_progress_bars = progress

    def encoder_gpus(self, embedder: Embedder) -> float:
        """GPUs each actor of this encoder asks for: ``encoder_gpus`` for a model that runs on
        torch (``on_device``) when the cluster has GPUs, else 0 (the multilingual encoder
        runs on numpy, the hashing embedder needs none)."""
        has_gpus = self._ray.cluster_resources().get("GPU", 0) > 0
        return float(self.settings.encoder_gpus) if has_gpus and hasattr(
            embedder, "on_device") else 0.0

    def _cpus(self) -> int:
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def map_texts(self, compute: Callable[[list[str]], list[Any]], texts: Sequence[str]
                  ) -> list[Any]:
        if not texts:
            return []
        data = self._ray.data.from_items(
            [{"row": k, "text": t} for k, t in enumerate(texts)],
            override_num_blocks=min(len(texts), self._cpus() * 4))
        mapped = data.map_batches(_MapTexts(compute), batch_size=self.settings.text_batch,
                                  batch_format="numpy")
        values: list[Any] = [None] * len(texts)
        for row in mapped.iter_rows():
            values[int(row["row"])] = json.loads(row["value"])
        return values

    def encode_chunks(self, embedder: Embedder, chunks: Sequence[Sequence[str]]
                      ) -> Iterator[np.ndarray]:
        if not chunks:
            return iter(())
        ray = self._ray
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        data = ray.data.from_items([{"chunk": k, "texts": list(c)} for k, c in enumerate(chunks)],
                                   override_num_blocks=len(chunks))
        gpus = self.encoder_gpus(embedder)
        actors = min(len(chunks), self.settings.encoders or (
            max(1, int(self._ray.cluster_resources()["GPU"] // gpus)) if gpus else self._cpus()))
        encoded = data.map_batches(_Encoder, fn_constructor_args=(embedder, bool(gpus)),
                                   batch_size=1, batch_format="numpy", num_cpus=1,
                                   num_gpus=gpus, compute=ray.data.ActorPoolStrategy(size=actors))
        return (np.frombuffer(row["vectors"], dtype=np.float32).reshape(-1, embedder.dim)
                for row in encoded.iter_rows())

    def map_events(self, compute: Callable[..., Any], jobs: Iterable[EventJob], *shared: Any,
                   progress: bool = False, count: int | None = None) -> list[EventOutcome]:
        ray = self._ray
        task = ray.remote(_events_task)
        shared_refs = [ray.put(s) for s in shared]
        # Tasks in flight at most: the driver and the object store hold only their inputs.
        limit = 2 * self._cpus()
        order: list[str] = []
        pending: dict[Any, list[str]] = {}
        done: dict[str, EventOutcome] = {}
        with _bar(count or 0, "Events", progress) as advance:
            for group in _groups(jobs, self.settings.event_passages):
                while len(pending) >= limit:
                    advance(self._gather_one(pending, done))
                ids = [job.event_id for job in group]
                order += ids
                pending[task.remote(compute, group, *shared_refs)] = ids
            while pending:
                advance(self._gather_one(pending, done))
        return [done[event_id] for event_id in order]

    def _gather_one(self, pending: dict[Any, list[str]], done: dict[str, EventOutcome]) -> int:
        """Wait for one task; its outcomes go into ``done``. Returns how many events it had."""
        ray = self._ray
        ready, _ = ray.wait(list(pending), num_returns=1)
        ids = pending.pop(ready[0])
        try:
            outcomes = ray.get(ready[0])
        except ray.exceptions.RayError as exc:  # the worker died past Ray's retries
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            outcomes = [EventOutcome(event_id, reason=reason) for event_id in ids]
        done.update((o.event_id, o) for o in outcomes)
        return len(ids)

    def close(self) -> None:
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()


def _groups(jobs: Iterable[EventJob], passages: int) -> Iterator[list[EventJob]]:
    """Jobs in consecutive groups of about ``passages`` passages (a larger event alone)."""
    group: list[EventJob] = []
    size = 0
    for job in jobs:
        if group and size + job.size > passages:
            yield group
            group, size = [], 0
        group.append(job)
        size += job.size
    if group:
        yield group


def _bar(total: int, label: str, progress: bool) -> Any:
    from compare.embed.embedders import _steps

    return _steps(total, label, progress)
