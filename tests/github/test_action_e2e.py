"""The documented workflow end to end: action.yml's orgsync step, run as the script it is, against the emulator
over a socket and the fake GitHub API: plan on a PR twice (one comment), apply on merge (report on the PR),
drift opened and closed by scheduled runs.

The install step needs the network (pip from `github.action_path`); here its venv is the test's interpreter,
and tests/packaging proves the package installs. Everything after it runs exactly as action.yml says.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from orgsync.commands.init import run_init
from orgsync.manifest.init import InitOptions
from tests.github.fake_github import BOT, FakeGitHub

REPO = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
[STEP] = [s for s in ACTION["runs"]["steps"] if s.get("id") == "orgsync"]


def parse_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT in the `name<<DELIMITER` form."""
    outputs, text = {}, path.read_text() if path.exists() else ""
    for match in re.finditer(r"^([\w-]+)<<(\S+)\n(.*?)\n\2$", text, re.MULTILINE | re.DOTALL):
        outputs[match[1]] = match[3]
    return outputs


class Runner:
    """Plays the GitHub runner for the action's orgsync step: expressions filled in, then `bash -c run`."""

    def __init__(self, tmp: Path, github: FakeGitHub, endpoint: str) -> None:
        self.tmp, self.github, self.endpoint = tmp, github, endpoint
        self.workspace = tmp / "workspace"
        self.temp = tmp / "runner-temp"
        venv_bin = self.temp / "orgsync-venv" / "bin"
        venv_bin.mkdir(parents=True)
        wrapper = venv_bin / "python"  # what the install step leaves there: a python with orgsync installed
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        wrapper.chmod(0o755)
        self.runs = 0

    def step(
        self, event_name: str, event: dict[str, Any], sha: str, **inputs: str
    ) -> tuple[int, dict[str, str], str]:
        self.runs += 1
        defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        values = (
            defaults
            | {
                "endpoint": self.endpoint,
                "tenant": "ACME",
                "token": "orgvue-secret-token",
                "github-token": "ghs_fake",
            }
            | inputs
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ORGVUE_", "GITHUB_"))}
        for name, value in STEP["env"].items():
            env[name] = re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: values[m[1]], value)
        event_file = self.tmp / f"event-{self.runs}.json"
        event_file.write_text(json.dumps(event))
        out, summary = self.tmp / f"output-{self.runs}", self.tmp / f"summary-{self.runs}"
        env |= {
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_API_URL": self.github.base_url,
            "GITHUB_REPOSITORY": self.github.repository,
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_file),
            "GITHUB_SHA": sha,
            "GITHUB_RUN_ID": str(self.runs),
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_OUTPUT": str(out),
            "GITHUB_STEP_SUMMARY": str(summary),
            "NO_COLOR": "1",
        }
        done = subprocess.run(
            ["bash", "-e", "-c", STEP["run"]],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert "orgvue-secret-token" not in done.stdout + done.stderr and "ghs_fake" not in done.stderr
        self.stderr = done.stderr
        return done.returncode, parse_outputs(out), summary.read_text() if summary.exists() else ""


def commit(workspace: Path, message: str = "change") -> None:
    """Commit everything in `workspace` (a git repository from the first call): what actions/checkout gives."""
    git = ["git", "-C", str(workspace), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    if not (workspace / ".git").exists():
        subprocess.run([*git, "init", "-q"], check=True, timeout=60)
    subprocess.run([*git, "add", "-A"], check=True, timeout=60)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", message], check=True, timeout=60)


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
