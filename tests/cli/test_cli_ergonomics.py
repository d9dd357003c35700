"""The command line as CI and people use it: exit 1 on usage errors, -C in both places, orgsync.yaml found
upwards, paths relative to the current directory, JSON errors for bots, the endpoint without /api/v1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orgsync.commands.init import run_init
from tests.support.cli import orgsync_process


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    assert run_init(tmp_path / "repo") == 0
    return tmp_path / "repo"


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--format", "markdwon"],
        ["plan", "--bogus"],
        ["nonsense"],
        ["show", "missing.bin"],
        ["apply", "--parallelism", "0"],
    ],
)
def test_usage_errors_exit_1_never_2(repo: Path, args: list[str]) -> None:
    run = orgsync_process(*args, cwd=repo)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.splitlines()[-1].startswith("Error: ")


def test_a_usage_error_with_format_json_is_a_json_document(repo: Path) -> None:
    run = orgsync_process("plan", "--format", "json", "--bogus", cwd=repo)
    assert run.returncode == 1
    error = json.loads(run.stdout)["error"]
    assert (error["exit_code"], error["type"], error["hint"]) == (1, "UsageError", None)
    assert error["message"].startswith("No such option '--bogus'")


@pytest.mark.parametrize("command", ["plan", "validate"])
def test_a_failing_json_command_prints_a_json_error(tmp_path: Path, command: str) -> None:
    run = orgsync_process(command, "--format", "json", cwd=tmp_path)  # no orgsync.yaml anywhere up from here
    assert run.returncode == 1
    document = json.loads(run.stdout)
    if command == "plan":
        assert (
            document["error"]["type"] == "ConfigError"
            and document["error"]["problems"][0]["file"] == "orgsync.yaml"
        )
    else:  # validate's own JSON report lists the problem
        assert "orgsync.yaml" in run.stdout


def test_minus_c_before_the_command_and_per_command_and_search_up(repo: Path, tmp_path: Path) -> None:
    expected = "OK: 3 manifests, 3 sources, 25 rows\n"
    assert orgsync_process("-C", "repo", "validate", cwd=tmp_path).stdout == expected
    assert orgsync_process("validate", "-C", "repo", cwd=tmp_path).stdout == expected
    deep = repo / "manifests" / "sub"
    deep.mkdir()
    assert orgsync_process("validate", cwd=deep).stdout == expected


def test_the_plan_file_is_relative_to_the_current_directory_and_the_hint_says_so(
    repo: Path, tmp_path: Path
) -> None:
    run = orgsync_process("-C", "repo", "plan", "--out", "plan.bin", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "plan.bin").exists() and not (repo / "plan.bin").exists()
    assert "Saved the plan to plan.bin; run `orgsync -C repo apply plan.bin` to carry it out." in run.stderr


def test_an_endpoint_ending_in_api_v1_is_refused_saying_so(repo: Path) -> None:
    config = repo / "orgsync.yaml"
    config.write_text(config.read_text().replace("endpoint: local", "endpoint: https://eu.orgvue.com/api/v1"))
    run = orgsync_process("plan", cwd=repo)
    assert run.returncode == 1
    assert (
        "endpoint: expected the base URL without /api/v1 (orgsync adds it), got 'https://eu.orgvue.com/api/v1'"
        in run.stderr
    )
    assert "hint: write `endpoint: https://eu.orgvue.com`" in run.stderr


def test_version_comes_from_the_package(repo: Path) -> None:
    from orgsync import __version__

    assert orgsync_process("--version", cwd=repo).stdout == f"orgsync, version {__version__}\n"
