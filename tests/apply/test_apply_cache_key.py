"""Saved-plan freshness with an emulator whose `cacheKey` moves on item writes too.

D/egress/export-api/: "Any time that a dataset is updated, or the security rules change, the cache key will also be
updated" (ENDPOINTS.md third edition): nothing may rely on `cacheKey` staying stable across item writes. A saved
plan records both `cacheKey` and `items.lastTransactionId` and checks them once per dataset, before the run's own
first write to it, so its own writes (config, then items, of one dataset) never make it stale.
"""

from __future__ import annotations

import polars as pl
import pytest

from orgsync.errors import ExitCode, StalePlanError
from orgsync.plan.saved import save
from tests.support.apply_tenant import API_PATH, dataset_ids, edit_csv


def _cache_key(tenant, dataset_id: str) -> str:
    resource = tenant.admin("GET", f"{API_PATH}/datasets/{dataset_id}")
    assert isinstance(resource, dict)
    return str(resource["cacheKey"])


def test_a_saved_plan_writing_config_and_items_of_one_dataset_applies(tenant, tmp_path):
    assert tenant.apply() == ExitCode.OK
    ids = dataset_ids(tenant)
    manifest = tenant.root / "manifests" / "positions.yaml"
    manifest.write_text(manifest.read_text().replace("tags: [hr, design]", "tags: [hr, design, org]"))
    edit_csv(tenant, "positions.csv", lambda f: f.with_columns(pl.lit("X").alias("grade")))
    before = _cache_key(tenant, ids["Positions"])
    path = tmp_path / "plan.json"
    save(tenant.plan(), path)
    # its own config and item writes do not make it stale
    assert tenant.apply(plan_file=path, allow_destructive=True) == ExitCode.OK
    assert _cache_key(tenant, ids["Positions"]) != before  # and the key did move with them
    assert not tenant.plan().has_changes


def test_an_item_write_by_someone_else_moves_both_and_the_plan_is_refused(tenant, tmp_path):
    assert tenant.apply() == ExitCode.OK
    ids = dataset_ids(tenant)
    edit_csv(tenant, "positions.csv", lambda f: f.with_columns(pl.lit("X").alias("grade")))
    path = tmp_path / "plan.json"
    save(tenant.plan(), path)
    tenant.admin(
        "PUT",
        f"{API_PATH}/datasets/{ids['Positions']}/items?autoId=true",
        [{"_action": "update", "position_id": "P0001", "title": "Boss"}],
    )
    tenant.transport.sent.clear()
    with pytest.raises(StalePlanError, match=r"cacheKey, items.lastTransactionId differ"):
        tenant.apply(plan_file=path, allow_destructive=True)
    assert tenant.writes() == []


def test_a_write_that_changes_nothing_leaves_a_saved_plan_fresh(tenant, tmp_path):
    assert tenant.apply() == ExitCode.OK
    ids = dataset_ids(tenant)
    edit_csv(tenant, "positions.csv", lambda f: f.with_columns(pl.lit("X").alias("grade")))
    path = tmp_path / "plan.json"
    save(tenant.plan(), path)
    tenant.admin(
        "PUT",
        f"{API_PATH}/datasets/{ids['Positions']}/items?autoId=true",
        [{"_action": "noop", "position_id": "P0001"}],
    )
    assert tenant.apply(plan_file=path, allow_destructive=True) == ExitCode.OK
    assert not tenant.plan().has_changes
