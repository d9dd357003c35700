"""A source that cannot be written back gets `changes/<draft-slug>.csv` instead: a query over named sources here
(and several files when a new row's file is ambiguous); sensitive values only with --include-sensitive."""

from __future__ import annotations

import io
import json
from pathlib import Path

import yaml

from orgsync.commands.draft import DraftOptions, run_draft_pull
from orgsync.errors import ExitCode
from tests.support.draft_helpers import PROPERTIES, item_ids, seed_draft, small_tenant

UNITS = (
    "unit_id,name,parent,budget,opened,active\n"
    "U1,Head Office,,1250000.5,2020-01-15,true\n"
    "U2,Finance,U1,300000,2021-03-01,true\n"
    "U6,Archive,U1,1000,2019-12-31,false\n"
)


def _repo(tmp_path: Path, monkeypatch, items: dict, files: dict[str, str]):
    manifest = {
        "kind": "Dataset",
        "name": "Units",
        "type": "UNITS",
        "autoId": "unit_id",
        "labelId": "name",
        "treeId": "unit_id",
        "treeParentId": "parent",
        "properties": PROPERTIES,
        "items": {"mode": "mirror", **items},
    }
    t = small_tenant(
        tmp_path / "repo", tmp_path, monkeypatch, {"manifests/units.yaml": yaml.safe_dump(manifest), **files}
    )
    assert t.apply() == ExitCode.OK
    ids = item_ids(t, "Units", "unit_id")
    seed_draft(
        t,
        "Units",
        "Q3 shape: v2",
        [
            {"_action": "update", "_id": ids["U2"], "name": "Finance & Risk", "budget": 320000.75},
            {"_action": "create", "unit_id": "U5", "name": "Field Sales", "parent": "U1", "active": True},
            {"_action": "delete", "_id": ids["U6"]},
        ],
    )
    return t


def _pull(t, **options) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    assert (
        run_draft_pull(
            DraftOptions(root=t.root, name="Q3 shape: v2", fmt="json", **options), stdout=out, stderr=err
        )
        == 0
    )
    return json.loads(out.getvalue()), err.getvalue()


def test_a_query_source_gets_a_change_file(tmp_path: Path, monkeypatch) -> None:
    t = _repo(
        tmp_path,
        monkeypatch,
        {"sources": {"units": "../data/units.csv"}, "query": "SELECT * FROM units"},
        {"data/units.csv": UNITS},
    )

    result, err = _pull(t)

    assert result["changeFile"] == "changes/q3-shape-v2.csv" and result["written"] == []
    assert result["changeFileReason"] == "its items come from a query over named sources"
    assert (t.root / "data" / "units.csv").read_text() == UNITS  # the inputs of a query are never edited
    masked = "(sensitive: pull with --include-sensitive)"
    assert (t.root / "changes" / "q3-shape-v2.csv").read_text() == (
        "key,label,property,before,after\n"
        "U2,Finance,name,Finance,Finance & Risk\n"
        f"U2,Finance,budget,{masked},{masked}\n"
        "U5,Field Sales,unit_id,,U5\n"
        "U5,Field Sales,name,,Field Sales\n"
        "U5,Field Sales,parent,,U1\n"
        "U5,Field Sales,active,,true\n"
        "U6,Archive,,,(deleted)\n"
    )
    assert "320000" not in err

    result, err = _pull(t, include_sensitive=True)

    assert "U2,Finance,budget,300000,320000.75\n" in (t.root / "changes" / "q3-shape-v2.csv").read_text()
    assert "changes/q3-shape-v2.csv holds sensitive values (--include-sensitive)" in err
    assert "320000" not in err


def test_several_files_with_a_new_row_get_a_change_file(tmp_path: Path, monkeypatch) -> None:
    first, second = UNITS.splitlines(keepends=True)[:3], UNITS.splitlines(keepends=True)[3:]
    t = _repo(
        tmp_path,
        monkeypatch,
        {"source": ["../data/a.csv", "../data/b.csv"]},
        {"data/a.csv": "".join(first), "data/b.csv": first[0] + "".join(second)},
    )

    result, _ = _pull(t)

    assert result["changeFileReason"] == "its rows come from 2 files, and a new row's file is ambiguous"
    assert (t.root / "data" / "a.csv").read_text() == "".join(first)


def test_several_files_take_their_own_rows_when_no_row_is_new(tmp_path: Path, monkeypatch) -> None:
    lines = UNITS.splitlines(keepends=True)
    a, b = "".join(lines[:3]), lines[0] + lines[3]
    t = _repo(
        tmp_path,
        monkeypatch,
        {"source": ["../data/a.csv", "../data/b.csv"]},
        {"data/a.csv": a, "data/b.csv": b},
    )
    ids = item_ids(t, "Units", "unit_id")
    seed_draft(
        t,
        "Units",
        "No hires",
        [
            {"_action": "update", "_id": ids["U2"], "name": "Finance & Risk"},
            {"_action": "delete", "_id": ids["U6"]},
        ],
    )
    out, err = io.StringIO(), io.StringIO()

    assert run_draft_pull(DraftOptions(root=t.root, name="No hires", fmt="json"), stdout=out, stderr=err) == 0

    assert sorted(json.loads(out.getvalue())["written"]) == ["data/a.csv", "data/b.csv"]
    assert (t.root / "data" / "a.csv").read_text() == a.replace("U2,Finance,", "U2,Finance & Risk,")
    assert (t.root / "data" / "b.csv").read_text() == lines[0]
