"""Concurrent runs: two applies on one machine, a tenant left with two datasets of one name, the CI workflow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from orgsync.apply.lock import apply_lock, lock_path
from orgsync.commands.init import run_init
from orgsync.errors import OrgsyncError
from tests.support.cli import orgsync
from tests.support.hostile import write


def dead_pid() -> int:
    """A pid that existed and has exited (reaped): nothing runs under it now."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_second_apply_while_one_runs_is_refused_before_anything_is_read(tmp_path):
    write(tmp_path, key="note")
    live_owner = os.getppid()  # a process that is certainly running (pytest's parent)
    lock = lock_path(tmp_path)
    lock.write_text(f"{live_owner}\n")
    code, out, err = orgsync("apply", "-C", str(tmp_path), "--auto-approve")
    assert code == 1 and out == ""
    assert err.startswith(
        f"Error: another orgsync apply (pid {live_owner}) is running on this repository ({lock})"
    )
    assert not (tmp_path / ".orgsync" / "tenant.db").exists()  # refused before the tenant was even opened
    assert lock.read_text() == f"{live_owner}\n"  # the other run's lock is left alone


def test_a_stale_lock_is_detected_and_taken_over(tmp_path):
    write(tmp_path, key="note")
    pid = dead_pid()
    lock_path(tmp_path).write_text(f"{pid}\n")
    code, out, err = orgsync("apply", "-C", str(tmp_path), "--auto-approve")
    assert code == 0, err
    assert f"note: removing a stale apply lock ({lock_path(tmp_path)}, pid {pid} is not running)" in err
    assert not lock_path(tmp_path).exists()  # released at the end


def test_the_lock_is_held_for_the_run_and_released_after(tmp_path):
    write(tmp_path, key="note")
    with apply_lock(tmp_path) as path:
        assert path.read_text() == f"{os.getpid()}\n"
        with pytest.raises(OrgsyncError, match="another orgsync apply"):
            with apply_lock(tmp_path, pid=os.getpid() + 1_000_000):
                pass
    assert not path.exists()


def test_a_planted_orgsync_symlink_cannot_redirect_the_lock_or_state(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    write(root, key="note")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", root / ".orgsync")
    code, _, err = orgsync("apply", "-C", str(root), "--auto-approve")
    assert code == 1 and ".orgsync in the repository is a link" in err
    assert list((tmp_path / "elsewhere").iterdir()) == []


@pytest.mark.socket
def test_two_datasets_of_one_name_plan_explains_which_holds_items_and_how_to_recover(
    tmp_path, emulator_factory
):
    server = emulator_factory(token="tok")
    write(tmp_path, n=4, key="note", name="People")
    (tmp_path / "orgsync.yaml").write_text(
        f"tenant: ACME\nendpoint: {server.base_url}\nmanifests: manifests\n"
    )
    env = {"ORGVUE_TOKEN": "tok"}
    assert orgsync("apply", "-C", str(tmp_path), "--auto-approve", env=env)[0] == 0
    auth = {"Authorization": "Bearer tok"}
    listed = httpx.get(f"{server.base_url}/api/v1/ACME/datasets", headers=auth).json()
    first = listed[0]["datasetId"]
    body = {
        "name": "People",
        "type": "PEOPLE",
        "autoId": "id",
        "labelId": "label",
        "properties": [
            {"key": "id", "name": "ID", "type": "text", "isRequired": True},
            {"key": "label", "name": "L", "type": "text", "isRequired": True},
        ],
    }
    second = httpx.post(f"{server.base_url}/api/v1/ACME/datasets", json=body, headers=auth).json()[
        "datasetId"
    ]
    code, out, err = orgsync("plan", "-C", str(tmp_path), env=env)
    assert code == 1 and out == ""
    assert (
        f"manifests/people.yaml:1:1: name: tenant ACME has 2 datasets named 'People' ({first}, {second}), "
        "probably from two applies at once: "
    ) in err
    assert (
        f"{first} (created " in err and "4 items" in err and f"{second} (created " in err and "0 items" in err
    )
    assert (
        f"To recover: pin the one holding the items with `datasetId: {first}` in manifests/people.yaml" in err
    )
    manifest = tmp_path / "manifests" / "people.yaml"
    manifest.write_text(manifest.read_text() + f"datasetId: {first}\n")
    code, out, err = orgsync("plan", "-C", str(tmp_path), "--detailed-exitcode", env=env)
    assert code == 0, err  # pinned: the plan works again


def test_the_starter_workflow_serialises_applies_and_pins_the_endpoint(tmp_path):
    run_init(tmp_path / "repo")
    workflow = yaml.safe_load((tmp_path / "repo" / ".github" / "workflows" / "orgsync.yml").read_text())
    for job in (
        "apply",
        "drift",
    ):  # runs that touch the tenant: one at a time per tenant, queued, never cancelled
        assert workflow["jobs"][job]["concurrency"] == {
            "group": "orgsync-tenant-${{ vars.ORGVUE_TENANT }}",
            "cancel-in-progress": False,
        }
    for job in workflow["jobs"].values():  # the Action passes `endpoint` on as the ORGVUE_URL pin
        assert job["steps"][-1]["with"]["endpoint"] == "${{ vars.ORGVUE_URL }}"
    action = yaml.safe_load((Path(__file__).resolve().parents[2] / "action.yml").read_text())
    [step] = [s for s in action["runs"]["steps"] if s.get("id") == "orgsync"]
    assert step["env"]["ORGVUE_URL"] == "${{ inputs.endpoint }}"
