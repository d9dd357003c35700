"""A modeller names a draft so that its slug is another draft's (`q3 shape!` beside `Q3 Shape`): the Action's
`draft-pull` would force-move that draft's branch, under a pull request perhaps already approved, to the new
draft's edits. It refuses, pushes nothing and leaves the pull request as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orgsync.commands.init import run_init
from orgsync.manifest.init import InitOptions
from tests.support.action_env import Runner
from tests.support.draft_helpers import EVENT, seed_socket_draft, socket_ids
from tests.support.fake_github import FakeGitHub

pytestmark = pytest.mark.socket


def test_a_draft_with_another_drafts_slug_cannot_take_over_its_pull_request(
    tmp_path: Path, github: FakeGitHub, emulator_server: Any
) -> None:
    runner = Runner(tmp_path, github, emulator_server.base_url)
    assert run_init(runner.workspace, InitOptions(tenant="ACME", ci=False)) == 0
    config = runner.workspace / "orgsync.yaml"
    config.write_text(config.read_text().replace("endpoint: local", f"endpoint: {emulator_server.base_url}"))
    assert runner.step("push", {}, "c" * 40, command="apply", comment="off")[0] == 0
    dataset, ids = socket_ids(emulator_server.base_url)
    seed_socket_draft(
        emulator_server.base_url,
        dataset,
        "Q3 Shape",
        [{"_action": "update", "_id": ids["E005"], "manager_id": "E003"}],
    )
    seed_socket_draft(
        emulator_server.base_url,
        dataset,
        "q3 shape!",
        [{"_action": "update", "_id": ids["E004"], "manager_id": "E001"}],
    )
    people = runner.workspace / "data" / "people.csv"
    before = people.read_bytes()
    code, outputs, _ = runner.step(
        "workflow_dispatch", EVENT, "c" * 40, command="draft-pull", draft="Q3 Shape"
    )
    assert code == 0 and outputs["pull-request"] == "1", runner.stderr
    branch = "orgsync/draft-q3-shape"
    reviewed = (github.branches[branch], dict(github.pulls[1]))
    people.write_bytes(before)

    code, outputs, summary = runner.step(
        "workflow_dispatch",
        EVENT,
        "d" * 40,
        command="draft-pull",
        draft="q3 shape!",
    )

    assert code == 1
    assert (
        "pull request #1 from orgsync/draft-q3-shape is for another draft (orgsync: draft Q3 Shape (People)); "
        "nothing was pushed" in runner.stderr + summary
    )
    assert (github.branches[branch], github.pulls[1]) == reviewed
    assert len(github.pulls) == 1
    assert [w for w in github.writes() if w[0] != "GET"][-1][
        1
    ] != f"/repos/acme/people/git/refs/heads/{branch}"


def test_a_line_break_in_a_draft_name_adds_no_trailer_to_the_commit(
    tmp_path: Path, github: FakeGitHub, emulator_server: Any
) -> None:
    runner = Runner(tmp_path, github, emulator_server.base_url)
    assert run_init(runner.workspace, InitOptions(tenant="ACME", ci=False)) == 0
    config = runner.workspace / "orgsync.yaml"
    config.write_text(config.read_text().replace("endpoint: local", f"endpoint: {emulator_server.base_url}"))
    assert runner.step("push", {}, "c" * 40, command="apply", comment="off")[0] == 0
    dataset, ids = socket_ids(emulator_server.base_url)
    name = "Fix\n\nCo-authored-by: CEO <ceo@acme.example>"
    seed_socket_draft(
        emulator_server.base_url,
        dataset,
        name,
        [{"_action": "update", "_id": ids["E005"], "manager_id": "E003"}],
    )

    code, outputs, _ = runner.step("workflow_dispatch", EVENT, "c" * 40, command="draft-pull", draft=name)

    assert code == 0 and outputs["pull-request"] == "1", runner.stderr
    title = "orgsync: draft Fix\\n\\nCo-authored-by: CEO <ceo@acme.example> (People)"
    assert github.pulls[1]["title"] == title
    branch = "orgsync/draft-fix-co-authored-by-ceo-ceo-acme-example"
    message = github.commits[github.branches[branch]]["message"]
    assert message == f"{title}\n\nPulled from Orgvue by orgsync draft pull."
