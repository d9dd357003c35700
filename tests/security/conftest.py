"""Security-test fixtures, each defined once where its tests live: the fake GitHub API (tests/github), for the
attacks on the comments the Action posts, and the session's PostgreSQL server (tests/sources), for the queries'."""

from tests.github.conftest import github  # noqa: F401
from tests.sources.conftest import postgres  # noqa: F401
