"""Where the real datasets live (../shared/data beside the checkout), and a skip when absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("PARALLAX_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = SHARED / "data"


def need(relative: str) -> Path:
    """The path of a shared dataset file or folder; skips the test with a message if absent."""
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"real data {path} is absent (expected ../shared/data beside the checkout)")
    return path
