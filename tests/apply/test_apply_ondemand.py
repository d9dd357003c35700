"""End to end: an on-demand property (`bonus = salary * 0.1`) is created, recalculated after the item writes,
exported with its computed values, and never planned as an item diff; in-process and over a socket.
"""

from __future__ import annotations

import asyncio
import gzip
import io
from pathlib import Path

import httpx
import orjson
import polars as pl
import pytest
from rich.console import Console

from orgsync.api.client import OrgvueClient
from orgsync.commands.apply import ApplyOptions, run_apply
from orgsync.errors import ExitCode
from orgsync.plan.model import Action, ChangeClass
from tests.support.repo import make_repo

T = "/api/v1/ACME"
SALARY_LINE = "  - {key: salary, name: Salary, type: number, sensitive: true}\n"
BONUS_LINE = '  - {key: bonus, name: Bonus, type: number, onDemand: true, formula: "FORMULA"}\n'


def declare_bonus(root: Path, formula: str = "salary * 0.1", *, listed: bool = False) -> None:
    """Add the on-demand `bonus` to People (and, with `listed`, name it in the dataset's `onDemand:` list)."""
    manifest = root / "manifests" / "people.yaml"
    text = manifest.read_text()
    assert SALARY_LINE in text
    text = text.replace(SALARY_LINE, SALARY_LINE + BONUS_LINE.replace("FORMULA", formula))
    if listed:
        text = text.replace("properties:\n", "onDemand: [bonus]\nproperties:\n")
    manifest.write_text(text)


def expected_bonus(root: Path, factor: float = 0.1) -> dict[str, float | None]:
    """employee_id -> salary * factor, computed from the source file."""
    people = pl.read_csv(root / "data" / "people.csv", infer_schema=False)
    frame = people.select(
        pl.col("Employee Number").alias("employee_id"),
        (pl.col("salary").cast(pl.Float64) * factor).alias("bonus"),
    )
    return dict(frame.iter_rows())


def exported_bonus(csv: bytes) -> dict[str, float | None]:
    """employee_id -> bonus as the CSV export carries it."""
    if csv[:2] == b"\x1f\x8b":
        csv = gzip.decompress(csv)
    frame = pl.read_csv(io.BytesIO(csv), infer_schema=False)
    return dict(frame.select("employee_id", pl.col("bonus").cast(pl.Float64)).iter_rows())


async def export_people(client: OrgvueClient) -> bytes:
    async with client as c:
        [people] = await c.find_datasets("People")
        return await c.export_csv(people.datasetId, projection=["employee_id", "bonus"])


# ---------------------------------------------------------------- in-process


def _export(tenant) -> bytes:
    client = OrgvueClient("http://orgsync.local", "ACME", None, transport=httpx.ASGITransport(app=tenant.app))
    return asyncio.run(export_people(client))


def test_on_demand_values_are_computed_after_the_item_writes_and_converge(tenant, tmp_path):
    declare_bonus(tenant.root)
    report = tmp_path / "report.json"
    assert tenant.apply(parallelism=1, report=report) == ExitCode.OK
    plan = tenant.plan()
    assert not plan.has_changes  # the computed column is neither owned nor a property diff
    ids = {r.name: r.dataset_id for r in plan.resources}
    words = tenant.write_words(ids)
    assert words.count("POST /datasets/People/ondemand") == 1
    assert words.index("PUT /datasets/People/items") < words.index("POST /datasets/People/ondemand")
    ondemand = next(b for m, p, b in tenant.transport.sent if p.endswith("/ondemand"))
    assert orjson.loads(ondemand) == {"executeOnDemand": ["bonus"]}
    created = next(
        orjson.loads(b)
        for m, p, b in tenant.transport.sent
        if (m, p) == ("POST", f"{T}/datasets") and b"People" in b and b"PEOPLE" in b
    )
    assert {
        "key": "bonus",
        "name": "Bonus",
        "type": "number",
        "onDemand": True,
        "formula": "salary * 0.1",
    } in created["properties"]
    # the item writes never carry the computed column
    assert all("bonus" not in action for _, body in tenant.item_bodies() for action in body)

    assert exported_bonus(_export(tenant)) == expected_bonus(tenant.root)

    record = orjson.loads(report.read_bytes())
    [call] = [c for c in record["calls"] if c["call"] == "ondemand"]
    assert (call["step"], call["ok"], call["detail"]) == (
        "dataset.People:run-ondemand",
        True,
        "executeOnDemand: bonus",
    )
    assert record["exit_code"] == 0

    tenant.transport.sent.clear()
    assert tenant.apply() == ExitCode.OK
    assert tenant.writes() == []  # nothing changed: no recalculation either


