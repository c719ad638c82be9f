"""A gate whose real data is missing skips on a developer's machine and fails in CI."""
from __future__ import annotations

import pytest

from tests import shared_data


def test_missing_data_fails_in_ci(monkeypatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no-such-dataset"):
        shared_data.need("no-such-dataset")


def test_missing_data_skips_elsewhere(monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-dataset"):
        shared_data.need("no-such-dataset")
