"""Security-test fixtures: the session's PostgreSQL server, shared with the source tests (tests/sources)."""

from tests.sources.conftest import postgres

__all__ = ["postgres"]
