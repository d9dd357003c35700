"""The CLI on a user's mistakes: one clean `Error:` message and exit code 1, never a traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import orgsync

HINT_PLAN_FILE = "  hint: pass a file written by `orgsync plan --out FILE`\n"


@pytest.fixture
def starter(tmp_path) -> Path:
    code, _, _ = orgsync("init", str(tmp_path / "repo"))
    assert code == 0
    return tmp_path / "repo"


def test_show_refuses_a_file_that_is_not_json(tmp_path):
    garbage = tmp_path / "plan.json"
    garbage.write_bytes(b"\x00\x01 not a plan")
    code, out, err = orgsync("show", str(garbage))
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: {garbage}: cannot read a saved plan (")
    assert err.endswith(HINT_PLAN_FILE) and err.count("\n") == 2


def test_show_refuses_json_that_is_not_a_plan(tmp_path):
    listed = tmp_path / "plan.json"
    listed.write_text("[1, 2]")
    assert orgsync("show", str(listed)) == (
        1,
        "",
        f'Error: {listed}: not a saved orgsync plan (expected "kind": "orgsync-plan")\n{HINT_PLAN_FILE}',
    )


def test_plan_out_into_a_missing_directory_is_an_error_and_writes_nothing(starter):
    out_path = starter / "missing" / "plan.json"
    code, _, err = orgsync("plan", "-C", str(starter), "--out", str(out_path))
    assert code == 1
    assert err.endswith(
        f"Error: {out_path}: cannot write the saved plan (No such file or directory)\n"
        "  hint: pass --out a path in an existing, writable directory\n"
    )
    assert not out_path.parent.exists()


def test_a_plan_saved_in_another_repository_is_stale_and_nothing_is_written(starter, tmp_path):
    saved = tmp_path / "plan.json"
    assert orgsync("plan", "-C", str(starter), "--out", str(saved))[0] == 0
    other = tmp_path / "other"
    assert orgsync("init", str(other))[0] == 0
    (other / "data" / "people.csv").write_text(
        (other / "data" / "people.csv").read_text().replace("Ada", "Ava")
    )
    code, out, err = orgsync("apply", "-C", str(other), str(saved), "--auto-approve")
    assert (code, out) == (1, "")
    assert err == (
        f"Error: the saved plan {saved} is stale: the source of People changed (its files, or the rows its "
        "database or date-dependent query returns) since it was made; nothing was written\n"
        "  hint: run `orgsync plan --out FILE` again and review it\n"
    )  # it names what changed (the one source), not only that something did
    assert not (other / ".orgsync").exists()  # the local tenant was never even opened


def test_an_orgsync_yaml_that_is_a_list_is_reported_with_its_line(tmp_path):
    (tmp_path / "orgsync.yaml").write_text("- tenant: X\n")
    code, out, err = orgsync("plan", "-C", str(tmp_path))
    assert (code, out) == (1, "")
    assert err.startswith(
        "Error: orgsync.yaml:1: expected one YAML mapping with at least `tenant:`\n  hint: "
    )


def test_an_empty_manifest_directory_plans_nothing_and_warns(tmp_path):
    (tmp_path / "manifests").mkdir()
    (tmp_path / "orgsync.yaml").write_text("tenant: T\nendpoint: local\nmanifests: manifests\n")
    code, out, err = orgsync("plan", "-C", str(tmp_path), "--detailed-exitcode")
    assert code == 0
    assert err == "warning: orgsync.yaml: manifests: manifests pattern 'manifests' matches no .yaml file\n"
    assert "No changes. The tenant matches the manifests and sources." in out.splitlines()


def test_ctrl_c_exits_130_with_one_line(monkeypatch, tmp_path):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("orgsync.commands.validate.run_validate", interrupted)
    assert orgsync("validate", "-C", str(tmp_path)) == (130, "", "Interrupted.\n")
