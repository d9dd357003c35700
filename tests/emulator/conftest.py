"""Emulator test fixtures: every behaviour test runs in-process and over a real uvicorn socket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support.emulator_api import Api, Receiver


@pytest.fixture(params=["asgi", "socket"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    """An async client on a fresh emulator: in-process (ASGITransport) and over a uvicorn socket."""
    if request.param == "asgi":
        app = request.getfixturevalue("emulator_app")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c
    else:
        server = request.getfixturevalue("emulator_server")
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as c:
            c.app = server.app  # type: ignore[attr-defined]
            yield c


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
