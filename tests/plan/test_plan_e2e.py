"""`orgsync plan` / `show` end to end on the embedded (in-process) emulator, through the real CLI."""

from __future__ import annotations

import stat

import orjson
import pytest
import yaml

from tests.support.cli import orgsync
from tests.support.staff_repo import Repo, salary, staff_rows

SECRETS = [salary(i) for i in range(25)] + ["999111"]


def plan_json(repo: Repo, *extra: str) -> tuple[int, dict]:
    code, out, _ = orgsync("plan", "-C", str(repo.root), "--format", "json", "--detailed-exitcode", *extra)
    return code, orjson.loads(out)


@pytest.fixture
def repo(tmp_path) -> Repo:
    return Repo(tmp_path / "repo").write()


@pytest.fixture
def applied(repo) -> Repo:
    """The repository after a first apply: the tenant matches it."""
    code, _, err = orgsync("apply", "-C", str(repo.root), "--auto-approve")
    assert code == 0, err
    return repo


def test_first_plan_save_show_apply_then_the_next_plan_is_empty(repo):
    code, doc = plan_json(repo)
    assert code == 2
    assert doc["summary"]["datasets"] == {"create": 3, "update": 0, "delete": 0, "no-op": 0}
    assert doc["summary"]["items"] == {"create": 28, "update": 0, "delete": 0}
    links = doc["resources"][2]
    assert links["address"] == "links.Membership" and links["dataset_id"] is None
    assert {c["field"]: c["after"] for c in links["config_changes"]}["fromDatasetId"] == "(known after apply)"

    saved = repo.root / "plan.json"
    code, out, err = orgsync("plan", "-C", str(repo.root), "--out", str(saved))
    assert code == 0 and f"Saved the plan to {saved}" in err
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    code, shown, _ = orgsync("show", str(saved))
    assert code == 0 and shown == out

    assert orgsync("apply", "-C", str(repo.root), str(saved), "--auto-approve")[0] == 0
    code, out, _ = orgsync("plan", "-C", str(repo.root), "--detailed-exitcode")
    assert code == 0 and "No changes. The tenant matches the manifests and sources." in out


@pytest.mark.parametrize(
    ("mode", "counts"),
    [
        ("insert", {"create": 1, "update": 0, "delete": 0}),
        ("update", {"create": 0, "update": 1, "delete": 0}),
        ("upsert", {"create": 1, "update": 1, "delete": 0}),
        ("mirror", {"create": 1, "update": 1, "delete": 1}),
    ],
)
def test_each_mode_plans_its_kinds_of_item_change(applied, mode, counts):
    applied.mode = mode
    applied.staff[0]["name"] = "Renamed"
    applied.staff[19:] = [{"id": "S99", "name": "New", "grade": "G2", "salary": "999111", "note": ""}]
    applied.write()
    code, doc = plan_json(applied, "--target", "Staff")
    staff = doc["resources"][0]
    assert code == 2 and [r["address"] for r in doc["resources"]] == ["dataset.Staff"]
    assert {k: staff["counts"][k] for k in counts} == counts
    if counts["update"]:
        assert staff["items"]["updates"] == [
            {"key": {"id": "S00"}, "changes": {"name": {"before": "Person 0", "after": "Renamed"}}}
        ]
    if counts["delete"]:
        assert staff["items"]["deletes"] == [{"key": {"id": "S19"}}]


def test_a_column_the_source_does_not_carry_is_kept_not_reverted(applied):
    applied.staff_columns = ["id", "name", "grade", "salary"]  # `note` now kept by hand in Orgvue
    applied.staff[0]["note"] = "ignored"
    applied.write()
    code, doc = plan_json(applied)
    assert code == 0 and doc["has_changes"] is False


def test_mirror_deletes_above_the_threshold_block_until_allowed(applied):
    applied.staff = staff_rows(17)
    applied.write()
    saved = applied.root / "plan.json"
    code, out, err = orgsync("plan", "-C", str(applied.root), "--out", str(saved))
    assert code == 3
    lines = out.splitlines()
    assert "        - id=S19" in lines  # the full plan still prints
    assert (
        "  - dataset.Staff: 3 item deletes are 15 % of 20 existing items, above maxDeletePercent 10 %"
        in lines
    )
    assert any(line.startswith("To go ahead: ") and "--allow-destructive" in line for line in lines)
    assert not saved.exists() and "not saved" in err
    code, out, _ = orgsync(
        "plan", "-C", str(applied.root), "--allow-destructive", "--detailed-exitcode", "--out", str(saved)
    )
    assert code == 2 and "Allowed by --allow-destructive" in out and saved.exists()


def test_update_share_above_the_threshold_blocks_and_a_manifest_override_lifts_it(applied):
    for row in applied.staff[:11]:
        row["grade"] = "G9"
    applied.write()
    code, doc = plan_json(applied)
    assert code == 3 and doc["blocking_reasons"] == [
        "dataset.Staff: 11 item updates that overwrite values are 55 % of 20 existing items, above maxUpdatePercent 50 %"
    ]
    applied.staff_extra = {"safety": {"maxUpdatePercent": 60}}
    applied.write()
    assert plan_json(applied)[0] == 2


