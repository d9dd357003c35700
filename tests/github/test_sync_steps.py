"""`command: sync` with a scripted orgsync (exit codes, output and the `--log-runs` record as the CLI gives
them), the fake GitHub API and a webhook receiver: failures are notified too, and only the bot's issue is edited."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from orgsync.github.action import Run
from orgsync.github.entry import main
from orgsync.runlog import RunRecord, append
from tests.support.action_env import env_for, parse_outputs
from tests.support.emulator_api import Receiver
from tests.support.fake_github import FakeGitHub

REASON = "dataset.People: 9 item deletes are 90 % of 10 existing items, above maxDeletePercent 10 %"
BLOCKED = RunRecord(
    "t",
    "plan",
    "ACME",
    "blocked",
    3,
    datasets={"People": {"create": 0, "update": 0, "delete": 9}},
    blocked_by=(REASON,),
)


class Cli:
    """Answers like the CLI: each command's Run, and its record appended to the `--log-runs` file."""

    def __init__(self, answers: dict[str, tuple[Run, RunRecord | None]]) -> None:
        self.answers, self.calls = answers, []

    def __call__(self, args: Sequence[str]) -> Run:
        self.calls.append(list(args))
        run, record = self.answers[args[0]]
        if record is not None and "--log-runs" in args:
            append(Path(args[args.index("--log-runs") + 1]), record)
        return run


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def sync_env(tmp_path: Path, github: FakeGitHub, webhook: Receiver) -> dict[str, str]:
    return env_for(
        tmp_path, github, ORGSYNC_COMMAND="sync", GITHUB_EVENT_NAME="schedule", ORGSYNC_NOTIFY_URL=webhook.url
    )


def test_an_issue_that_cannot_be_opened_fails_the_step_and_is_still_notified(
    tmp_path: Path, github: FakeGitHub, webhook: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    github.fail(
        "POST", "/repos/acme/people/issues", 403, {"message": "Resource not accessible by integration"}
    )
    cli = Cli({"validate": (Run(0, "", ""), None), "plan": (Run(3, "### orgsync plan\n", ""), BLOCKED)})
    assert main([], sync_env(tmp_path, github, webhook), cli) == 1
    assert [c[0] for c in cli.calls] == ["validate", "plan"]  # never an apply
    assert "hint: the job needs `permissions: issues: write`" in capsys.readouterr().err
    note = json.loads(webhook.next().body)
    assert (note["status"], note["exit_code"], note["issue_url"]) == ("failed", 1, "")


def test_a_broken_repository_is_a_failed_run_notified_and_logged(
    tmp_path: Path, github: FakeGitHub, webhook: Receiver
) -> None:
    cli = Cli({"validate": (Run(1, "", "Error: manifests/people.yaml:2: bad\n"), None)})
    assert main([], sync_env(tmp_path, github, webhook), cli) == 1
    note = json.loads(webhook.next().body)
    assert (note["command"], note["status"], note["exit_code"], note["tenant"]) == (
        "sync",
        "failed",
        1,
        "ACME",
    )
    outputs = parse_outputs(tmp_path / "out")
    assert (
        outputs["exit-code"] == "1"
        and json.loads(Path(outputs["runs-file"]).read_text())["status"] == "failed"
    )
    assert "manifests/people.yaml:2: bad" in (tmp_path / "summary").read_text() and github.issues == {}


def test_only_the_bots_approval_issue_is_edited(
    tmp_path: Path, github: FakeGitHub, webhook: Receiver
) -> None:
    """An issue a person wrote with the marker copied into it is left alone; the bot opens its own."""
    github.issues[1] = {
        "number": 1,
        "title": "look",
        "body": "<!-- orgsync:approval dir=. tenant=ACME -->\nmine",
        "state": "open",
        "user": {"login": "mallory"},
    }
    cli = Cli({"validate": (Run(0, "", ""), None), "plan": (Run(3, "### orgsync plan\n", ""), BLOCKED)})
    assert main([], sync_env(tmp_path, github, webhook), cli) == 3
    assert github.issues[1]["body"].endswith("mine") and github.issues[1]["state"] == "open"
    assert (
        github.issues[2]["user"]["login"] == "github-actions[bot]"
        and REASON.split(":")[1] in github.issues[2]["body"]
    )
    cli.answers["plan"] = (Run(0, "No changes.\n", ""), RunRecord("t", "plan", "ACME", "no changes", 0))
    assert main([], sync_env(tmp_path, github, webhook), cli) == 0
    assert github.issues[1]["state"] == "open" and github.issues[2]["state"] == "closed"
    assert [json.loads(webhook.next().body)["status"] for _ in range(2)] == ["blocked", "no changes"]
