"""Shared fixtures: repository paths, the emulator in-process and over a real uvicorn socket."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
SHARED_API_DOCS = REPO.parent / "shared" / "orgvue-api"


@pytest.fixture
def repo_root() -> Path:
    return REPO
