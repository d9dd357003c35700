"""The drift issue against the fake GitHub API: opens on drift, updates while it lasts, closes when clean."""

from __future__ import annotations

import re

import pytest

from orgsync.errors import GitHubError
from orgsync.github.api import GitHubApi
from orgsync.github.comments import LIMIT, StickyKey
from orgsync.github.drift import sync_issue
from tests.support.fake_github import FakeGitHub

KEY = StickyKey("drift", ".", "ACME")
RUN = "https://github.com/acme/people/actions/runs/42"


def test_drift_opens_one_issue_updates_it_and_closes_it_when_clean(github: FakeGitHub) -> None:
    github.add_pull_request(1)  # pull requests are issues too: never taken for the drift issue
    with GitHubApi(github.base_url, github.repository, "t") as api:
        opened = sync_issue(api, KEY, True, "Plan: 1 to update\n", run_url=RUN)
        updated = sync_issue(api, KEY, True, "Plan: 2 to update\n", run_url=RUN)
        closed = sync_issue(api, KEY, False, "No changes.\n", run_url=RUN)
        quiet = sync_issue(api, KEY, False, "No changes.\n", run_url=RUN)
    assert (opened.action, updated.action, closed.action, quiet.action) == (
        "opened",
        "updated",
        "closed",
        "none",
    )
    assert opened.number == updated.number == closed.number == 2
    issue = github.issues[2]
    assert issue["title"] == "orgsync drift: tenant ACME (.)"
    assert issue["state"] == "closed" and issue["state_reason"] == "completed"
    assert issue["body"].startswith(KEY.marker() + "\n") and issue["body"].endswith("Plan: 2 to update\n")
    [note] = github.comments_on(2)
    assert note["body"] == f"The tenant matches the repository again ({RUN})."
    assert github.writes() == [
        ("POST", "/repos/acme/people/issues"),
        ("PATCH", "/repos/acme/people/issues/2"),
        ("POST", "/repos/acme/people/issues/2/comments"),
        ("PATCH", "/repos/acme/people/issues/2"),
    ]


def test_drift_after_closing_opens_a_new_issue(github: FakeGitHub) -> None:
    with GitHubApi(github.base_url, github.repository, "t") as api:
        sync_issue(api, KEY, True, "a\n")
        sync_issue(api, KEY, False, "")
        again = sync_issue(api, KEY, True, "b\n")
    assert again.action == "opened" and again.number == 2


def test_a_huge_plan_is_cut_to_fit_the_issue(github: FakeGitHub) -> None:
    with GitHubApi(github.base_url, github.repository, "t") as api:
        sync_issue(api, KEY, True, "x" * (LIMIT * 2), run_url=RUN)
    body = github.issues[1]["body"]
    assert len(body) <= LIMIT and body.endswith(f"the full plan is in the workflow run: {RUN}.\n")


def test_no_issues_permission_says_which_permission(github: FakeGitHub) -> None:
    github.fail(
        "POST", "/repos/acme/people/issues", 403, {"message": "Resource not accessible by integration"}
    )
    with GitHubApi(github.base_url, github.repository, "t") as api, pytest.raises(GitHubError) as caught:
        sync_issue(api, KEY, True, "a\n")
    assert caught.value.hint == "the job needs `permissions: issues: write`"


def test_an_unreachable_api_is_one_message() -> None:
    with GitHubApi("http://127.0.0.1:9", "acme/people", "t") as api, pytest.raises(GitHubError) as caught:
        sync_issue(api, KEY, True, "a\n")
    assert caught.value.message == "GitHub API GET /repos/acme/people/issues: unreachable (ConnectError)"


def test_a_huge_plan_is_cut_where_its_details_close(github: FakeGitHub) -> None:
    rows = "".join(f"| E{i} | {'x' * 60} |\n" for i in range(2_000))
    plan = f"### orgsync plan\n\n<details><summary>People</summary>\n\n| id | note |\n|---|---|\n{rows}\n</details>\n"
    with GitHubApi(github.base_url, github.repository, "t") as api:
        sync_issue(api, KEY, True, plan, run_url=RUN)
    body = github.issues[1]["body"]
    assert len(body) <= LIMIT and body.count("<details>") == body.count("</details>") == 1
    [rest] = re.findall(r"\((\d+) characters left out\); the full plan is in the workflow run: ", body)
    shown = body[body.index("### orgsync plan") : body.index("\n\n</details>")]
    assert int(rest) == len(plan) - len(shown) - 1 and plan.startswith(shown)
