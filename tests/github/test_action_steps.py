"""The Action's steps with a scripted orgsync (exit codes and output as the CLI gives them) and the fake GitHub
API: what each exit code means for the step, the outputs, the comment and when nothing is commented."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from orgsync.github.action import Inputs, Run, main
from tests.support.action_env import env_for, parse_outputs
from tests.support.fake_github import FakeGitHub

SUMMARY = {"datasets": {"create": 0, "update": 1}, "items": {"create": 0, "update": 0, "delete": 9}}


class Scripted:
    """Answers each orgsync command by its name and --format; records the argument lists."""

    def __init__(self, answers: dict[tuple[str, str], Run]) -> None:
        self.answers, self.calls = answers, []

    def __call__(self, args: Sequence[str]) -> Run:
        self.calls.append(list(args))
        fmt = args[args.index("--format") + 1] if "--format" in args else ""
        return self.answers[(args[0], fmt)]


def test_a_blocked_plan_fails_the_step_with_exit_3_and_still_comments(
    tmp_path: Path, github: FakeGitHub
) -> None:
    github.add_pull_request(5)
    orgsync = Scripted(
        {
            ("validate", ""): Run(0, "OK\n", ""),
            ("plan", "markdown"): Run(3, "### orgsync plan\n\nBlocked by the safety policy\n", ""),
            ("plan", "json"): Run(3, json.dumps({"summary": SUMMARY, "blocked": True}), ""),
            ("plan", "html"): Run(3, "<!DOCTYPE html><p>report</p>", ""),
        }
    )
    assert main([], env_for(tmp_path, github), orgsync) == 3
    outputs = parse_outputs(tmp_path / "out")
    assert (outputs["has-changes"], outputs["blocked"], outputs["exit-code"], outputs["plan-file"]) == (
        "true",
        "true",
        "3",
        "",
    )
    assert json.loads(outputs["summary"]) == SUMMARY
    assert [c[0] for c in orgsync.calls] == [
        "validate",
        "plan",
        "plan",
        "plan",
    ]  # a blocked plan is not saved: JSON and the HTML report again
    [comment] = github.comments_on(5)
    assert "Blocked by the safety policy" in comment["body"]
    assert Path(outputs["html-report"]).read_text() == "<!DOCTYPE html><p>report</p>"
    assert outputs["report-artifact-name"] == "orgsync-report-ACME"
    assert "the `orgsync-report-ACME` artifact of this workflow run" in comment["body"]


def test_changes_are_success_and_no_changes_too(tmp_path: Path, github: FakeGitHub) -> None:
    github.add_pull_request(5)
    for code, changes in ((2, "true"), (0, "false")):
        orgsync = Scripted(
            {
                ("validate", ""): Run(0, "", ""),
                ("plan", "markdown"): Run(code, "plan\n", ""),
                ("show", "json"): Run(0, json.dumps({"summary": SUMMARY}), ""),
                ("plan", "html"): Run(code, "<p>report</p>", ""),
            }
        )
        assert main([], env_for(tmp_path, github), orgsync) == 0
        assert parse_outputs(tmp_path / "out")["has-changes"] == changes
        assert orgsync.calls[1][:3] == ["plan", "-C", "."] and "--detailed-exitcode" in orgsync.calls[1]
    assert len(github.comments_on(5)) == 1


def test_comment_off_and_a_push_event_never_call_github(tmp_path: Path, github: FakeGitHub) -> None:
    orgsync = Scripted(
        {
            ("validate", ""): Run(0, "", ""),
            ("plan", "markdown"): Run(2, "plan\n", ""),
            ("show", "json"): Run(0, "{}", ""),
            ("plan", "html"): Run(0, "", ""),
        }
    )
    assert main([], env_for(tmp_path, github, ORGSYNC_COMMENT="off"), orgsync) == 0
    assert main([], env_for(tmp_path, github, GITHUB_EVENT_PATH=""), orgsync) == 0
    assert github.requests == []
    assert (tmp_path / "summary").read_text() == "plan\n\nplan\n\n"  # no report made: no line about it


def test_allow_destructive_reaches_the_plan(tmp_path: Path, github: FakeGitHub) -> None:
    orgsync = Scripted(
        {
            ("validate", ""): Run(0, "", ""),
            ("plan", "markdown"): Run(0, "plan\n", ""),
            ("show", "json"): Run(0, "{}", ""),
            ("plan", "html"): Run(0, "", ""),
        }
    )
    main(
        [],
        env_for(
            tmp_path,
            github,
            ORGSYNC_COMMENT="off",
            ORGSYNC_ALLOW_DESTRUCTIVE="on",
            ORGSYNC_WORKING_DIRECTORY="infra",
        ),
        orgsync,
    )
    assert orgsync.calls[1] == [
        "plan",
        "-C",
        "infra",
        "--format",
        "markdown",
        "--detailed-exitcode",
        "--out",
        str(tmp_path / "orgsync-infra-ACME" / "plan.bin"),
        "--allow-destructive",
    ]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "ORGSYNC_COMMAND",
            "destroy",
            "Error: input `command`: expected one of plan, apply, drift, sync, draft-pull, got 'destroy'\n",
        ),
        (
            "ORGSYNC_COMMENT",
            "maybe",
            "Error: ORGSYNC_COMMENT: expected on/off (or true/false), got 'maybe'\n",
        ),
    ],
)
def test_bad_inputs_are_one_message_and_exit_1(
    tmp_path: Path, github: FakeGitHub, capsys, name: str, value: str, message: str
) -> None:
    assert main([], env_for(tmp_path, github, **{name: value}), Scripted({})) == 1
    assert capsys.readouterr().err == message


def test_apply_without_a_merged_pr_comments_nowhere(tmp_path: Path, github: FakeGitHub) -> None:
    report = tmp_path / "orgsync-ACME" / "apply-report.json"

    def apply(args: Sequence[str]) -> Run:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(
            json.dumps(
                {
                    "target": "Target: https://x · tenant ACME",
                    "steps": [{"id": "dataset.People", "planned": 3, "applied": 2, "status": "partial"}],
                    "failures": [{"key": {"id": "E1"}}],
                }
            )
        )
        return Run(4, "", "Apply partially applied\n")

    assert main([], env_for(tmp_path, github, ORGSYNC_COMMAND="apply", GITHUB_EVENT_NAME="push"), apply) == 4
    assert [r.path for r in github.requests] == [f"/repos/acme/people/commits/{'f' * 40}/pulls"]
    summary = (tmp_path / "summary").read_text()
    assert summary.startswith("### orgsync apply: Partially applied (exit 4)")
    assert "| <code>dataset.People</code> | 2/3 | partial |" in summary and "E1" not in summary
    assert Inputs.from_env(env_for(tmp_path, github)).slug == "ACME"


def test_show_values_reaches_the_comment_and_the_report_only_when_asked(
    tmp_path: Path, github: FakeGitHub
) -> None:
    answers = {
        ("validate", ""): Run(0, "", ""),
        ("plan", "markdown"): Run(2, "plan\n", ""),
        ("show", "json"): Run(0, "{}", ""),
        ("plan", "html"): Run(2, "<p>report</p>", ""),
    }
    for value, expected in (("on", True), ("", False)):
        orgsync = Scripted(answers)
        assert (
            main([], env_for(tmp_path, github, ORGSYNC_COMMENT="off", ORGSYNC_SHOW_VALUES=value), orgsync)
            == 0
        )
        planned, report = orgsync.calls[1], orgsync.calls[3]
        assert report[:4] == ["plan", "-C", ".", "--format"] and report[4] == "html"
        assert ("--show-values" in planned, "--show-values" in report) == (expected, expected)
    assert main([], env_for(tmp_path, github, ORGSYNC_SHOW_VALUES="maybe"), Scripted({})) == 1