def test_a_changed_formula_is_an_update_then_recalculated(tenant):
    declare_bonus(tenant.root, listed=True)
    assert tenant.apply() == ExitCode.OK
    manifest = tenant.root / "manifests" / "people.yaml"
    manifest.write_text(manifest.read_text().replace("salary * 0.1", "salary * 0.2"))
    [people] = [r for r in tenant.plan().resources if r.name == "People"]
    [change] = people.property_changes
    assert (change.key, change.action, change.change_class) == ("bonus", Action.UPDATE, ChangeClass.UPDATE)
    assert (change.before["formula"], change.after["formula"]) == ("salary * 0.1", "salary * 0.2")
    assert people.items is not None and people.items.is_empty
    tenant.transport.sent.clear()
    assert tenant.apply(parallelism=1) == ExitCode.OK
    assert "~ property bonus: formula salary * 0.1 → salary * 0.2" in tenant.outputs[-1]
    writes = [(m, p.rsplit("/", 1)[-1]) for m, p in tenant.writes()]
    assert writes == [("PATCH", people.dataset_id), ("POST", "ondemand")]
    assert exported_bonus(_export(tenant)) == expected_bonus(tenant.root, 0.2)
    assert not tenant.plan().has_changes


def test_a_failed_recalculation_exits_4_and_says_which_properties(tenant, tmp_path):
    declare_bonus(tenant.root, "no_such_column * 2")
    report = tmp_path / "report.json"
    assert tenant.apply(report=report) == ExitCode.PARTIAL
    output = tenant.outputs[-1]
    assert "Apply partially applied" in output
    assert "dataset.People:run-ondemand [failed]: on-demand recalculation of bonus failed:" in output
    assert "OnDemandFailed" in output and "these values were not recalculated" in output
    record = orjson.loads(report.read_bytes())
    [call] = [c for c in record["calls"] if c["call"] == "ondemand"]
    assert call["ok"] is False and "OnDemandFailed" in call["error"]
    step = next(s for s in record["steps"] if s["kind"] == "run-ondemand")
    assert step["status"] == "failed"
    assert all(s["status"] == "done" for s in record["steps"] if s["kind"] != "run-ondemand")


# ---------------------------------------------------------------- over a socket


@pytest.mark.socket
def test_on_demand_over_a_socket(tmp_path, emulator_server, monkeypatch):
    monkeypatch.setenv("ORGVUE_TOKEN", "t")
    base = emulator_server.base_url
    root = make_repo(tmp_path / "acme", example="acme", endpoint=base)
    declare_bonus(root)
    httpx.delete(f"{base}/_emulator/requests").raise_for_status()

    def apply() -> int:
        opts = ApplyOptions(root=root, auto_approve=True, parallelism=1)
        return run_apply(opts, console=Console(file=io.StringIO()))

    assert apply() == ExitCode.OK
    log = [(e["method"], e["path"]) for e in httpx.get(f"{base}/_emulator/requests").json()]
    people_items = max(
        i for i, (m, p) in enumerate(log) if m == "PUT" and p.endswith("/items") and "/links/" not in p
    )
    [ondemand] = [i for i, (m, p) in enumerate(log) if m == "POST" and p.endswith("/ondemand")]
    assert ondemand > people_items
    client = OrgvueClient(base, "ACME", "t")
    assert exported_bonus(asyncio.run(export_people(client))) == expected_bonus(root)

    httpx.delete(f"{base}/_emulator/requests").raise_for_status()
    assert apply() == ExitCode.OK  # a second run finds nothing to do: no diff on the computed column
    writes = [
        (e["method"], e["path"])
        for e in httpx.get(f"{base}/_emulator/requests").json()
        if e["method"] != "GET" and not e["path"].endswith(("/export", "/export/csv"))
    ]  # the plan's reads
    assert writes == []
