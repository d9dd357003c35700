"""The fake GitHub API over a real loopback socket, one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.github.fake_github import FakeGitHub, serve


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    served = serve(FakeGitHub())
    yield served.state
    served.stop()