def test_change_classes_rename_type_change_and_property_removal(applied):
    applied.staff_props[1]["name"] = "Full name"
    applied.write()
    code, doc = plan_json(applied)
    staff = doc["resources"][0]
    assert code == 2 and staff["class"] == "update"
    # `name` is the labelId, so isRequired (true, as created) is part of what is compared
    assert staff["property_changes"] == [
        {
            "key": "name",
            "action": "update",
            "before": {"key": "name", "name": "Name", "type": "text", "isRequired": True},
            "after": {"key": "name", "name": "Full name", "type": "text", "isRequired": True},
            "class": "update",
        }
    ]

    applied.staff_props[2]["type"] = "number"
    applied.staff = [{**r, "grade": "1"} for r in applied.staff]
    applied.write()
    code, doc = plan_json(applied)
    assert code == 3 and doc["resources"][0]["class"] == "destructive"
    assert "dataset.Staff: destructive change, property grade type text -> number" in doc["blocking_reasons"]
    assert plan_json(applied, "--allow-destructive")[0] == 2

    applied.staff_props = (
        applied.staff_props[:2] + applied.staff_props[3:]
    )  # drop grade (type change undone too)
    applied.staff_columns = ["id", "name", "salary", "note"]
    applied.staff_extra = {"deleteOmittedProperties": True}
    applied.write()
    code, doc = plan_json(applied)
    assert code == 3
    assert (
        "dataset.Staff: destructive change, property grade removed (deleteOmittedProperties: true)"
        in doc["blocking_reasons"]
    )


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_sensitive_values_never_appear_in_any_format_or_saved_plan(applied, fmt):
    applied.staff = [{**r, "salary": "999111"} for r in applied.staff] + [
        {"id": "S50", "name": "New", "grade": "G1", "salary": salary(24), "note": ""}
    ]
    applied.staff_extra = {"safety": {"maxUpdatePercent": 100}}
    applied.write()
    saved = applied.root / "plan.json"
    code, out, err = orgsync(
        "plan", "-C", str(applied.root), "--format", fmt, "--show-all", "--show-values", "--out", str(saved)
    )
    _, shown, _ = orgsync("show", str(saved), "--format", fmt, "--show-all", "--show-values")
    assert code == 0 and "(sensitive)" in out and "(sensitive)" in shown
    for text in (out, err, shown, saved.read_text()):
        assert not [s for s in SECRETS if s in text]


def test_markdown_shows_keys_and_labels_but_no_other_value_unless_asked(applied):
    applied.staff[0]["name"] = "Renamed Person"
    applied.write()
    code, out, _ = orgsync("plan", "-C", str(applied.root), "--format", "markdown")
    assert code == 0 and "| ~ | <code>dataset.Staff</code> | update | update | 0 | 1 | 0 | 20 |" in out
    assert "- Renamed Person (S00)" in out  # who changes: key and label (the repository holds both)
    assert "Person 0" not in out  # the value before
    _, shown, _ = orgsync("plan", "-C", str(applied.root), "--format", "markdown", "--show-values")
    assert "| S00 | name: Person 0 → Renamed Person |" in shown


def test_target_plans_only_the_target_and_its_dependencies(repo):
    _, doc = plan_json(repo, "--target", "Membership")
    assert [r["address"] for r in doc["resources"]] == ["dataset.Staff", "dataset.Teams", "links.Membership"]
    _, doc = plan_json(repo, "--target", "Teams")
    assert [r["address"] for r in doc["resources"]] == ["dataset.Teams"]
    code, _, err = orgsync("plan", "-C", str(repo.root), "--target", "Nope")
    assert code == 1 and err == (
        "Error: command line: --target Nope: no manifest declares this name; expected one of "
        "Membership, Staff, Teams\n"
    )


def test_a_duplicate_key_stops_the_plan_before_any_api_call(repo):
    repo.staff[1]["id"] = "S00"
    repo.write()
    code, out, err = orgsync("plan", "-C", str(repo.root))
    assert code == 1 and out == ""
    assert "staff.csv" in err and "S00" in err and "Traceback" not in err
    assert not (repo.root / ".orgsync").exists()  # the tenant was never opened


def test_a_links_dataset_whose_from_changed_stops_the_plan_with_what_the_tenant_has(applied):
    """Membership links Staff → Teams in the tenant; the manifest now says Contractors → Teams."""
    manifests = applied.root / "manifests"
    (manifests / "contractors.yaml").write_text(
        yaml.safe_dump(
            {
                "kind": "Dataset",
                "name": "Contractors",
                "type": "PEOPLE",
                "autoId": "id",
                "labelId": "id",
                "properties": [{"key": "id", "name": "ID", "type": "text"}],
            }
        )
    )
    membership = yaml.safe_load((manifests / "membership.yaml").read_text())
    (manifests / "membership.yaml").write_text(
        yaml.safe_dump({**membership, "from": "Contractors"}, sort_keys=False)
    )
    for extra in ((), ("--allow-destructive",)):
        code, out, err = orgsync("plan", "-C", str(applied.root), *extra)
        assert code == 1 and out == "" and "Traceback" not in err
        assert err.startswith("Error: manifests/membership.yaml:3:7: from: links dataset 'Membership' (")
        assert "links Staff (" in err and ") → Teams (" in err
        assert "but the manifest says Contractors → Teams; the API cannot change the datasets" in err
    code, _, err = orgsync("apply", "-C", str(applied.root), "--auto-approve")
    assert code == 1 and "the API cannot change the datasets of an existing links dataset" in err
