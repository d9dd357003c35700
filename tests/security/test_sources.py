"""Attacks through `items.source`: reading the checkout's credentials or other secrets as a data file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orgsync.validate import validate_project
from tests.support.staff_repo import Repo

CREDENTIAL = "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX2xlYWs="


def repo_with_source(root: Path, source: str) -> Repo:
    repo = Repo(root)
    repo.write()
    text = (root / "manifests" / "teams.yaml").read_text().replace("../data/teams.csv", source)
    (root / "manifests" / "teams.yaml").write_text(text)
    return repo


def messages(root: Path) -> list[str]:
    return [str(p) for p in validate_project(root, env={}).problems if p.severity == "error"]


def plant_git(root: Path) -> None:
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text(f'[http "https://github.com/"]\n\textraheader = {CREDENTIAL}\n')
    (root / ".git" / "config.csv").write_text(f"team\n{CREDENTIAL}\n")


@pytest.mark.parametrize(
    "source",
    [
        "../.git/config.csv",
        "../.git/../.git/config.csv",
        "../data/../.git/config.csv",
        "../.env.csv",
        "../.npmrc.csv",
        "../data/.secret/teams.csv",
    ],
)
def test_git_internals_and_dot_files_are_never_sources(tmp_path, source):
    plant_git(tmp_path)
    for hidden in (".env.csv", ".npmrc.csv"):
        (tmp_path / hidden).write_text(f"team\n{CREDENTIAL}\n")
    (tmp_path / "data" / ".secret").mkdir(parents=True)
    (tmp_path / "data" / ".secret" / "teams.csv").write_text(f"team\n{CREDENTIAL}\n")
    repo_with_source(tmp_path, source)
    found = messages(tmp_path)
    assert len(found) == 1 and found[0].startswith("manifests/teams.yaml:")
    assert f"items.source: source {source!r} is refused: " in found[0]
    assert "sources are data files, never .git/ or dot-files" in found[0]
    assert CREDENTIAL not in found[0] and "eC1hY2Nlc3M" not in found[0]


def test_a_symlink_to_git_config_is_refused_too(tmp_path):
    plant_git(tmp_path)
    repo_with_source(tmp_path, "../data/innocent.csv")
    os.symlink(tmp_path / ".git" / "config.csv", tmp_path / "data" / "innocent.csv")
    found = messages(tmp_path)
    assert len(found) == 1 and "'.git' is a hidden file or folder" in found[0] and CREDENTIAL not in found[0]


def test_a_symlink_out_of_the_repository_stays_refused(tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text("team\nT1\n")
    root = tmp_path / "repo"
    root.mkdir()
    repo_with_source(root, "../data/out.csv")
    os.symlink(outside, root / "data" / "out.csv")
    assert any("is outside the repository" in m for m in messages(root))


def test_a_file_ci_writes_into_the_checkout_remains_a_valid_source(tmp_path):
    repo_with_source(
        tmp_path, "../exports/hr-export-2026-12-01.csv"
    )  # downloaded by a CI step before the run
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "hr-export-2026-12-01.csv").write_text("team\nT1\nT2\n")
    assert messages(tmp_path) == []


def test_manifests_under_dot_folders_are_not_loaded(tmp_path):
    repo = Repo(tmp_path).write()
    (tmp_path / "orgsync.yaml").write_text(
        "tenant: ACME\nendpoint: local\nmanifests: ['manifests', '.github/*.yaml', '**/evil.yaml']\n"
    )
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "evil.yaml").write_text("kind: Dataset\nname: Evil\n")
    assert messages(repo.root) == []
