"""The sticky comment against the fake GitHub API: created once, updated in place, split, only ours touched."""

from __future__ import annotations

import re

import pytest

from orgsync.github.api import GitHubApi
from orgsync.github.comments import LIMIT, MAX_PARTS, StickyKey, fits, overflow_line, split, upsert
from tests.support.fake_github import BOT, FakeGitHub

KEY = StickyKey("plan", "infra/orgvue", "ACME")


def api(github: FakeGitHub) -> GitHubApi:
    return GitHubApi(github.base_url, github.repository, "ghs_test_token")


def test_first_run_creates_one_comment_and_second_run_updates_it(github: FakeGitHub) -> None:
    github.add_pull_request(7)
    with api(github) as client:
        first = upsert(client, 7, KEY, "### orgsync plan\n\nPlan: 1 to create\n")
        second = upsert(client, 7, KEY, "### orgsync plan\n\nPlan: 2 to create\n")
    [comment] = github.comments_on(7)
    assert first.created == (comment["id"],) and second.updated == (comment["id"],)
    assert comment["body"] == f"{KEY.marker()}\n### orgsync plan\n\nPlan: 2 to create\n"
    assert github.writes() == [
        ("POST", "/repos/acme/people/issues/7/comments"),
        ("PATCH", f"/repos/acme/people/issues/comments/{comment['id']}"),
    ]
    assert {r.authorization for r in github.requests} == {"Bearer ghs_test_token"}


def test_an_unchanged_body_is_not_written_again(github: FakeGitHub) -> None:
    github.add_pull_request(7)
    with api(github) as client:
        upsert(client, 7, KEY, "same\n")
        again = upsert(client, 7, KEY, "same\n")
    assert again.unchanged and not (again.created or again.updated)
    assert len(github.writes()) == 1


def test_other_directories_tenants_and_authors_keep_their_comments(github: FakeGitHub) -> None:
    github.add_pull_request(7)
    human = github.add_comment(7, f"{KEY.marker()}\nI copied the marker", "mallory")
    with api(github) as client:
        upsert(client, 7, StickyKey("plan", "infra/orgvue", "OTHER"), "other tenant\n")
        upsert(client, 7, StickyKey("plan", "hr", "ACME"), "other directory\n")
        upsert(client, 7, KEY, "ours\n")
        upsert(client, 7, KEY, "ours again\n")
    bodies = [c["body"] for c in github.comments_on(7)]
    assert len(bodies) == 4
    assert github.comments[human]["body"] == f"{KEY.marker()}\nI copied the marker"
    assert bodies[-1] == f"{KEY.marker()}\nours again\n"


def test_a_marker_value_cannot_close_the_html_comment() -> None:
    key = StickyKey("plan", "a --> <b>", "T")
    assert key.marker() == "<!-- orgsync:plan dir=a%20--%3E%20%3Cb%3E tenant=T -->"
    assert key.owns(key.marker() + "\nbody") == 1
    assert StickyKey("plan", "a", "T").owns(key.marker()) is None


def test_a_long_plan_is_split_with_the_summary_first_and_every_part_within_the_limit() -> None:
    summary = "### orgsync plan\n\n**Plan:** 1 datasets to create\n\n"
    details = "".join(f"| row {i} | {'x' * 80} |\n" for i in range(2000))  # ≈ 190,000 characters
    parts = split(summary + details, KEY)
    assert len(parts) == 3
    assert all(len(p) <= LIMIT for p in parts)
    assert parts[0].startswith(
        f"{KEY.marker(1)}\n_orgsync plan · <code>infra/orgvue</code> · part 1 of 3_\n\n### orgsync plan"
    )
    assert [KEY.owns(p) for p in parts] == [1, 2, 3]
    rejoined = "".join(p.split("\n", 3)[3] for p in parts)
    assert rejoined == summary + details


def test_a_single_line_longer_than_the_limit_is_cut() -> None:
    parts = split("y" * (LIMIT * 2), KEY)
    assert len(parts) == 3 and all(len(p) <= LIMIT for p in parts)


