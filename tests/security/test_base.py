"""Attacks that loosen what protects the data from inside the pull request: `sensitive: true` dropped (so the
saved plan artifact held every live salary), a threshold raised, `manage: observe` lifted. With the base
(`plan --base-ref REF` / `--base DIR`) the stricter of base and pull request wins (issue 23, item 3)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import orgsync
from tests.support.staff_repo import STAFF_PROPS, Repo, salary

LIVE_SALARIES = [salary(i) for i in range(20)]


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def based_repo(root: Path, **base: object) -> tuple[Repo, str]:
    """The reviewed base committed (and applied to the local tenant); returns the repo and the base commit."""
    repo = Repo(root, safety={"maxDeletePercent": 10, "maxUpdatePercent": 100}, **base)  # type: ignore[arg-type]
    repo.write()
    (root / ".gitignore").write_text(".orgsync/\n*.plan\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base")
    code, _, err = orgsync("apply", "-C", str(root), "--auto-approve")
    assert code == 0, err
    return repo, git(root, "rev-parse", "HEAD")


def unhide_salary(repo: Repo) -> None:
    """The pull request: salary no longer sensitive, and every salary changed (so the plan shows `before`)."""
    repo.staff_props = [{**p, "sensitive": False} if p["key"] == "salary" else p for p in STAFF_PROPS]
    repo.staff = [{**r, "salary": str(int(r["salary"]) + 1)} for r in repo.staff]
    repo.write()


def test_without_a_base_the_saved_plan_of_such_a_pr_holds_the_live_salaries(tmp_path):
    repo, _ = based_repo(tmp_path)
    unhide_salary(repo)
    code, _, err = orgsync("plan", "-C", str(tmp_path), "--out", str(tmp_path / "pr.plan"))
    assert code == 0, err
    assert [s for s in LIVE_SALARIES if s in (tmp_path / "pr.plan").read_text()] == LIVE_SALARIES  # the hole


@pytest.mark.parametrize("how", ["ref", "dir"])
def test_a_pr_that_drops_sensitive_keeps_the_values_hidden_and_says_so_first(tmp_path, how):
    repo, base = based_repo(tmp_path)
    if how == "dir":
        reviewed = tmp_path.parent / f"{tmp_path.name}-base"
        git(tmp_path, "worktree", "add", "-q", str(reviewed), base)
        choice = ["--base", str(reviewed)]
    else:
        choice = ["--base-ref", base]
    unhide_salary(repo)
    head, status = git(tmp_path, "rev-parse", "HEAD"), git(tmp_path, "status", "--porcelain")
    saved = tmp_path / "pr.plan"
    code, out, err = orgsync("plan", "-C", str(tmp_path), "--out", str(saved), *choice)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Target: local")
    assert lines[2] == (
        "! this pull request removes `sensitive: true` from salary of Staff; it takes effect after merge "
        "(until then its values stay hidden)"
    )
    document = json.loads(saved.read_text())
    staff = next(r for r in document["resources"] if r["name"] == "Staff")
    assert staff["items"]["sensitive"] == ["salary"]
    assert set(staff["items"]["updates"]["salary__before"]) == {None}
    text = saved.read_text() + out + err
    assert [s for s in LIVE_SALARIES if s in text] == []
    assert [str(int(s) + 1) for s in LIVE_SALARIES if str(int(s) + 1) in text] == []
    # the repository was read from git's object store: nothing checked out, the work tree as it was
    assert (git(tmp_path, "rev-parse", "HEAD"), git(tmp_path, "status", "--porcelain")) == (head, status)
    # the plan is of the pull request's own files: applied as it stands (after merge) it is accepted
    code, _, err = orgsync("apply", "-C", str(tmp_path), str(saved), "--auto-approve")
    assert code == 0, err


def test_a_pr_that_raises_a_threshold_is_held_to_the_base(tmp_path):
    repo, base = based_repo(tmp_path)
    repo.safety = {"maxDeletePercent": 50}
    repo.staff_extra = {"safety": {"maxDeletePercent": 60}}
    repo.staff = repo.staff[:15]  # deletes 5 of 20 (25 %): under the PR's 60, over the base's 10
    repo.write()
    code, out, err = orgsync("plan", "-C", str(tmp_path), "--format", "markdown")
    assert code == 0, err  # the attack, without a base: not blocked
    code, out, err = orgsync("plan", "-C", str(tmp_path), "--format", "markdown", "--base-ref", base)
    assert code == 3, err
    assert out.splitlines()[4:9] == [
        "> [!WARNING]",
        "> **This pull request loosens a protection of its base branch:**",
        "> - this pull request raises maxDeletePercent of Membership from 10 to 50; it takes effect after merge",
        "> - this pull request raises maxDeletePercent of Staff from 10 to 60; it takes effect after merge",
        "> - this pull request raises maxDeletePercent of Teams from 10 to 50; it takes effect after merge",
    ]
    assert "dataset.Staff: 5 item deletes are 25 % of 20 existing items, above maxDeletePercent 10 %" in out
    code, out, _ = orgsync("plan", "-C", str(tmp_path), "--format", "json", "--base-ref", base)
    assert len(json.loads(out)["loosened"]) == 3


def test_a_pr_that_tightens_says_nothing_and_is_held_to_its_own_stricter_threshold(tmp_path):
    repo, base = based_repo(tmp_path)
    repo.staff_extra = {"safety": {"maxDeletePercent": 5}}
    repo.staff = repo.staff[:18]  # 2 of 20: 10 %, allowed by the base, not by the PR
    repo.write()
    code, out, err = orgsync("plan", "-C", str(tmp_path), "--base-ref", base)
    assert code == 3 and "this pull request" not in out, err


def test_a_pr_that_lifts_observe_is_still_planned_as_observed(tmp_path):
    repo, base = based_repo(tmp_path)
    repo.staff_extra = {"manage": "observe"}
    repo.write()
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", "observe Staff")
    base = git(tmp_path, "rev-parse", "HEAD")
    repo.staff_extra = {}
    repo.staff = [{**r, "grade": "G9"} for r in repo.staff]
    repo.write()
    code, out, err = orgsync("plan", "-C", str(tmp_path), "--format", "json", "--base-ref", base)
    assert code == 0, err
    plan = json.loads(out)
    assert plan["loosened"] == [
        "this pull request lifts `manage: observe` from Staff; it takes effect after merge (until then it is "
        "planned as observed)"
    ]
    assert "Staff" not in [r["name"] for r in plan["resources"]]
    assert [r["name"] for r in plan["drift"]] == ["Staff"] and plan["summary"]["items"]["update"] == 0


def test_a_base_ref_that_does_not_exist_is_a_clear_error(tmp_path):
    based_repo(tmp_path)
    code, out, err = orgsync("plan", "-C", str(tmp_path), "--base-ref", "origin/nope")
    assert (code, out) == (1, "")
    assert err.startswith(
        f"Error: command line: --base-ref origin/nope: no such branch, tag or commit in the repository at {tmp_path}\n"
    )
    code, _, err = orgsync("plan", "-C", str(tmp_path), "--base-ref", "--output=/tmp/x")
    assert code == 1 and "expected a branch, tag or commit" in err


@pytest.mark.socket
def test_the_action_plans_a_pull_request_over_its_base(tmp_path, github, emulator_server):
    from tests.support.action_env import Runner

    runner = Runner(tmp_path, github, emulator_server.base_url)
    root = runner.workspace
    root.mkdir()
    repo = Repo(root, endpoint=emulator_server.base_url, safety={"maxUpdatePercent": 100})
    repo.write()
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base")
    base = git(root, "rev-parse", "HEAD")
    code, _, err = orgsync(
        "apply", "-C", str(root), "--auto-approve", token="t", env={"ORGVUE_URL": emulator_server.base_url}
    )
    assert code == 0, err
    unhide_salary(repo)  # the pull request, checked out in the workspace
    github.add_pull_request(7)
    event = {"pull_request": {"number": 7, "base": {"sha": base}}}
    code, outputs, summary = runner.step("pull_request", event, "a" * 40, command="plan")
    assert code == 0, runner.stderr
    [comment] = github.comments_on(7)
    assert "from salary of Staff; it takes effect after merge" in comment["body"]
    artifact = Path(outputs["plan-file"]).read_text()
    assert [s for s in LIVE_SALARIES if s in artifact + comment["body"] + summary] == []


def test_a_new_manifest_pinning_a_live_dataset_by_id_keeps_the_base_sensitive_keys(tmp_path):
    repo, base = based_repo(tmp_path)
    code, out, _ = orgsync("plan", "-C", str(tmp_path), "--format", "json")
    staff_id = next(r for r in json.loads(out)["resources"] if r["name"] == "Staff")["dataset_id"]
    # the pull request declares "Payroll view", pinned to Staff's live id, with salary not sensitive
    unhide_salary(repo)
    text = (tmp_path / "manifests" / "staff.yaml").read_text().replace("name: Staff", "name: Payroll view")
    (tmp_path / "manifests" / "staff.yaml").write_text(text + f"datasetId: {staff_id}\nrenamedFrom: []\n")
    (tmp_path / "manifests" / "membership.yaml").write_text(
        (tmp_path / "manifests" / "membership.yaml").read_text().replace("from: Staff", "from: Payroll view")
    )
    saved = tmp_path / "pr.plan"
    code, _, err = orgsync("plan", "-C", str(tmp_path), "--out", str(saved), "--allow-destructive")
    assert code == 0 and LIVE_SALARIES[0] in saved.read_text(), err  # the attack, without a base
    code, out, err = orgsync(
        "plan", "-C", str(tmp_path), "--base-ref", base, "--out", str(saved), "--allow-destructive"
    )
    assert code == 0, err
    assert (
        "! this pull request declares salary of Payroll view without `sensitive: true`, which the base marks "
        "sensitive; it takes effect after merge (until then its values stay hidden)" in out.splitlines()
    )
    assert [s for s in LIVE_SALARIES if s in saved.read_text() + out + err] == []


def test_two_bases_are_refused(tmp_path):
    _, base = based_repo(tmp_path)
    code, _, err = orgsync("plan", "-C", str(tmp_path), "--base", str(tmp_path), "--base-ref", base)
    assert code == 1 and "--base and --base-ref name two bases; expected one of them" in err


def test_the_loosening_lines_link_and_mention_nothing(tmp_path):
    from tests.support.gfm import assert_inert

    name = "www.evil.example @acme/admins #12 [x](https://evil.example)"
    repo = Repo(tmp_path, staff_extra={"name": name, "safety": {"maxDeletePercent": 10}})
    repo.write()
    (tmp_path / "manifests" / "membership.yaml").unlink()  # it names Staff
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base")
    base = git(tmp_path, "rev-parse", "HEAD")
    repo.staff_extra = {"name": name, "safety": {"maxDeletePercent": 60}}
    repo.write()
    (tmp_path / "manifests" / "membership.yaml").unlink()
    code, out, err = orgsync("plan", "-C", str(tmp_path), "--format", "markdown", "--base-ref", base)
    assert code == 0, err
    assert "maxDeletePercent of www" in out and "from 10 to 60" in out
    assert_inert(out)
