"""parallax.toml: the fact rows' section is [facts]; [topics], its name before, is still read."""
from __future__ import annotations

import pytest

from compare.analyze import effective_parameters
from compare.errors import SettingsError
from compare.settings import AnalysisSettings, load_settings


def test_facts_section_is_read(tmp_path) -> None:
    path = tmp_path / "parallax.toml"
    path.write_text("[facts]\nweaker_cells = false\n", encoding="utf-8")
    assert load_settings(path).facts == {"weaker_cells": False}


def test_old_topics_section_is_still_read(tmp_path) -> None:
    path = tmp_path / "parallax.toml"
    path.write_text("[topics]\nweaker_cells = false\n", encoding="utf-8")
    assert load_settings(path).facts == {"weaker_cells": False}


def test_both_sections_are_refused_with_the_fix(tmp_path) -> None:
    path = tmp_path / "parallax.toml"
    path.write_text("[facts]\n[topics]\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"keep \[facts\]"):
        load_settings(path)


def test_recorded_parameters_keep_their_names() -> None:
    # Runs made before the rename keep their ids: the fact rows' parameters stay "topics".
    params = effective_parameters(AnalysisSettings())
    assert "topics" in params and "facts" not in params
