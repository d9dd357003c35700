"""Hierarchy order when the tree id is not the item key: a dataset keyed by `unit_id` whose tree hangs on
a separate `position_code` property. Applied to the in-process emulator; the writes it saw give the order.
"""

from __future__ import annotations

import polars as pl
import yaml

from orgsync.errors import ExitCode
from orgsync.plan.saved import save

UNITS = {
    "kind": "Dataset",
    "name": "Units",
    "type": "UNITS",
    "autoId": "unit_id",
    "labelId": "unit_id",
    "treeId": "position_code",
    "treeParentId": "parent_code",
    "properties": [
        {"key": "unit_id", "name": "Unit", "type": "text"},
        {"key": "position_code", "name": "Position code", "type": "text"},
        {"key": "parent_code", "name": "Parent code", "type": "text"},
    ],
    "items": {"source": "../data/units.csv", "mode": "mirror"},
}
# PC-1 ─┬─ PC-2 ── PC-4 ── PC-5
#       └─ PC-3
# unit ids run against the tree (U5 is the root) so that no order by key could pass for the tree order
ROWS = [
    ("U5", "PC-1", None),
    ("U4", "PC-2", "PC-1"),
    ("U3", "PC-3", "PC-1"),
    ("U2", "PC-4", "PC-2"),
    ("U1", "PC-5", "PC-4"),
]


def _write_units(tenant, rows) -> None:
    (tenant.root / "manifests" / "units.yaml").write_text(yaml.safe_dump(UNITS, sort_keys=False))
    pl.DataFrame(
        rows, schema={"unit_id": pl.Utf8, "position_code": pl.Utf8, "parent_code": pl.Utf8}, orient="row"
    ).write_csv(tenant.root / "data" / "units.csv")


def _deleted_in_order(tenant) -> list[str]:
    """unit_id of every delete, in the order the emulator received them (request by request, action by action)."""
    return [a["unit_id"] for _, body in tenant.item_bodies() for a in body if a["_action"] == "delete"]


def _applied(tenant):
    _write_units(tenant, ROWS)
    assert tenant.apply(targets=["Units"]) == ExitCode.OK
    tenant.transport.sent.clear()
    tenant.admin("DELETE", "/_emulator/requests")
    _write_units(tenant, ROWS[:1] + ROWS[2:3])  # remove the subtree under PC-2
    return tenant


def test_deletes_go_children_first_when_the_tree_id_is_not_the_key(tenant):
    plan = _applied(tenant).plan()
    deletes = next(r for r in plan.resources if r.name == "Units").items.deletes
    assert deletes.columns == ["unit_id", "_id", "position_code", "parent_code"]
    assert deletes.get_column("unit_id").to_list() == ["U4", "U2", "U1"]  # the tenant's order: parents first

    assert tenant.apply(targets=["Units"], parallelism=1, allow_destructive=True) == ExitCode.OK
    assert _deleted_in_order(tenant) == ["U1", "U2", "U4"]  # PC-5, then PC-4, then PC-2
    log = [(e["method"], e["path"], e["status"]) for e in tenant.admin("GET", "/_emulator/requests")]
    assert [(m, s) for m, p, s in log if p.endswith("/items")] == [("PUT", 200)]  # one request, in that order
    units = next(r for r in tenant.plan().resources if r.name == "Units")
    assert units.items.is_empty and units.items.existing == 2


def test_a_saved_plan_keeps_the_tree_columns_and_the_order(tenant, tmp_path):
    plan = _applied(tenant).plan()
    path = tmp_path / "plan.json"
    save(plan, path)
    assert tenant.apply(plan_file=path, parallelism=1, allow_destructive=True) == ExitCode.OK
    assert _deleted_in_order(tenant) == ["U1", "U2", "U4"]
