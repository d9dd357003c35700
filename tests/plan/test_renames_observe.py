"""Adoption features of the planner, end to end over a socket: `renamedFrom` renames in place, `manage: observe`
reports drift that apply never writes and the safety policy ignores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml

from tests.support.cli import orgsync
from tests.support.staff_repo import Repo

pytestmark = pytest.mark.socket
TOKEN = "adoption-token"


def edit(path: Path, **changes: Any) -> None:
    body = yaml.safe_load(path.read_text())
    body.update(changes)
    path.write_text(yaml.safe_dump(body, sort_keys=False))


def datasets(base_url: str) -> dict[str, str]:
    answer = httpx.get(f"{base_url}/api/v1/ACME/datasets", headers={"Authorization": f"Bearer {TOKEN}"})
    return {d["name"]: d["datasetId"] for d in answer.json()}


def requests(base_url: str) -> list[dict[str, Any]]:
    return list(
        httpx.get(f"{base_url}/_emulator/requests", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    )


@pytest.fixture
def tenant(tmp_path: Path, emulator_factory: Any) -> tuple[Repo, str]:
    server = emulator_factory(token=TOKEN)
    repo = Repo(tmp_path, endpoint=server.base_url).write()
    code, _, err = orgsync("apply", "-C", str(repo.root), "--auto-approve", token=TOKEN)
    assert code == 0, err
    return repo, server.base_url


def rename_staff(repo: Repo) -> None:
    edit(repo.root / "manifests" / "staff.yaml", name="People", renamedFrom=["Employees", "Staff"])
    edit(repo.root / "manifests" / "membership.yaml", **{"from": "People"})


def test_a_declared_rename_patches_the_name_once_and_then_plans_nothing(tenant: tuple[Repo, str]) -> None:
    repo, base = tenant
    staff_id = datasets(base)["Staff"]
    rename_staff(repo)
    code, out, err = orgsync("plan", "-C", str(repo.root), "--detailed-exitcode", token=TOKEN)
    assert code == 2, err
    assert f'  ~ dataset.People (renamed from "Staff")  (update, update; {staff_id})' in out
    assert "      ~ name: Staff → People" in out
    assert "0 datasets to create, 1 to update" in out
    doc = orjson.loads(orgsync("plan", "-C", str(repo.root), "--format", "json", token=TOKEN)[1])
    people = next(r for r in doc["resources"] if r["name"] == "People")
    assert people["renamed_from"] == "Staff" and people["dataset_id"] == staff_id
    httpx.delete(f"{base}/_emulator/requests", headers={"Authorization": f"Bearer {TOKEN}"})
    code, _, err = orgsync("apply", "-C", str(repo.root), "--auto-approve", token=TOKEN)
    assert code == 0, err
    writes = [
        r for r in requests(base) if r["method"] in ("POST", "PATCH", "PUT") and "/export" not in r["path"]
    ]
    assert [(r["method"], r["path"]) for r in writes] == [("PATCH", f"/api/v1/ACME/datasets/{staff_id}")]
    assert datasets(base) == {
        "People": staff_id,
        "Teams": datasets(base)["Teams"],
        "Membership": datasets(base)["Membership"],
    }
    code, out, _ = orgsync("plan", "-C", str(repo.root), "--detailed-exitcode", token=TOKEN)
    assert code == 0 and "No changes." in out  # the old names are ignored from now on


def test_a_rename_whose_old_and_new_names_both_exist_stops_the_plan(tenant: tuple[Repo, str]) -> None:
    repo, base = tenant
    httpx.post(
        f"{base}/api/v1/ACME/datasets",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={
            "name": "People",
            "type": "PEOPLE",
            "autoId": "id",
            "labelId": "id",
            "properties": [{"key": "id", "type": "text", "isRequired": True}],
        },
    ).raise_for_status()
    rename_staff(repo)
    code, out, err = orgsync("plan", "-C", str(repo.root), token=TOKEN)
    assert code == 1 and out == ""
    assert (
        "renamedFrom: tenant ACME has both 'People' and 'Staff'; a rename needs the old name only, so orgsync "
        "cannot tell which one this manifest manages"
    ) in err
    assert "if the rename already happened, remove `renamedFrom`" in err and "Traceback" not in err


def test_observed_datasets_show_drift_apply_never_writes_and_safety_ignores(tenant: tuple[Repo, str]) -> None:
    repo, base = tenant
    staff_id = datasets(base)["Staff"]
    edit(
        repo.root / "manifests" / "staff.yaml",
        manage="observe",
        items={"source": "../data/staff.csv", "mode": "upsert"},
    )
    repo.staff = repo.staff[:6]  # 14 of 20 items gone from the source: far above maxDeletePercent
    repo.staff[0]["grade"] = "G9"
    repo.write()
    edit(
        repo.root / "manifests" / "staff.yaml",
        manage="observe",
        items={"source": "../data/staff.csv", "mode": "upsert"},
    )
    code, out, err = orgsync("plan", "-C", str(repo.root), "--detailed-exitcode", token=TOKEN)
    assert code == 0, out + err  # drift is not a change apply would make, and nothing blocks
    assert "Drift in observe-only datasets (`manage: observe`; apply never writes to these):" in out
    assert f"  ~ dataset.Staff  (update, destructive; {staff_id})" in out
    assert "      items: 0 to create, 1 to update, 14 to delete (of 20 existing)" in out  # every difference
    assert "Blocked" not in out and "No changes. The tenant matches" in out
    doc = orjson.loads(orgsync("plan", "-C", str(repo.root), "--format", "json", token=TOKEN)[1])
    assert doc["has_changes"] is False and doc["has_drift"] is True and doc["blocked"] is False
    assert [(r["name"], r["manage"]) for r in doc["drift"]] == [("Staff", "observe")]
    assert all(r["manage"] == "managed" for r in doc["resources"])
    markdown = orgsync("plan", "-C", str(repo.root), "--format", "markdown", token=TOKEN)[1]
    assert (
        "**Drift in observe-only datasets**" in markdown and "| ~ | <code>dataset.Staff</code> |" in markdown
    )
    saved = repo.root / "plan.json"
    assert orgsync("plan", "-C", str(repo.root), "--out", str(saved), token=TOKEN)[0] == 0
    assert "Drift in observe-only datasets" in orgsync("show", str(saved), token=TOKEN)[1]
    httpx.delete(f"{base}/_emulator/requests", headers={"Authorization": f"Bearer {TOKEN}"})
    code, _, err = orgsync("apply", "-C", str(repo.root), str(saved), "--auto-approve", token=TOKEN)
    assert code == 0, err
    assert [
        r
        for r in requests(base)
        if staff_id in r["path"] and r["method"] != "GET" and "/export" not in r["path"]
    ] == []


def test_an_observed_dataset_missing_from_the_tenant_is_never_created(
    tmp_path: Path, emulator_factory: Any
) -> None:
    server = emulator_factory(token=TOKEN)
    repo = Repo(tmp_path, endpoint=server.base_url).write()
    edit(repo.root / "manifests" / "teams.yaml", manage="observe")
    (repo.root / "manifests" / "membership.yaml").unlink()
    code, out, err = orgsync("plan", "-C", str(repo.root), token=TOKEN)
    assert code == 0, err
    assert "not in tenant ACME: observe-only datasets are never created" in out
    assert orgsync("apply", "-C", str(repo.root), "--auto-approve", token=TOKEN)[0] == 0
    assert sorted(datasets(server.base_url)) == ["Staff"]


def test_a_links_dataset_on_a_missing_observed_end_stops_the_plan(
    tmp_path: Path, emulator_factory: Any
) -> None:
    server = emulator_factory(token=TOKEN)
    repo = Repo(tmp_path, endpoint=server.base_url).write()
    edit(repo.root / "manifests" / "teams.yaml", manage="observe")
    code, out, err = orgsync("plan", "-C", str(repo.root), token=TOKEN)
    assert code == 1 and out == ""
    assert (
        "manifests/membership.yaml:4:5: to: 'Teams' is observe-only (`manage: observe`) and not in tenant ACME, "
        "so orgsync never creates it"
    ) in err
