"""Plain records passed between collection stages. Frozen, with to_dict/from_dict."""
from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["stored", "duplicate", "unchanged", "out_of_scope", "failed"]

# Line breaks, other control characters (a terminal escape such as "\x1b[2J" clears the
# screen) and bidirectional overrides, which reorder what a terminal shows.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """``text`` safe to print as part of one line: control characters become escapes (``\\n``).

    Sources and reasons come from outside (file names, URLs, server messages); shown raw, a
    newline would split one failure over two lines and an escape sequence would reach the
    terminal.
    """
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@dataclass(frozen=True)
class Article:
    """One article as stored: extracted text plus provenance.

    ``article_id`` is derived from the article's identity (see ``corpus.ids``), so collecting
    the same source twice yields the same id. ``duplicate_of`` names the first stored copy of
    the same (or nearly the same) text, so syndicated wire copy is not counted as independent
    coverage; ``duplicate_kind`` is ``"exact"`` or ``"near"`` then.
    """

    article_id: str
    source_id: str
    outlet: str
    url: str
    title: str
    text: str
    published: str = ""
    language: str = ""
    author: str = ""
    site_name: str = ""
    origin: str = ""
    content_hash: str = ""
    duplicate_of: str = ""
    duplicate_kind: str = ""
    collected_at: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        meta = values.get("metadata")
        if isinstance(meta, str):
            values["metadata"] = json.loads(meta) if meta else {}
        for key in names - {"metadata"}:
            if values.get(key) is None:
                values[key] = ""
        return cls(**values)

    def replace(self, **changes: Any) -> Article:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class ItemOutcome:
    """What happened to one input item during a collection run.

    ``source`` is what the user gave (or what a feed led to): a URL, a path, ``path#line``.
    ``stage`` is where it ended (``fetch``, ``feed``, ``extract``, ``read``, ``store``).
    """

    source: str
    outcome: Outcome
    stage: str = ""
    reason: str = ""
    article_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemOutcome:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: str(v or "") for k, v in data.items() if k in names}
        return cls(**values)  # type: ignore[arg-type]  # outcome is checked by the store schema

    def line(self) -> str:
        """One readable line for the user (control characters shown escaped, see one_line)."""
        source, reason = one_line(self.source), one_line(self.reason)
        if self.outcome == "failed":
            return f"failed  {source} [{self.stage}]: {reason}"
        if self.outcome in ("duplicate", "out_of_scope", "unchanged"):
            return f"{self.outcome.replace('_', ' ')}  {source}: {reason}"
        return f"stored  {source}"


@dataclass(frozen=True)
class CollectReport:
    """The result of one collection run: every item's outcome, in input order."""

    run_id: str
    items: tuple[ItemOutcome, ...]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)

    @property
    def failures(self) -> tuple[ItemOutcome, ...]:
        return tuple(item for item in self.items if item.outcome == "failed")

    def summary(self) -> str:
        parts = [
            f"{self.count('stored')} stored",
            f"{self.count('duplicate')} duplicates (linked to their original)",
            f"{self.count('unchanged')} already in store",
            f"{self.count('out_of_scope')} out of scope",
            f"{self.count('failed')} failed",
        ]
        return ", ".join(parts)
