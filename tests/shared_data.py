"""Where the real datasets live (../shared/data beside the checkout). A gate whose data is absent
is skipped with a message on a developer's machine and fails in CI (``CI=true``), so a checkout
without the data never goes green without running its gates."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("PARALLAX_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = SHARED / "data"


def in_ci() -> bool:
    """Whether this run is CI's (``CI`` set to true, as ``.ci/run`` runs)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing(what: str) -> None:
    """Skip the test (a developer's machine) or fail it (CI) because ``what`` is absent."""
    if in_ci():
        pytest.fail(f"{what} (CI runs every gate: nothing may be missing)", pytrace=False)
    pytest.skip(what)


def need(relative: str) -> Path:
    """The path of a shared dataset file or folder; skips (locally) or fails (CI) if absent."""
    path = DATA / relative
    if not path.exists():
        missing(f"real data {path} is absent (expected ../shared/data beside the checkout)")
    return path
