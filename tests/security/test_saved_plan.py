"""Attacks through a saved plan file: it is an artifact anyone with the file can edit between plan and apply.
Apply re-derives from the manifests what the plan may do, and with ORGSYNC_PLAN_KEY refuses an unsigned or
altered file (issue 23, item 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import orgsync
from tests.support.staff_repo import Repo, staff_rows

KEY = "plan-signing-key-from-the-ci-secret-store"


def applied(root: Path, **fields: object) -> Repo:
    repo = Repo(root, **fields)  # type: ignore[arg-type]
    repo.write()
    code, _, err = orgsync("apply", "-C", str(root), "--auto-approve")
    assert code == 0, err
    return repo


def saved(root: Path, name: str, *extra: str, env: dict[str, str] | None = None) -> dict:
    code, _, err = orgsync("plan", "-C", str(root), "--out", str(root / name), *extra, env=env)
    assert code in (0, 2), err
    return json.loads((root / name).read_text())


def staff(document: dict, where: str = "resources") -> dict:
    return next(r for r in document[where] if r["name"] == "Staff")


def live_staff_count(root: Path) -> int:
    """How many Staff items the tenant holds: a fresh mirror-free plan counts them as `existing`."""
    code, out, err = orgsync("plan", "-C", str(root), "--format", "json")
    assert code in (0, 3), err
    return int(next(r for r in json.loads(out)["resources"] if r["name"] == "Staff")["counts"]["existing"])


def write(root: Path, name: str, document: dict) -> Path:
    (root / name).write_text(json.dumps(document))
    return root / name


def test_deletes_added_to_the_plan_of_an_upsert_dataset_are_refused(tmp_path):
    repo = applied(tmp_path, mode="upsert", staff=staff_rows(12))
    # the attacker gets real delete rows (with the live ids) from a plan of another state of the repository ...
    Repo(tmp_path, mode="mirror", staff=staff_rows(1)).write()
    deletes = staff(saved(tmp_path, "mirror.plan", "--allow-destructive"))["items"]["deletes"]
    assert len(deletes["id"]) == 11
    # ... and puts them into the plan of the repository as it is (upsert: the checksum still matches)
    repo.write()
    document = saved(tmp_path, "pr.plan")
    staff(document)["items"]["deletes"] = deletes
    staff(document)["action"] = "update"
    plan_file = write(tmp_path, "pr.plan", document)
    code, out, err = orgsync(
        "apply", "-C", str(tmp_path), str(plan_file), "--auto-approve", "--allow-destructive"
    )
    assert code == 1
    assert err.startswith(
        f"Error: the saved plan {plan_file} does more than the manifests allow; nothing was written:\n"
        "  dataset.Staff: 11 item deletes, which its manifest (items mode upsert) does not allow\n"
    )
    assert live_staff_count(tmp_path) == 12


def test_a_plan_forced_when_made_is_not_forced_when_applied(tmp_path):
    repo = applied(tmp_path, mode="mirror")
    repo.staff = staff_rows(15)  # 5 of 20 deleted: above maxDeletePercent 10
    repo.write()
    document = saved(tmp_path, "forced.plan", "--allow-destructive")
    assert document["forced"] is True
    document["resources"] = [{**r, "blocked": []} for r in document["resources"]]  # and hide the verdict
    plan_file = write(tmp_path, "forced.plan", document)
    code, out, err = orgsync("apply", "-C", str(tmp_path), str(plan_file), "--auto-approve")
    assert code == 3
    assert "dataset.Staff: 5 item deletes are 25 % of 20 existing items, above maxDeletePercent 10 %" in err
    assert live_staff_count(tmp_path) == 20
    code, _, err = orgsync(
        "apply", "-C", str(tmp_path), str(plan_file), "--auto-approve", "--allow-destructive"
    )
    assert code == 0, err  # forcing is this run's decision
    assert live_staff_count(tmp_path) == 15


def test_an_observed_dataset_moved_into_the_plan_is_refused(tmp_path):
    repo = applied(tmp_path)
    repo.staff_extra = {"manage": "observe"}
    repo.staff = [{**r, "grade": "G7"} for r in repo.staff]
    repo.write()
    document = saved(tmp_path, "observe.plan")
    observed = staff(document, "drift")
    document["drift"] = []
    document["resources"].insert(0, {**observed, "observe": False})
    plan_file = write(tmp_path, "observe.plan", document)
    code, _, err = orgsync("apply", "-C", str(tmp_path), str(plan_file), "--auto-approve")
    assert code == 1
    assert "  dataset.Staff: the manifest says `manage: observe`: apply never writes to it\n" in err
    code, out, _ = orgsync("plan", "-C", str(tmp_path), "--format", "json")
    assert staff(json.loads(out), "drift")["counts"]["update"] == 20  # nothing written


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Path, dict]:
    repo = applied(tmp_path)
    repo.staff = [{**r, "grade": "G2"} if i < 3 else r for i, r in enumerate(repo.staff)]
    repo.write()
    document = saved(tmp_path, "signed.plan", env={"ORGSYNC_PLAN_KEY": KEY})
    assert document["signature"]["algorithm"] == "HMAC-SHA256"
    return tmp_path, document


@pytest.mark.parametrize(
    "tamper, message",
    [
        (lambda d: staff(d)["items"]["updates"]["grade"].__setitem__(0, "G9"), "signature does not match"),
        (lambda d: d.pop("signature"), "is not signed, and ORGSYNC_PLAN_KEY is set"),
        (
            lambda d: d.__setitem__("signature", {"algorithm": "HMAC-SHA256", "value": "0" * 64}),
            "does not match",
        ),
    ],
)
def test_with_a_key_an_altered_or_unsigned_plan_is_refused(signed, tamper, message):
    root, document = signed
    tamper(document)
    plan_file = write(root, "signed.plan", document)
    code, out, err = orgsync(
        "apply", "-C", str(root), str(plan_file), "--auto-approve", env={"ORGSYNC_PLAN_KEY": KEY}
    )
    assert (code, out) == (1, "")
    assert (
        err.startswith(f"Error: {plan_file}: the saved plan")
        and message in err
        and "nothing was written" in err
    )
    code, out, _ = orgsync("plan", "-C", str(root), "--format", "json")
    assert json.loads(out)["summary"]["items"]["update"] == 3  # nothing was written


def test_with_a_key_the_plan_as_made_is_applied_and_another_key_is_refused(signed):
    root, _ = signed
    code, _, err = orgsync(
        "apply", "-C", str(root), str(root / "signed.plan"), "--auto-approve", env={"ORGSYNC_PLAN_KEY": "x"}
    )
    assert code == 1 and "signature does not match" in err
    code, _, err = orgsync(
        "apply", "-C", str(root), str(root / "signed.plan"), "--auto-approve", env={"ORGSYNC_PLAN_KEY": KEY}
    )
    assert code == 0, err
