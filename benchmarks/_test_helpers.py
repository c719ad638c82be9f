"""Load a helper module of ``tests/`` by its file: ``tests`` is not an installed package and
the benchmarks do not edit ``sys.path``."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).resolve().parents[1] / "tests"


def load_test_module(name: str) -> ModuleType:
    """Import ``tests/<name>.py`` as the top-level module ``name`` (once per process).

    It is registered in ``sys.modules`` before it runs, so dataclasses find their module and a
    later ``from name import ...`` in another tests module finds this one.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TESTS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
