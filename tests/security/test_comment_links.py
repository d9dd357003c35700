"""Attacks on every comment, report and issue orgsync writes, rendered by GitHub's own renderer (cmark-gfm):
names, keys, values and messages that would become links, mentions, references, or end a code span.

Next to test_markdown.py (markdown-it, raw HTML): here the autolink extension and GitHub's mention filter, which
read the decoded text (`&#64;` is an `@` again), so only the zero-width joiner of `orgsync.escape` stops them.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from orgsync import escape
from orgsync.github.action import main
from tests.support.action_env import commit, env_for, parse_outputs
from tests.support.cli import orgsync
from tests.support.fake_github import FakeGitHub
from tests.support.gfm import assert_inert, render
from tests.support.hostile import LINKING, LINKING_NAME, in_process, write

KEY = "note"  # the emulator, like Orgvue, takes identifier keys only (hostile keys: the plan-only test)
LINKING_KEY = "k_https://evil.example/@acme/admins_#12"


def linking_rows(n: int, key: str = KEY) -> list[dict[str, str]]:
    return [
        {
            "id": f"E{i}",
            "label": LINKING[i % len(LINKING)],
            key: LINKING[(i + 1) % len(LINKING)],
            "salary": "1",
        }
        | {"ssn": ""}
        for i in range(n)
    ]


def code_texts(markdown: str) -> list[str]:
    """The text of every inline `<code>` element, as the reader sees it."""
    return [html.unescape(t) for t in re.findall(r"<code>(.*?)</code>", render(markdown), re.DOTALL)]


def test_the_plan_with_values_links_and_mentions_nothing(tmp_path: Path) -> None:
    write(tmp_path, name=LINKING_NAME, key=LINKING_KEY, rows=linking_rows(len(LINKING), LINKING_KEY))
    code, out, err = orgsync("plan", "-C", str(tmp_path), "--format", "markdown", "--show-values")
    assert code == 0, err
    reader = assert_inert(out)
    shown = "".join(reader.text)
    for value in LINKING:  # every hostile value is shown, as itself but for the invisible joiner
        assert escape.unlinked(value) in shown
    assert f"<code>{escape.markdown('dataset.' + LINKING_NAME)}</code>" in out
    assert "dataset." + escape.unlinked(LINKING_NAME) in code_texts(
        out
    )  # one code element: the ` ends nothing


def test_the_plan_comment_and_its_block_reasons_link_and_mention_nothing(
    tmp_path: Path, github: FakeGitHub
) -> None:
    root = write(tmp_path / "repo", n=20, name=LINKING_NAME, key=KEY)
    assert orgsync("apply", "-C", str(root), "--auto-approve")[0] == 0
    write(root, name=LINKING_NAME, key=KEY, rows=linking_rows(1))  # mirror: 19 of 20 deleted -> blocked
    github.add_pull_request(5)
    env = env_for(tmp_path, github, ORGSYNC_WORKING_DIRECTORY=str(root), GITHUB_RUN_ID="1")
    assert main([], env, in_process) == 3
    [comment] = github.comments_on(5)
    body = comment["body"]
    assert "> [!CAUTION]" in body
    reason = next(line for line in body.splitlines() if line.startswith("> - "))
    assert reason.startswith(f"> - {escape.markdown('dataset.' + LINKING_NAME)}: 19 item deletes")
    assert_inert(body, links=("https://github.com/acme/people/actions/runs/1",))  # the footer's: ours


def test_the_apply_report_keeps_a_backtick_name_in_its_code_and_links_nothing(
    tmp_path: Path, github: FakeGitHub
) -> None:
    root = write(tmp_path / "repo", name=LINKING_NAME, key=KEY, rows=linking_rows(3))
    github.add_pull_request(7)
    github.pulls_by_commit["f" * 40] = [
        {"number": 7, "merged_at": "2026-12-01T00:00:00Z", "merge_commit_sha": "f" * 40}
    ]
    env = env_for(tmp_path, github, ORGSYNC_COMMAND="apply", GITHUB_EVENT_NAME="push")
    assert main([], env | {"ORGSYNC_WORKING_DIRECTORY": str(root)}, in_process) == 0
    [report] = github.comments_on(7)
    body = report["body"]
    step = f"dataset.{LINKING_NAME}:upsert-items"
    assert f"| {escape.code(step)} | 3/3 | done |" in body  # as written: the name's backtick is an entity
    assert escape.unlinked(step) in code_texts(body)  # and renders as one code element, whole
    assert_inert(body)
    summary = (tmp_path / "summary").read_text()
    assert f"| {escape.code(step)} | 3/3 | done |" in summary


def test_the_drift_issue_links_and_mentions_nothing(tmp_path: Path, github: FakeGitHub) -> None:
    root = write(tmp_path / "repo", name=LINKING_NAME, key=KEY, rows=linking_rows(3))
    commit(root)  # drift reports committed sources only (a checkout, as on the runner)
    env = env_for(tmp_path, github, ORGSYNC_COMMAND="drift", GITHUB_EVENT_NAME="schedule")
    assert main([], env | {"ORGSYNC_WORKING_DIRECTORY": str(root)}, in_process) == 0
    assert parse_outputs(tmp_path / "out")["drift"] == "true"
    [issue] = github.issues.values()
    assert f"<code>{escape.markdown('dataset.' + LINKING_NAME)}</code>" in issue["body"]
    assert_inert(issue["body"])


def test_a_failure_comment_keeps_the_hostile_message_in_its_code_block(
    tmp_path: Path, github: FakeGitHub
) -> None:
    root = write(tmp_path / "repo", name=LINKING_NAME, key=KEY, rows=linking_rows(3))
    manifest = root / "manifests" / "people.yaml"
    manifest.write_text(manifest.read_text().replace("type: number", "type: '``` " + " ".join(LINKING) + "'"))
    github.add_pull_request(5)
    assert main([], env_for(tmp_path, github, ORGSYNC_WORKING_DIRECTORY=str(root)), in_process) == 1
    [comment] = github.comments_on(5)
    reader = assert_inert(comment["body"])
    assert "".join(reader.text).count("https://") == 0  # no hostile text outside the code block
    assert "\n````\n" in comment["body"]  # the fence is longer than the message's ``` run
    code = "".join(reader.code)
    assert "got '``` https://evil.example/login www.evil.example x@y.com [click](https://evil)" in code
    assert json.loads(parse_outputs(tmp_path / "out")["summary"]) == {}
