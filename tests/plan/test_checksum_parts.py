"""A saved plan names what changed when it is stale: each input's digest is kept beside the checksum."""

from __future__ import annotations

from pathlib import Path

from orgsync.plan.checksum import changed_inputs, input_digests
from tests.support.plan_factories import dataset, project


def test_each_changed_input_is_named() -> None:
    people, teams = dataset("People"), dataset("Teams")
    before = input_digests(project(people, teams), {"People": "a" * 64, "Teams": "b" * 64})
    retagged = dataset("Teams", tags=["hr"])
    retagged._manifest_path = Path("/repo/manifests/teams.yaml")
    now = input_digests(project(people, retagged), {"People": "c" * 64, "Teams": "b" * 64})
    assert changed_inputs(before, now) == [
        "the source of People changed (its files, or the rows its database or date-dependent query returns)",
        "teams.yaml (Teams) is new",
        "manifest (Teams) is gone",
    ]
    safer = project(people, teams, safety={"maxDeletePercent": 5})
    assert changed_inputs(before, input_digests(safer, {"People": "a" * 64, "Teams": "b" * 64})) == [
        "orgsync.yaml changed"
    ]


def test_a_plan_saved_without_parts_says_nothing_more() -> None:
    assert changed_inputs({}, {"orgsync.yaml": "x"}) == []
