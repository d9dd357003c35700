"""The fake GitHub API fixture, for the attacks on the comments the Action posts (defined once, in tests/github)."""

from tests.github.conftest import github  # noqa: F401
