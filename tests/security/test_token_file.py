"""Attacks through ORGVUE_TOKEN_FILE: a pull request plants the file (or a symlink) that CI reads the token from."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgsync.errors import ConfigError
from orgsync.manifest.loader import resolve_token


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    root.mkdir()
    return root


def test_a_relative_token_file_is_refused_since_it_resolves_into_the_checkout(repo: Path) -> None:
    (repo / "token.txt").write_text("attacker-chosen\n")
    with pytest.raises(
        ConfigError,
        match="ORGVUE_TOKEN_FILE names token.txt, a relative path; expected an "
        "absolute path outside the repository",
    ):
        resolve_token({"ORGVUE_TOKEN_FILE": "token.txt"}, repo)


def test_a_token_file_inside_the_repository_is_refused(repo: Path) -> None:
    (repo / "token.txt").write_text("attacker-chosen\n")
    with pytest.raises(ConfigError, match="which is inside the repository") as info:
        resolve_token({"ORGVUE_TOKEN_FILE": str(repo / "token.txt")}, repo)
    assert "attacker-chosen" not in str(info.value)


def test_a_symlink_planted_in_the_repository_cannot_send_a_runner_file_as_the_token(
    repo: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "runner-ssh-key"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    (repo / "token.txt").symlink_to(secret)
    with pytest.raises(ConfigError, match="which is inside the repository") as info:
        resolve_token({"ORGVUE_TOKEN_FILE": str(repo / "token.txt")}, repo)
    assert "PRIVATE KEY" not in str(info.value)


def test_a_link_outside_that_points_into_the_repository_is_refused(repo: Path, tmp_path: Path) -> None:
    (repo / "planted").write_text("attacker-chosen\n")
    (tmp_path / "token-link").symlink_to(repo / "planted")
    with pytest.raises(ConfigError, match="which is inside the repository"):
        resolve_token({"ORGVUE_TOKEN_FILE": str(tmp_path / "token-link")}, repo)


def test_a_token_file_outside_the_repository_is_read(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "token").write_text(" the-token \n")
    assert resolve_token({"ORGVUE_TOKEN_FILE": str(tmp_path / "token")}, repo) == "the-token"
