"""Every benchmark module imports: benchmarks are not run in CI, so a rename in orgsync/ must not leave one broken."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

MODULES = sorted(
    p.stem for p in (Path(__file__).parents[1] / "benchmarks").glob("*.py") if p.stem != "__init__"
)


@pytest.mark.parametrize("name", MODULES)
def test_the_benchmark_module_imports(name: str) -> None:
    module = importlib.import_module(f"benchmarks.{name}")
    assert module.__doc__, f"benchmarks/{name}.py says what it measures in a docstring"
