"""Source-test fixtures: a real PostgreSQL server for the session (see postgres_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sources.postgres_server import PostgresServer, start


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server started for this test session and stopped (its data removed) at the end."""
    server = start()
    try:
        yield server
    finally:
        server.stop()
