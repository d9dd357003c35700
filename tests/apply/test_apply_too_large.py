"""Apply when the service refuses a sync body as too large: D/items/general-usage/ documents a "strict 6 MB size
limit" but no status or code; *inferred* (ENDPOINTS.md third edition): the gateway answers 413 with a body that is
not Orgvue's error JSON. Any 413 is "too large": the batch is split, a single action goes through the async import,
and an action too large for the import too is named."""

from __future__ import annotations

import random
import string

import httpx
import orjson
import polars as pl

from orgsync.errors import ExitCode
from tests.support.apply_tenant import RecordingTransport, Tenant
from tests.support.repo import make_repo

LIMIT = 20_000  # the emulator's sync body limit in these tests (bytes)


def _wide(tenant: Tenant, row: int, width: int, noise: bool = False) -> None:
    """Make one row's location `width` characters long (`noise`: letters that gzip cannot shrink much)."""
    path = tenant.root / "data" / "people.csv"
    frame = pl.read_csv(path, infer_schema=False)
    wide = "".join(random.Random(0).choices(string.ascii_letters, k=width)) if noise else "L" * width
    values = [wide if i == row else v for i, v in enumerate(frame["location"].to_list())]
    frame.with_columns(pl.Series("location", values)).write_csv(path)


def _log(tenant: Tenant) -> list[dict[str, object]]:
    log = tenant.admin("GET", "/_emulator/requests")
    assert isinstance(log, list)
    return log


def test_a_413_splits_the_batch_and_a_single_wide_row_goes_by_import(tenant: Tenant) -> None:
    tenant.admin("POST", "/_emulator/limits", {"syncPutMaxBytes": LIMIT})
    _wide(tenant, row=7, width=LIMIT + 1_000)
    assert tenant.apply() == ExitCode.OK, tenant.outputs[-1][-2000:]
    statuses = [(e["method"], e["status"]) for e in _log(tenant) if str(e["path"]).endswith("/items")]
    assert ("PUT", 413) in statuses  # the first, 4 MiB-sized batches were refused by the "gateway"
    accepted = [
        b for m, p, b in tenant.transport.sent if m == "PUT" and p.endswith("/items") and len(b) <= LIMIT
    ]
    refused = [
        b for m, p, b in tenant.transport.sent if m == "PUT" and p.endswith("/items") and len(b) > LIMIT
    ]
    assert accepted and len(refused) == statuses.count(("PUT", 413))
    imports = [orjson.loads(b) for m, p, b in tenant.transport.sent if m == "PUT" and "/_files/" in p]
    assert [len(i) for i in imports] == [1] and imports[0][0]["location"] == "L" * (LIMIT + 1_000)
    assert not tenant.plan().has_changes  # every row landed once


def test_a_row_too_large_for_the_import_too_is_named(tmp_path, monkeypatch) -> None:
    from orgsync.emulator.app import create_app

    root = make_repo(tmp_path / "acme", example="acme")
    app = create_app(max_upload_bytes=LIMIT)  # the presigned upload refuses it too (413 EntityTooLarge)
    transport = RecordingTransport(httpx.ASGITransport(app=app))
    monkeypatch.setattr("orgsync.api.target._local_transport", lambda project: transport)
    tenant = Tenant(root, app, transport)
    tenant.admin("POST", "/_emulator/limits", {"syncPutMaxBytes": LIMIT})
    _wide(tenant, row=2, width=LIMIT * 4, noise=True)
    key = pl.read_csv(root / "data" / "people.csv", infer_schema=False)["Employee Number"][2]
    code = tenant.apply()
    out = tenant.outputs[-1]
    assert code == ExitCode.PARTIAL, out[-2000:]
    assert f"the item '{key}' is too large for Orgvue" in out
    assert "shorten its longest values in the source" in out
