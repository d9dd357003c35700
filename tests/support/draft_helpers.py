"""Helpers of the draft tests: seed a draft on the emulator, read a dataset's items, compare files by record."""

from __future__ import annotations

import asyncio
import difflib
from pathlib import Path
from typing import Any

import httpx

from tests.support.apply_tenant import API_PATH, Tenant


def dataset_id(tenant: Tenant, name: str) -> str:
    listed = tenant.admin("GET", f"{API_PATH}/datasets")
    assert isinstance(listed, list)
    return next(d["datasetId"] for d in listed if d["name"] == name)


def item_ids(tenant: Tenant, dataset: str, key: str) -> dict[str, str]:
    """key -> `_id` of every live item of `dataset`."""
    items = tenant.admin("GET", f"{API_PATH}/datasets/{dataset_id(tenant, dataset)}/items")
    assert isinstance(items, list)
    return {str(i[key]): i["_id"] for i in items}


def seed_draft(tenant: Tenant, dataset: str, name: str, actions: list[dict[str, Any]], **extra: Any) -> dict:
    body = {"datasetId": dataset_id(tenant, dataset), "name": name, "createdBy": "ana@acme.example"}
    body |= {"layers": {"default": actions}} | extra
    made = tenant.admin("POST", "/_emulator/tenants/ACME/drafts", body)
    assert isinstance(made, dict)
    return made


def draft_actions(tenant: Tenant, draft_id: str) -> list[dict[str, Any]]:
    """What the draft holds now (its default layer): the actions job's result, read with the client."""
    from orgsync.api.target import open_client
    from orgsync.manifest.loader import load_project

    async def read() -> list[dict[str, Any]]:
        async with open_client(load_project(tenant.root)) as client:
            return await client.draft_actions([{"draftId": draft_id, "layerKey": "default"}])

    return asyncio.run(read())


def changed_records(old: bytes, new: bytes) -> tuple[list[bytes], list[bytes]]:
    """(records only in the old file, records only in the new one), lines kept with their own line endings."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    removed, added = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += a[i1:i2]
            added += b[j1:j2]
    return removed, added


def small_tenant(root: Path, tmp_path: Path, monkeypatch: Any, files: dict[str, bytes | str]) -> Tenant:
    """A repository of `files` (path -> content) on `endpoint: local`, its tenant an in-process emulator."""
    import httpx

    from orgsync.emulator.app import create_app
    from tests.support.apply_tenant import RecordingTransport

    for name, content in {
        "orgsync.yaml": "tenant: ACME\nendpoint: local\nmanifests: manifests\n",
        **files,
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    app = create_app(db_path=tmp_path / "tenant.db")
    transport = RecordingTransport(httpx.ASGITransport(app=app))
    monkeypatch.setattr("orgsync.api.target._local_transport", lambda project: transport)
    return Tenant(root, app, transport)


# The properties of the draft dialect tests' Units dataset (a tree with each type, a sensitive budget).
PROPERTIES = [
    {"key": "unit_id", "name": "Unit", "type": "text"},
    {"key": "name", "name": "Name", "type": "text"},
    {"key": "parent", "name": "Parent", "type": "text"},
    {"key": "budget", "name": "Budget", "type": "number", "sensitive": True},
    {"key": "opened", "name": "Opened", "type": "date"},
    {"key": "active", "name": "Active", "type": "boolean"},
]


API = "/api/v1/ACME"
EVENT = {"repository": {"default_branch": "main"}}


def socket_ids(base: str) -> tuple[str, dict[str, str]]:
    """The People dataset's id on the emulator at `base`, and employee_id -> `_id` of its items."""
    with httpx.Client(base_url=base, headers={"Content-Type": "application/json"}) as c:
        [people] = [d for d in c.get(f"{API}/datasets").json() if d["name"] == "People"]
        items = c.get(f"{API}/datasets/{people['datasetId']}/items").json()
    return people["datasetId"], {i["employee_id"]: i["_id"] for i in items}


def seed_socket_draft(base: str, dataset: str, name: str, actions: list[dict[str, Any]]) -> dict[str, Any]:
    """A draft `name` of `dataset` holding `actions`, made through the emulator's admin route at `base`."""
    with httpx.Client(base_url=base) as c:
        r = c.post(
            "/_emulator/tenants/ACME/drafts",
            json={
                "datasetId": dataset,
                "name": name,
                "createdBy": "hr@acme.example",
                "layers": {"default": actions},
            },
        )
    assert r.status_code == 201, r.text
    return dict(r.json())
