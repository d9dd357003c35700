"""Fixtures the attack tests share with other suites: the fake GitHub API (`github`)."""

from tests.github.conftest import github  # noqa: F401
