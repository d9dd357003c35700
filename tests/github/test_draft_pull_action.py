"""`command: draft-pull`: action.yml's orgsync step, run as the script it is against the emulator over a socket
and the fake GitHub API, turns an Orgvue draft into one branch and one pull request, updated (never a second
one) when the draft changes; the CLI's `draft list|pull|clear` over the same socket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from orgsync.commands.init import run_init
from orgsync.manifest.init import InitOptions
from tests.support.action_env import Runner
from tests.support.draft_helpers import EVENT, seed_socket_draft, socket_ids
from tests.support.fake_github import FakeGitHub

pytestmark = pytest.mark.socket
API = "/api/v1/ACME"


def _orgsync(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orgsync", *args, "-C", str(repo)],
        capture_output=True,
        text=True,
        env={**os.environ, "ORGVUE_TOKEN": "t", "NO_COLOR": "1"},
        check=False,
        timeout=240,
    )


def test_a_draft_becomes_one_pull_request_opened_then_updated(
    tmp_path: Path, github: FakeGitHub, emulator_server: Any
) -> None:
    runner = Runner(tmp_path, github, emulator_server.base_url)
    repo = runner.workspace / "infra" / "orgvue"
    assert run_init(repo, InitOptions(tenant="ACME", ci=False)) == 0
    config = repo / "orgsync.yaml"
    config.write_text(config.read_text().replace("endpoint: local", f"endpoint: {emulator_server.base_url}"))
    workdir = {"working-directory": "infra/orgvue"}
    code, _, summary = runner.step("push", {}, "c" * 40, command="apply", comment="off", **workdir)
    assert code == 0, summary
    dataset, ids = socket_ids(emulator_server.base_url)
    draft = seed_socket_draft(
        emulator_server.base_url,
        dataset,
        "Eng <b>reorg</b>",
        [
            {"_action": "update", "_id": ids["E004"], "manager_id": "E003", "salary": 101000},
            {"_action": "update", "_id": ids["E002"], "nickname": "Amazing Grace"},
        ],
    )
    people = repo / "data" / "people.csv"
    before = people.read_bytes()

    code, outputs, summary = runner.step(
        "workflow_dispatch", EVENT, "c" * 40, command="draft-pull", draft="Eng <b>reorg</b>", **workdir
    )

    assert code == 0, runner.stderr
    assert outputs["pull-request"] == "1"
    branch = "orgsync/draft-eng-b-reorg-b"
    files = github.files_of_branch(branch)
    assert files == {"infra/orgvue/data/people.csv": people.read_bytes()}
    assert people.read_bytes() == before.replace(b"98000,E002", b"101000,E003")
    commit = github.commits[github.branches[branch]]
    assert commit["parents"] == ["c" * 40] and commit["tree"] in github.trees
    [pull] = github.pulls.values()
    assert pull["head"] == {"ref": branch} and pull["base"] == {"ref": "main"}
    assert pull["title"] == "orgsync: draft Eng <b>reorg</b> (People)"
    body = pull["body"]
    assert body.startswith("### Orgvue draft Eng &lt;b&gt;reorg&lt;/b&gt; on People\n\n1 item(s) updated")
    assert (
        "<b>" not in body and "101000" not in body + runner.stderr
    )  # no markup injected, no sensitive value
    assert "| E002 | nickname | the draft edits &#39;nickname&#39;, not a property of the manifest |" in body
    assert "written into `data/people.csv`" in summary

    # the draft changes in Orgvue; the next run moves the branch and updates the same pull request
    people.write_bytes(before)
    with httpx.Client(base_url=emulator_server.base_url) as c:
        c.post(f"{API}/drafts/clear", json={"layers": [{"draftId": draft["draftId"]}]}).raise_for_status()
    seed_socket_draft(
        emulator_server.base_url, dataset, "Eng <b>reorg</b> v2", []
    )  # another draft: left alone
    with httpx.Client(base_url=emulator_server.base_url) as c:
        c.post(
            "/_emulator/tenants/ACME/drafts",
            json={
                "datasetId": dataset,
                "name": "Eng <b>reorg</b>",
                "draftId": draft["draftId"],
                "layers": {
                    "default": [
                        {
                            "_action": "create",
                            "employee_id": "E099",
                            "full_name": "Mary Jackson",
                            "start_date": "2026-03-02",
                            "full_time": True,
                            "manager_id": "E003",
                        }
                    ]
                },
            },
        ).raise_for_status()
    first_commit = github.branches[branch]

    code, outputs, _ = runner.step(
        "workflow_dispatch", EVENT, "d" * 40, command="draft-pull", draft="Eng <b>reorg</b>", **workdir
    )

    assert code == 0, runner.stderr
    assert outputs["pull-request"] == "1" and len(github.pulls) == 1
    assert github.branches[branch] != first_commit
    assert github.commits[github.branches[branch]]["parents"] == ["d" * 40]
    assert (
        github.files_of_branch(branch)["infra/orgvue/data/people.csv"]
        == before + b"E099,Mary Jackson,2026-03-02,yes,,E003\n"
    )
    assert "1 created" in github.pulls[1]["body"]
    assert ("PATCH", "/repos/acme/people/git/refs/heads/orgsync/draft-eng-b-reorg-b") in github.writes()
    assert ("PATCH", "/repos/acme/people/pulls/1") in github.writes()
    assert all(r.authorization == "Bearer ghs_fake" for r in github.requests)


def test_an_unknown_draft_fails_the_step_and_opens_nothing(
    tmp_path: Path, github: FakeGitHub, emulator_server: Any
) -> None:
    runner = Runner(tmp_path, github, emulator_server.base_url)
    assert run_init(runner.workspace, InitOptions(tenant="ACME", ci=False)) == 0
    config = runner.workspace / "orgsync.yaml"
    config.write_text(config.read_text().replace("endpoint: local", f"endpoint: {emulator_server.base_url}"))
    assert runner.step("push", {}, "c" * 40, command="apply", comment="off")[0] == 0

    code, outputs, summary = runner.step(
        "workflow_dispatch", EVENT, "c" * 40, command="draft-pull", draft="Nope"
    )

    assert code == 1 and outputs["pull-request"] == ""
    assert "no draft called 'Nope'; the tenant's drafts: none" in summary
    assert github.writes() == [] and github.pulls == {}


def test_the_cli_lists_pulls_and_clears_over_a_socket(tmp_path: Path, emulator_server: Any) -> None:
    repo = tmp_path / "repo"
    assert run_init(repo, InitOptions(tenant="ACME", ci=False)) == 0
    config = repo / "orgsync.yaml"
    config.write_text(config.read_text().replace("endpoint: local", f"endpoint: {emulator_server.base_url}"))
    assert _orgsync(repo, "apply", "--auto-approve").returncode == 0
    dataset, ids = socket_ids(emulator_server.base_url)
    seed_socket_draft(
        emulator_server.base_url,
        dataset,
        "Flat",
        [{"_action": "update", "_id": ids["E004"], "manager_id": "E001"}],
    )

    listed = _orgsync(repo, "draft", "list", "--format", "json")
    assert json.loads(listed.stdout) == [
        {"name": "Flat", "dataset": "People", "createdBy": "hr@acme.example", "edits": 1}
    ]
    pulled = _orgsync(repo, "draft", "pull", "Flat")
    assert pulled.returncode == 0 and "Written: data/people.csv" in pulled.stdout, pulled.stderr
    assert _orgsync(repo, "plan", "--detailed-exitcode").returncode == 2
    assert _orgsync(repo, "apply", "--auto-approve").returncode == 0
    cleared = _orgsync(repo, "draft", "clear", "Flat")
    assert cleared.returncode == 0 and "cleared 1 edit(s) the tenant now holds" in cleared.stdout
    assert json.loads(_orgsync(repo, "draft", "list", "--format", "json").stdout)[0]["edits"] == 0
    refused = _orgsync(repo, "draft", "clear", "Flat", "--all")
    assert (
        refused.returncode == 1 and "--yes not given" in refused.stderr and "Traceback" not in refused.stderr
    )
