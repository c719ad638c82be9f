"""One settings object: defaults in code, ``parallax.toml`` over them, CLI flags over that.

Each stage receives only its own section. Estimator sections are keyword arguments of the
estimator (``events``: ``compare.events.EventGrouper``; ``alignment``:
``compare.facts.SameFactMatcher``; ``facts``: ``compare.facts.FactBuilder``, the fact rows, read
from ``[topics]`` too, its name before); unknown keys are refused with a message that names them.
"""
from __future__ import annotations

import inspect
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from compare.embed.embedders import DEFAULT_EMBEDDER
from compare.errors import SettingsError

CONFIG_FILE = "parallax.toml"


@dataclass(frozen=True)
class AnalysisSettings:
    """Parameters of one analysis run; all of them are recorded with the run."""

    embedder: str = DEFAULT_EMBEDDER
    events: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    alignment: dict[str, Any] = field(default_factory=dict)
    framing: dict[str, Any] = field(default_factory=dict)
    # An outlet "omits" a fact when more than this share of the event's other outlets report
    # it (and at least two do): "most other outlets", read literally.
    omission_share: float = 0.5
    # True when the collection was already scoped to one event (keywords, date window or seed
    # at collect time, as the demo does): every article is then one event and the grouper only
    # runs for mixed corpora. Grouping by "same happening" splits a multi-day story such as
    # the Istanbul talks into its sub-happenings (the talks, phone calls, the treaty proposal).
    single_event: bool = False

    def with_overrides(self, **changes: Any) -> AnalysisSettings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def check_params(estimator: type, params: dict[str, Any], section: str) -> None:
    """Raise SettingsError when ``params`` names a keyword the estimator does not take."""
    accepted = set(inspect.signature(estimator).parameters) - {"self"}
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise SettingsError(
            f"[{section}] in {CONFIG_FILE} has unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(accepted))}"
        )


def load_settings(path: str | Path | None = None) -> AnalysisSettings:
    """Settings from a TOML file (``[analysis]``, ``[events]``, ``[facts]`` (or its old name
    ``[topics]``), ``[alignment]``, ``[framing]``); defaults when the file does not exist and none
    was named."""
    chosen = Path(path) if path else Path(CONFIG_FILE)
    if not chosen.exists():
        if path:
            raise SettingsError(f"settings file {chosen} not found")
        return AnalysisSettings()
    try:
        data = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{chosen} is not valid TOML: {exc}") from exc
    top = data.get("analysis", {})
    known = {"embedder", "omission_share", "single_event"}
    if set(top) - known:
        raise SettingsError(f"[analysis] in {chosen} has unknown key(s) {sorted(set(top) - known)}")
    if "facts" in data and "topics" in data:
        raise SettingsError(f"{chosen} has both [facts] and [topics] (its old name): keep [facts]")
    return AnalysisSettings(
        embedder=top.get("embedder", DEFAULT_EMBEDDER),
        omission_share=float(top.get("omission_share", 0.5)),
        single_event=bool(top.get("single_event", False)),
        events=data.get("events", {}), facts=data.get("facts", data.get("topics", {})),
        alignment=data.get("alignment", {}), framing=data.get("framing", {}),
    )


def load_engine_settings(path: str | Path | None = None) -> dict[str, Any]:
    """The ``[ray]`` section of the settings file (how the Ray engine cuts and spreads the work;
    ``compare.engine.ray_engine.RaySettings``), empty when there is none. It is not part of
    :class:`AnalysisSettings`: where the work runs never changes the run id."""
    chosen = Path(path) if path else Path(CONFIG_FILE)
    if not chosen.exists():
        return {}
    try:
        return dict(tomllib.loads(chosen.read_text(encoding="utf-8")).get("ray", {}))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{chosen} is not valid TOML: {exc}") from exc
