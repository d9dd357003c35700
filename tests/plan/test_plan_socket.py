"""`orgsync plan` against the emulator over a real socket: plan, 401, unreachable API, retries on 429/503."""

from __future__ import annotations

import socket

import httpx
import orjson
import pytest

from tests.support.cli import orgsync
from tests.support.staff_repo import Repo

pytestmark = pytest.mark.socket
TOKEN = "s3cret-token-value"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}  # the admin API takes the emulator's token too


def test_plan_over_a_socket_reads_the_tenant_in_bulk(tmp_path, emulator_factory):
    server = emulator_factory(token=TOKEN)
    repo = Repo(tmp_path, endpoint=server.base_url).write()
    code, out, err = orgsync(
        "plan", "-C", str(repo.root), "--format", "json", "--detailed-exitcode", token=TOKEN
    )
    assert code == 2, err
    doc = orjson.loads(out)
    assert doc["target"] == f"Target: {server.base_url} · tenant ACME"
    assert doc["summary"]["items"] == {"create": 28, "update": 0, "delete": 0}
    assert orgsync("apply", "-C", str(repo.root), "--auto-approve", token=TOKEN)[0] == 0
    httpx.delete(f"{server.base_url}/_emulator/requests", headers=ADMIN)
    code, out, _ = orgsync("plan", "-C", str(repo.root), "--detailed-exitcode", token=TOKEN)
    assert code == 0 and "No changes." in out
    item_reads = [
        r
        for r in httpx.get(f"{server.base_url}/_emulator/requests", headers=ADMIN).json()
        if "/items" in r["path"]
    ]
    assert item_reads == []  # items come from one export per dataset, never item by item


def test_a_wrong_token_is_a_clear_error_without_the_token(tmp_path, emulator_factory):
    server = emulator_factory(token=TOKEN)
    repo = Repo(tmp_path, endpoint=server.base_url).write()
    code, out, err = orgsync("plan", "-C", str(repo.root), token="wrong-token")
    assert code == 1 and out == ""
    assert "401" in err and "ORGVUE_TOKEN" in err and "Traceback" not in err
    assert "wrong-token" not in err and TOKEN not in err


def test_an_unreachable_api_is_a_clear_error(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before use: nothing listens there
    repo = Repo(tmp_path, endpoint=f"http://127.0.0.1:{port}").write()
    code, out, err = orgsync("plan", "-C", str(repo.root), token=TOKEN)
    assert code == 1 and out == ""
    assert f"127.0.0.1:{port}" in err and "Traceback" not in err


def test_injected_429_and_503_are_retried_and_the_plan_completes(tmp_path, emulator_factory):
    server = emulator_factory(token=TOKEN)
    repo = Repo(tmp_path, endpoint=server.base_url).write()
    assert orgsync("apply", "-C", str(repo.root), "--auto-approve", token=TOKEN)[0] == 0
    for fault in (
        {"path": r"/datasets$", "method": "GET", "status": 429, "count": 2, "retryAfter": 0},
        {"path": r"/export", "status": 503, "count": 2, "retryAfter": 0},
    ):
        assert httpx.post(f"{server.base_url}/_emulator/faults", json=fault, headers=ADMIN).status_code == 201
    httpx.delete(f"{server.base_url}/_emulator/requests", headers=ADMIN)
    code, out, err = orgsync("plan", "-C", str(repo.root), "--detailed-exitcode", token=TOKEN)
    assert code == 0, err
    assert "No changes." in out
    statuses = [r["status"] for r in httpx.get(f"{server.base_url}/_emulator/requests", headers=ADMIN).json()]
    assert statuses.count(429) == 2 and statuses.count(503) == 2
