"""Fixtures of the apply tests: a copy of examples/acme on an in-process emulator whose requests we can see."""

from __future__ import annotations

import httpx
import pytest

from tests.support.apply_tenant import RecordingTransport, Tenant
from tests.support.repo import make_repo


@pytest.fixture
def tenant(tmp_path, monkeypatch) -> Tenant:
    from orgsync.emulator.app import create_app

    root = make_repo(tmp_path / "acme", example="acme")
    app = create_app(db_path=tmp_path / "tenant.db")
    transport = RecordingTransport(httpx.ASGITransport(app=app))
    monkeypatch.setattr("orgsync.api.target._local_transport", lambda project: transport)
    return Tenant(root, app, transport)
