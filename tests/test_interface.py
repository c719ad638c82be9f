"""The import paths, commands and settings users were told about keep working after the code
moved into subpackages (docs/usage.md names the current ones)."""
from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

DOCUMENTED = [
    ("compare", "same_fact"),
    ("compare.analyze", "analyze"),
    ("compare.analyze", "load_run"),
    ("compare.events", "EventGrouper"),
    ("compare.facts", "FactBuilder"),
    ("compare.facts", "SameFactMatcher"),
    ("compare.framing", "FramingSettings"),
    ("compare.export", "table"),
    ("compare.export", "export"),
    ("corpus.store", "Store"),
    ("corpus.collect", "collect"),
    # Paths of the layout before the subpackages, named in earlier documentation.
    ("compare.verify", "load_verifier"),
    ("compare.match", "SameFactMatcher"),
    ("compare.sidebyside", "side_by_side_table"),
]


@pytest.mark.parametrize(("module", "name"), DOCUMENTED)
def test_documented_import_paths_still_import(module: str, name: str) -> None:
    assert callable(getattr(importlib.import_module(module), name))


def test_old_and_new_paths_are_the_same_objects() -> None:
    from compare.facts import SameFactMatcher, load_verifier
    from compare.match import SameFactMatcher as old_matcher
    from compare.verify import load_verifier as old_loader

    assert old_matcher is SameFactMatcher and old_loader is load_verifier


def test_training_command_answers_from_a_checkout() -> None:
    done = subprocess.run([sys.executable, "-m", "compare.training", "--help"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "--data" in done.stdout, done.stderr


def test_the_same_fact_threshold_is_exported_from_the_shipped_verifier():
    import compare
    from compare import SAME_FACT_THRESHOLD
    from compare.facts.verifier import load_verifier

    assert SAME_FACT_THRESHOLD == load_verifier().threshold and 0 < SAME_FACT_THRESHOLD < 1
    assert "SAME_FACT_THRESHOLD" in compare.__all__
    with pytest.raises(AttributeError):
        compare.NOT_A_NAME  # noqa: B018
