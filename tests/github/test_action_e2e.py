"""The documented workflow end to end: action.yml's orgsync step, run as the script it is, against the emulator
over a socket and the fake GitHub API: plan on a PR twice (one comment), apply on merge (report on the PR),
drift opened and closed by scheduled runs.

The install step needs the network (pip from `github.action_path`); here its venv is the test's interpreter,
and tests/packaging proves the package installs. Everything after it runs exactly as action.yml says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orgsync.commands.init import run_init
from orgsync.manifest.init import InitOptions
from tests.support.action_env import Runner, commit
from tests.support.fake_github import BOT, FakeGitHub


@pytest.mark.socket
def test_plan_twice_apply_and_drift_as_the_documented_workflow_runs_them(
    tmp_path: Path, github: FakeGitHub, emulator_server: Any
) -> None:
    runner = Runner(tmp_path, github, emulator_server.base_url)
    repo = runner.workspace / "infra" / "orgvue"  # a monorepo: orgsync.yaml in a subfolder
    assert run_init(repo, InitOptions(tenant="ACME", ci=False)) == 0
    config = repo / "orgsync.yaml"
    config.write_text(config.read_text().replace("endpoint: local", f"endpoint: {emulator_server.base_url}"))
    github.add_pull_request(7)
    pr_event = {"pull_request": {"number": 7}}
    workdir = {"working-directory": "infra/orgvue"}

    code, outputs, summary = runner.step("pull_request", pr_event, "a" * 40, command="plan", **workdir)
    assert code == 0, runner.stderr
    assert outputs["has-changes"] == "true" and outputs["blocked"] == "false" and outputs["exit-code"] == "2"
    assert json.loads(outputs["summary"])["items"]["create"] == 25
    assert (
        Path(outputs["plan-file"]).is_file() and outputs["artifact-name"] == "orgsync-plan-infra-orgvue-ACME"
    )
    assert "25 to create" in summary
    [comment] = github.comments_on(7)
    assert comment["body"].startswith(
        "<!-- orgsync:plan dir=infra/orgvue tenant=ACME -->\n### orgsync plan\n"
    )
    assert "items: 25 to create" in comment["body"] and "commit `aaaaaaa`" in comment["body"]

    people = repo / "data" / "people.csv"
    people.write_text(people.read_text() + "E900,Zoe Example,2024-01-01,yes,100000,E001\n")
    code, outputs, _ = runner.step("pull_request", pr_event, "b" * 40, command="plan", **workdir)
    [again] = github.comments_on(7)  # updated in place, never a second comment
    assert code == 0 and again["id"] == comment["id"] and "commit `bbbbbbb`" in again["body"]

    github.pulls_by_commit["c" * 40] = [
        {"number": 7, "merged_at": "2026-12-01T00:00:00Z", "merge_commit_sha": "c" * 40}
    ]
    code, outputs, summary = runner.step("push", {}, "c" * 40, command="apply", **workdir)
    assert code == 0 and outputs["exit-code"] == "0", summary
    assert Path(outputs["report-file"]).is_file()
    plan_comment, report = github.comments_on(7)
    assert plan_comment["id"] == comment["id"]
    assert report["body"].startswith(
        "<!-- orgsync:apply dir=infra/orgvue tenant=ACME -->\n### orgsync apply: Apply complete (exit 0)"
    )
    assert report["user"]["login"] == BOT

    commit(runner.workspace)  # drift compares what is committed (a file changed before the run is the feed)
    code, outputs, _ = runner.step("schedule", {}, "c" * 40, command="drift", **workdir)
    assert (code, outputs["drift"]) == (0, "false") and github.issues.keys() == {7}

    people.write_text(people.read_text().replace("Zoe Example", "Zoe Changed"))
    commit(runner.workspace)
    code, outputs, _ = runner.step("schedule", {}, "c" * 40, command="drift", **workdir)
    assert (code, outputs["drift"]) == (0, "true")
    [drift] = [i for n, i in github.issues.items() if n != 7]
    assert drift["title"] == "orgsync drift: tenant ACME (infra/orgvue)" and drift["state"] == "open"
    code, _, _ = runner.step("schedule", {}, "c" * 40, command="drift", **workdir)
    assert code == 0 and drift["state"] == "open" and len(github.issues) == 2  # updated, not a second issue

    people.write_text(people.read_text().replace("Zoe Changed", "Zoe Example"))
    commit(runner.workspace)
    code, outputs, _ = runner.step("schedule", {}, "c" * 40, command="drift", **workdir)
    assert (code, outputs["drift"]) == (0, "false") and drift["state"] == "closed"
    assert all(r.authorization == "Bearer ghs_fake" for r in github.requests)


@pytest.mark.socket
def test_a_broken_repository_fails_the_step_and_says_why_in_the_comment(
    tmp_path: Path, github: FakeGitHub, emulator_server: Any
) -> None:
    runner = Runner(tmp_path, github, emulator_server.base_url)
    assert run_init(runner.workspace, InitOptions(tenant="ACME", ci=False)) == 0
    (runner.workspace / "manifests" / "people.yaml").write_text("kind: Dataset\nname: [\n")
    github.add_pull_request(3)
    code, outputs, summary = runner.step("pull_request", {"pull_request": {"number": 3}}, "d" * 40)
    assert code == 1 and outputs["exit-code"] == "1" and outputs["has-changes"] == "false"
    [comment] = github.comments_on(3)
    assert "### orgsync validate failed (exit 1)" in comment["body"] and "people.yaml" in comment["body"]


@pytest.mark.socket
def test_a_forbidden_comment_is_one_clear_error(
    tmp_path: Path, github: FakeGitHub, emulator_server: Any
) -> None:
    runner = Runner(tmp_path, github, emulator_server.base_url)
    assert run_init(runner.workspace, InitOptions(tenant="ACME", ci=False)) == 0
    config = runner.workspace / "orgsync.yaml"
    config.write_text(config.read_text().replace("endpoint: local", f"endpoint: {emulator_server.base_url}"))
    github.add_pull_request(4)
    github.fail("POST", "/issues/4/comments", 403, {"message": "Resource not accessible by integration"})
    code, _, _ = runner.step("pull_request", {"pull_request": {"number": 4}}, "e" * 40)
    assert code == 1
    assert runner.stderr.endswith(
        "Error: GitHub API POST /repos/acme/people/issues/4/comments answered 403: Resource not accessible by "
        "integration\n  hint: the job needs `permissions: pull-requests: write` (and on a pull request from a fork "
        "the token is read-only: run the plan with `pull_request` from branches of this repository)\n"
    )
