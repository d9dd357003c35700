"""The pull request's base for `plan --base-ref`: taken from the event (or the `base-ref` input), and fetched from
origin when a shallow checkout does not hold it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from orgsync.errors import GitHubError
from orgsync.github.base import base_ref, ensure_commit


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def commit(cwd: Path, name: str) -> str:
    (cwd / f"{name}.txt").write_text(name)
    git(cwd, "add", ".")
    git(cwd, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", name)
    return git(cwd, "rev-parse", "HEAD")


def test_the_input_wins_over_the_event_and_no_pull_request_means_no_base():
    event = {"pull_request": {"number": 1, "base": {"sha": "a" * 40}}}
    assert base_ref({}, event) == "a" * 40
    assert base_ref({"ORGSYNC_BASE_REF": "origin/main"}, event) == "origin/main"
    assert base_ref({}, {}) == "" and base_ref({}, {"pull_request": {"base": "x"}}) == ""


def test_a_base_missing_from_a_shallow_checkout_is_fetched_from_origin(tmp_path):
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    base = commit(origin, "base")
    commit(origin, "pr")
    clone = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{origin}", str(clone))
    assert subprocess.run(["git", "cat-file", "-e", f"{base}^{{commit}}"], cwd=clone).returncode != 0
    ensure_commit(clone, base)
    assert git(clone, "cat-file", "-t", base) == "commit"


def test_a_base_that_cannot_be_had_is_one_clear_error(tmp_path):
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    commit(origin, "base")
    with pytest.raises(GitHubError, match="is not in the checkout and could not be fetched from origin"):
        ensure_commit(origin, "b" * 40)
    with pytest.raises(GitHubError, match="expected a branch, tag or commit"):
        ensure_commit(origin, "--upload-pack=touch /tmp/x")
