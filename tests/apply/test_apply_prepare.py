"""Saved plans: masked sensitive values come back from the sources, cleared values still get sent."""

from __future__ import annotations

from pathlib import Path

import orjson
import polars as pl

from orgsync.apply.actions import encode_waves
from orgsync.apply.order import Wave
from orgsync.apply.rows import Rows
from orgsync.manifest.property_types import property_types
from orgsync.plan.model import SENSITIVE_MASK
from orgsync.plan.saved import load_saved, restore_sensitive, save
from orgsync.sources.table import SourceTable
from tests.support.apply_factories import dataset_manifest, frame, items, plan, resource


def _table(rows) -> SourceTable:
    return SourceTable(
        name="P",
        path=Path("p.csv"),
        frame=frame(["id", "name", "salary"], rows),
        key=["id"],
        owned=["name", "salary"],
        types={"id": "text", "name": "text", "salary": "number"},
        sha256="x",
    )


def test_saved_plan_round_trip_restores_sensitive_values(tmp_path):
    ch = items(
        ["id"],
        ["name", "salary"],
        sensitive={"salary"},
        creates=[("1", "Ann", "65000"), ("2", "Bob", None)],
        updates=[
            ("3", "Cy", "Cy", None, "50000"),
            ("4", "Di", "Dee", "10", "10"),
            ("5", "Ed", "Ed", "7", "6"),
        ],
    )
    path = tmp_path / "plan.json"
    save(plan(resource("P", item_changes=ch)), path)
    assert b"65000" not in path.read_bytes() and b"50000" not in path.read_bytes()
    loaded = load_saved(path)
    assert loaded.resources[0].items.creates.get_column("salary").to_list() == [SENSITIVE_MASK, None]

    loaded = restore_sensitive(
        loaded,
        {
            "P": _table(
                [
                    ("1", "Ann", "65000"),
                    ("2", "Bob", None),
                    ("3", "Cy", None),
                    ("4", "Di", "10"),
                    ("5", "Ed", "7"),
                ]
            )
        },
    )
    got = loaded.resources[0].items
    m = dataset_manifest(
        "P",
        properties=[
            {"key": "name", "name": "N", "type": "text"},
            {"key": "salary", "name": "S", "type": "number", "sensitive": True},
        ],
    )
    enc = encode_waves((Wave(creates=Rows(got.creates), updates=Rows(got.updates)),), got, property_types(m))
    assert [orjson.loads(b) for b in enc.bodies()] == [
        {"_action": "createOrUpdate", "id": "1", "name": "Ann", "salary": 65000},
        {"_action": "createOrUpdate", "id": "2", "name": "Bob"},
        {"_action": "update", "id": "3", "salary": None},  # a cleared sensitive value is still sent
        {"_action": "update", "id": "4", "name": "Di"},
        {"_action": "update", "id": "5", "salary": 7},
    ]
    assert got.updates.schema == pl.Schema({c: pl.Utf8 for c in got.updates.columns})
