"""The approval issue's body is inert whatever the dataset names in the safety policy's reasons."""

from __future__ import annotations

from orgsync.github import approval
from tests.support.gfm import assert_inert
from tests.support.hostile import HTML_NAME, LINKING_NAME


def test_the_approval_issue_is_inert_whatever_the_dataset_names_in_its_reasons() -> None:
    reasons = [f"dataset.{LINKING_NAME} <!-- {HTML_NAME}: 9 item deletes", "x" * 10] + [LINKING_NAME] * 30
    run = "https://github.com/acme/people/actions/runs/1"
    body = approval.body_of(approval.key(".", "ACME"), "### orgsync plan\n", reasons, run_url=run)
    reader = assert_inert(body, links=(run,))
    assert "<!--" not in body.split("\n", 1)[1]  # only the marker line opens an HTML comment
    assert "… and 12 more" in body and any("evil.example" in t for t in reader.text)


def test_a_plan_longer_than_an_issue_is_cut_well_formed_within_the_limit() -> None:
    from orgsync.github.comments import LIMIT
    from tests.support.gfm import fences_balanced

    plan = "### orgsync plan\n\n```\n" + "a line of a long plan\n" * 5_000 + "```\n"
    body = approval.body_of(
        approval.key(".", "ACME"), plan, ["r"], run_url="https://github.com/a/b/actions/runs/2"
    )
    assert len(body) <= LIMIT and fences_balanced(body)
    assert body.rstrip().endswith(
        "characters left out); the whole plan is in the workflow run's job summary "
        "(https://github.com/a/b/actions/runs/2).**"
    )