def test_split_comments_are_updated_in_place_and_leftover_parts_deleted(github: FakeGitHub) -> None:
    github.add_pull_request(9)
    big = "### summary\n" + "".join(f"line {i} {'z' * 100}\n" for i in range(1500))  # 3 parts
    with api(github) as client:
        first = upsert(client, 9, KEY, big)
        smaller = big[: LIMIT + 1000]  # 2 parts
        second = upsert(client, 9, KEY, smaller)
        third = upsert(client, 9, KEY, "fits in one\n")
    assert len(first.created) == 3
    assert second.updated == first.created[:2] and second.deleted == first.created[2:]
    assert third.updated == first.created[:1] and third.deleted == first.created[1:2]
    [only] = github.comments_on(9)
    assert only["id"] == first.created[0] and only["body"] == f"{KEY.marker()}\nfits in one\n"
    assert all(len(c["body"]) <= LIMIT for c in github.comments.values())


def test_comments_are_read_across_pages(github: FakeGitHub) -> None:
    github.add_pull_request(3)
    for i in range(150):
        github.add_comment(3, f"chatter {i}", "octocat")
    mine = github.add_comment(3, f"{KEY.marker()}\nold", BOT)
    with api(github) as client:
        result = upsert(client, 3, KEY, "new\n")
    assert result.updated == (mine,)
    assert [r.query.get("page") for r in github.requests if r.method == "GET"] == ["1", "2"]


@pytest.mark.parametrize(
    ("status", "body", "expected", "hint"),
    [
        (
            403,
            {"message": "Resource not accessible by integration"},
            "GitHub API POST /repos/acme/people/issues/7/comments answered 403: Resource not accessible by integration",
            "the job needs `permissions: pull-requests: write`",
        ),
        (
            422,
            {
                "message": "Validation Failed",
                "errors": [
                    {
                        "field": "body",
                        "code": "too_long",
                        "message": "body is too long (maximum is 65536 characters)",
                    }
                ],
            },
            "GitHub API POST /repos/acme/people/issues/7/comments answered 422: Validation Failed "
            "(body is too long (maximum is 65536 characters))",
            "GitHub refused the content: a comment or issue body is limited to 65,536 characters",
        ),
    ],
)
def test_forbidden_and_rejected_answers_get_clear_messages(
    github: FakeGitHub, status: int, body: dict, expected: str, hint: str
) -> None:
    from orgsync.errors import GitHubError

    github.add_pull_request(7)
    github.fail("POST", "/issues/7/comments", status, body)
    with api(github) as client, pytest.raises(GitHubError) as caught:
        upsert(client, 7, KEY, "plan\n")
    assert caught.value.message == expected
    assert caught.value.hint is not None and caught.value.hint.startswith(hint)
    assert "ghs_test_token" not in str(caught.value)


def test_a_used_up_rate_limit_is_named_as_such(github: FakeGitHub) -> None:
    from orgsync.errors import GitHubError

    github.add_pull_request(7)
    github.fail(
        "GET",
        "/issues/7/comments",
        403,
        {"message": "API rate limit exceeded"},
        {"x-ratelimit-remaining": "0"},
    )
    with api(github) as client, pytest.raises(GitHubError) as caught:
        upsert(client, 7, KEY, "plan\n")
    assert caught.value.hint == "the GitHub API rate limit is used up; re-run the job later"


def test_at_most_five_parts_the_last_saying_how_much_is_left_out() -> None:
    body = "### orgsync plan\n" + "".join(f"line {i} {'z' * 100}\n" for i in range(4_000))  # ≈ 7 parts
    parts = split(body, KEY, overflow=overflow_line("orgsync-plan-x-comment"))
    assert len(parts) == MAX_PARTS and all(len(p) <= LIMIT for p in parts)
    assert [f"part {i} of 5_" in p.split("\n")[1] for i, p in enumerate(parts, 1)] == [True] * 5
    shown = "".join(p.split("\n", 3)[3] for p in parts)
    [rest] = re.findall(
        r"the remaining (\d+) characters are in the job summary and the workflow run's artifact "
        r"<code>orgsync-plan-x-comment</code>\.\*\*\n$",
        shown,
    )
    kept = shown[: shown.index("\n**… cut here")]
    assert body.startswith(kept) and int(rest) == len(body) - len(kept)
    assert not fits(body, KEY) and fits(body[: 4 * LIMIT], KEY)
