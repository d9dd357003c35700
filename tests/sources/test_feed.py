"""Which datasets are the feed (orgsync/sources/feed.py): git is asked, a database is always the feed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from orgsync.errors import ConfigError
from orgsync.manifest.loader import load_project
from orgsync.sources.feed import feed_datasets
from tests.support.cli import orgsync
from tests.support.source_repo import repo

CSV = b"employee_id,full_name\nE1,Ada\n"


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_committed_untracked_changed_and_database_sources(tmp_path: Path) -> None:
    repo(tmp_path, "  source: ../data/*.csv\n", {"a.csv": CSV})
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "x")
    assert feed_datasets(load_project(tmp_path, env={})) == {}
    (tmp_path / "data" / "b.csv").write_bytes(CSV)  # a glob that now matches a file written before the run
    assert feed_datasets(load_project(tmp_path, env={})) == {"People": "data/b.csv is not committed"}
    (tmp_path / "data" / "b.csv").unlink()
    (tmp_path / "data" / "a.csv").write_bytes(CSV + b"E2,Grace\n")
    assert feed_datasets(load_project(tmp_path, env={})) == {"People": "data/a.csv differs from the commit"}
    repo(tmp_path, "  source: {sql: SELECT 1, connection: {env: ORGSYNC_SECRET_DB}}\n")
    assert feed_datasets(load_project(tmp_path, env={})) == {"People": "a database source"}


def test_outside_a_git_checkout_the_feed_cannot_be_told_and_it_says_so(tmp_path: Path) -> None:
    repo(tmp_path, "  source: ../data/a.csv\n", {"a.csv": CSV})
    with pytest.raises(ConfigError, match="git could not tell which sources are committed"):
        feed_datasets(load_project(tmp_path, env={}))


def test_a_plan_without_the_feed_is_never_saved(tmp_path: Path) -> None:
    repo(tmp_path, "  source: ../data/a.csv\n", {"a.csv": CSV})
    code, _, err = orgsync("-C", str(tmp_path), "plan", "--skip-feed", "--out", str(tmp_path / "p.bin"))
    assert code == 1 and "--skip-feed cannot be combined with --out" in err
    assert not (tmp_path / "p.bin").exists()
