"""Hostile repositories and drafts against `orgsync draft pull`: the change file cannot be pointed outside the
repository by a symlink, a draft's name cannot choose where it is written, and names and values with control
characters or markup reach neither the terminal nor the file name."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import yaml

from orgsync.commands.draft import DraftOptions, run_draft_pull
from orgsync.errors import EscapesRoot, ExitCode
from tests.support.draft_helpers import PROPERTIES, item_ids, seed_draft, small_tenant

UNITS = "unit_id,name,parent,budget,opened,active\nU1,Head Office,,1,2020-01-15,true\nU2,Finance,U1,2,2021-03-01,true\n"


def _query_repo(tmp_path: Path, monkeypatch):
    manifest = {
        "kind": "Dataset",
        "name": "Units",
        "type": "UNITS",
        "autoId": "unit_id",
        "labelId": "name",
        "properties": PROPERTIES,
        "items": {"sources": {"units": "../data/units.csv"}, "query": "SELECT * FROM units"},
    }
    t = small_tenant(
        tmp_path / "repo",
        tmp_path,
        monkeypatch,
        {"manifests/units.yaml": yaml.safe_dump(manifest), "data/units.csv": UNITS},
    )
    assert t.apply() == ExitCode.OK
    return t


def test_a_changes_symlink_out_of_the_repository_is_refused(tmp_path: Path, monkeypatch) -> None:
    t = _query_repo(tmp_path, monkeypatch)
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, t.root / "changes")
    seed_draft(
        t, "Units", "Plan", [{"_action": "update", "_id": item_ids(t, "Units", "unit_id")["U2"], "name": "F"}]
    )

    with pytest.raises(EscapesRoot):
        run_draft_pull(DraftOptions(root=t.root, name="Plan"), stdout=io.StringIO(), stderr=io.StringIO())

    assert list(outside.iterdir()) == []


def test_a_draft_name_chooses_neither_the_path_nor_the_terminal(tmp_path: Path, monkeypatch) -> None:
    t = _query_repo(tmp_path, monkeypatch)
    name = "../../.git/hooks/x\x1b]8;;http://evil\x07\nEvil"
    seed_draft(
        t,
        "Units",
        name,
        [{"_action": "update", "_id": item_ids(t, "Units", "unit_id")["U2"], "name": "F\x1b[2J"}],
    )
    out, err = io.StringIO(), io.StringIO()

    assert run_draft_pull(DraftOptions(root=t.root, name=name), stdout=out, stderr=err) == 0

    assert [p.name for p in (t.root / "changes").iterdir()] == ["git-hooks-x-8-http-evil-evil.csv"]
    assert not (t.root / ".git").exists()
    printed = out.getvalue() + err.getvalue()
    assert "\x1b" not in printed and "\x07" not in printed and "\\x1b" in printed
    assert "\nEvil" not in printed
