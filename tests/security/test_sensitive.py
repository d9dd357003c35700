"""Sensitive values never appear: every output path runs with distinctive sensitive values and is grepped."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import httpx
import pytest
import yaml

from orgsync.api.client import OrgvueClient
from orgsync.errors import ApiError
from orgsync.validate import validate_project
from tests.support.cli import orgsync
from tests.support.hostile import SALARIES, SECRET_NOTE, write

SECRET_IDS = ("EMPX-91a7", "EMPX-33c2", "EMPX-5d5d", "EMPX-0ff0")  # sensitive tree keys
EVERYTHING = (*SALARIES, SECRET_NOTE, *SECRET_IDS, "918273", "827364", "736455")


def leaks(text: str) -> list[str]:
    return [s for s in EVERYTHING if s in text]


def test_every_plan_and_apply_output_path(tmp_path: Path):
    write(tmp_path, n=6, key="note")
    outputs: list[str] = []
    for fmt in ("text", "json", "markdown", "html"):
        code, out, err = orgsync(
            "plan", "-C", str(tmp_path), "--format", fmt, "--show-all", "--show-values", "-v"
        )
        assert code == 0, err
        outputs += [out, err]
    code, out, err = orgsync("plan", "-C", str(tmp_path), "--out", str(tmp_path / "saved.plan"))
    outputs += [out, err, (tmp_path / "saved.plan").read_text(errors="replace")]
    for fmt in ("text", "json", "markdown", "html"):
        outputs += list(
            orgsync("show", str(tmp_path / "saved.plan"), "--format", fmt, "--show-all", "--show-values")[1:]
        )
    code, out, err = orgsync(
        "apply",
        "-C",
        str(tmp_path),
        str(tmp_path / "saved.plan"),
        "--auto-approve",
        "-v",
        "--report",
        str(tmp_path / "report.json"),
    )
    assert code == 0, err
    outputs += [out, err, (tmp_path / "report.json").read_text()]
    # an update of every sensitive cell, emptied ones included, then a mirror delete of most items
    rows = [{"id": f"E{i}", "label": "x", "note": "", "salary": "", "ssn": SALARIES[i % 3]} for i in range(6)]
    write(tmp_path, rows=rows, key="note")
    for fmt in ("text", "json", "markdown", "html"):
        outputs += list(
            orgsync("plan", "-C", str(tmp_path), "--format", fmt, "--show-all", "--show-values")[1:]
        )
    code, out, err = orgsync(
        "apply", "-C", str(tmp_path), "--auto-approve", "--report", str(tmp_path / "r2.json")
    )
    outputs += [out, err, (tmp_path / "r2.json").read_text()]
    assert code == 0, err
    text = "\n".join(outputs)
    assert "(sensitive)" in text and leaks(text) == []
    # an emptied or empty sensitive cell is as masked as a filled one: emptiness is information too
    assert not re.search(
        r"(salary|ssn)(: |=)\(none\)|\(none\) → \(sensitive\)|\(sensitive\) → \(none\)", text
    )


def hierarchy_repo(
    root: Path, rows: list[dict[str, str]], *, links: list[dict[str, str]] | None = None
) -> Path:
    (root / "manifests").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "orgsync.yaml").write_text("tenant: ACME\nendpoint: local\nmanifests: manifests\n")
    people = {
        "kind": "Dataset",
        "name": "People",
        "type": "PEOPLE",
        "autoId": "emp",
        "labelId": "emp",
        "treeId": "emp",
        "treeParentId": "mgr",
        "properties": [
            {"key": "emp", "name": "Emp", "type": "text", "sensitive": True},
            {"key": "mgr", "name": "Mgr", "type": "text", "sensitive": True},
        ],
        "items": {"source": "../data/people.csv", "mode": "upsert"},
    }
    (root / "manifests" / "people.yaml").write_text(yaml.safe_dump(people))
    with (root / "data" / "people.csv").open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["emp", "mgr"])
        writer.writeheader()
        writer.writerows(rows)
    if links is not None:
        (root / "manifests" / "teams.yaml").write_text(
            yaml.safe_dump(
                {
                    "kind": "Dataset",
                    "name": "Teams",
                    "type": "TEAMS",
                    "autoId": "team",
                    "labelId": "team",
                    "properties": [{"key": "team", "name": "Team", "type": "text"}],
                    "items": {"source": "../data/teams.csv", "mode": "upsert"},
                }
            )
        )
        (root / "data" / "teams.csv").write_text("team\nT1\n")
        (root / "manifests" / "members.yaml").write_text(
            yaml.safe_dump(
                {
                    "kind": "LinksDataset",
                    "name": "Members",
                    "from": "People",
                    "to": "Teams",
                    "items": {"source": "../data/members.csv", "mode": "upsert"},
                }
            )
        )
        with (root / "data" / "members.csv").open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=["from_id", "to_id"])
            writer.writeheader()
            writer.writerows(links)
    return root


def test_validation_messages_name_rows_never_sensitive_tree_keys(tmp_path: Path):
    a, b, c, d = SECRET_IDS
    rows = [
        {"emp": a, "mgr": b},
        {"emp": b, "mgr": a},  # a cycle
        {"emp": c, "mgr": "EMPX-nobody-77"},  # a dangling parent
        {"emp": c, "mgr": ""},
        {"emp": d, "mgr": ""},
    ]  # a duplicate key
    root = hierarchy_repo(tmp_path, rows, links=[{"from_id": "EMPX-ghost-12", "to_id": "T1"}])
    messages = [str(p) for p in validate_project(root, env={}).problems if p.severity == "error"]
    assert sorted(messages) == sorted(
        [
            "data/people.csv:5: emp: row 5: emp a value not shown (sensitive) is a duplicate of row 4; expected each key once",
            "data/people.csv:4: mgr: row 4: mgr a value not shown (sensitive) names no item (emp values in this source)",
            "data/people.csv:2: mgr: row 2: cycle in the hierarchy: rows 2 -> 3 -> 2 (values sensitive)",
            "data/members.csv:2: from_id: row 2: from_id a value not shown (sensitive) is not an item of 'People' "
            "(data/people.csv)",
        ]
    )
    for args in (
        ("validate", "-C", str(root)),
        ("validate", "-C", str(root), "--format", "json"),
        ("plan", "-C", str(root)),
        ("plan", "-C", str(root), "--format", "markdown"),
    ):
        code, out, err = orgsync(*args)
        assert (
            code == 1
            and leaks(out + err) == []
            and "EMPX-nobody" not in out + err
            and "ghost" not in out + err
        )


def test_a_reorg_of_sensitive_tree_keys_shows_no_key_in_any_review_output(tmp_path: Path):
    """Moves, spans and lists name items by key and label: never when the tree and label are sensitive."""
    a, b, c, d = SECRET_IDS
    root = hierarchy_repo(tmp_path, [{"emp": a, "mgr": ""}, {"emp": b, "mgr": a}, {"emp": c, "mgr": a}])
    assert orgsync("apply", "-C", str(root), "--auto-approve")[0] == 0
    hierarchy_repo(
        tmp_path, [{"emp": a, "mgr": ""}, {"emp": b, "mgr": a}, {"emp": c, "mgr": b}, {"emp": d, "mgr": c}]
    )
    outputs = []
    for fmt in ("text", "json", "markdown", "html"):
        code, out, err = orgsync("plan", "-C", str(root), "--format", fmt, "--show-all", "--show-values")
        assert code == 0, err
        outputs += [out, err]
    text = "\n".join(outputs)
    assert "(sensitive)" in text and leaks(text) == []


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/api/v1/ACME/datasets/D1/items", "/api/v1/ACME/jobs/J1"])
async def test_a_call_level_error_never_quotes_the_body(path: str):
    quoted = f"value {SALARIES[0]} of salary for item {SECRET_IDS[0]} is not allowed"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/items"):
            return httpx.Response(
                400,
                json={
                    "errors": [
                        {
                            "code": "400010",
                            "name": "InvalidJsonBody",
                            "message": quoted,
                            "jsonBody": "$[0].salary",
                        }
                    ]
                },
                headers={"X-Amzn-Trace-Id": "Root=1-abc"},
            )
        return httpx.Response(
            500, text=f"<html>stack trace: {quoted}</html>", headers={"Content-Type": "text/html"}
        )

    async with OrgvueClient(
        "https://orgvue.eu-west-1.concentra.io", "ACME", "tok", transport=httpx.MockTransport(handler)
    ) as client:
        with pytest.raises(ApiError) as err:
            if path.endswith("/items"):
                await client.put_items(
                    "D1", [{"_action": "update", "emp": SECRET_IDS[0], "salary": 918273.5}]
                )
            else:
                await client.get_draft("D1")
    text = str(err.value)
    assert leaks(text) == [] and "stack trace" not in text
    if path.endswith("/items"):
        assert text.startswith(
            "PUT /api/v1/ACME/datasets/D1/items: 400 Bad Request — InvalidJsonBody (400010) at "
            "jsonBody $[0].salary (trace id Root=1-abc)"
        )
    else:
        assert "500 Internal Server Error — " in text and "bytes of text/html (not shown)" in text


def test_the_json_validation_output_is_clean_too(tmp_path: Path):
    root = hierarchy_repo(tmp_path, [{"emp": SECRET_IDS[0], "mgr": SECRET_IDS[0]}])
    code, out, _ = orgsync("validate", "-C", str(root), "--format", "json")
    assert (
        code == 1
        and leaks(out) == []
        and json.loads(out)["problems"][0]["message"].startswith("row 2: cycle")
    )
