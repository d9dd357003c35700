"""Helpers over an httpx client for the emulator's documented endpoints, and a callback receiver on a real socket."""

from __future__ import annotations

import asyncio
import queue
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

T = "ACME"
PEOPLE_PROPS = [
    {"key": "emp", "name": "Employee", "type": "text", "isRequired": True},
    {"key": "name", "name": "Name", "type": "text", "isRequired": True},
    {"key": "salary", "name": "Salary", "type": "number"},
    {"key": "start", "name": "Start", "type": "date"},
    {"key": "active", "name": "Active", "type": "boolean"},
    {"key": "dept", "name": "Department", "type": "text"},
]


class Api:
    """Thin helpers over an httpx.AsyncClient for the emulator's documented endpoints."""

    def __init__(self, client: httpx.AsyncClient, tenant: str = T) -> None:
        self.c = client
        self.base = f"/api/v1/{tenant}"
        self.tenant = tenant

    async def create_people(self, name: str = "People", props: list[dict[str, Any]] | None = None) -> str:
        r = await self.c.post(
            f"{self.base}/datasets",
            json={
                "name": name,
                "type": "PEOPLE",
                "autoId": "emp",
                "labelId": "name",
                "properties": props or PEOPLE_PROPS,
            },
        )
        assert r.status_code == 201, r.text
        return r.json()["datasetId"]

    async def put(self, did: str, actions: Any, *, links: bool = False, **params: str) -> httpx.Response:
        kind = "links" if links else "datasets"
        return await self.c.put(f"{self.base}/{kind}/{did}/items", json=actions, params=params)

    async def seed(self, did: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        r = await self.put(did, [{"_action": "create", **row} for row in rows], autoId="true")
        assert r.status_code == 200, r.text
        return r.json()

    async def items(self, did: str) -> list[dict[str, Any]]:
        r = await self.c.get(f"{self.base}/datasets/{did}/items")
        assert r.status_code == 200, r.text
        return r.json()

    async def by_emp(self, did: str) -> dict[str, dict[str, Any]]:
        return {
            i["emp"]: {k: v for k, v in i.items() if not k.startswith("_")} for i in await self.items(did)
        }

    async def dataset(self, did: str) -> dict[str, Any]:
        r = await self.c.get(f"{self.base}/datasets/{did}")
        assert r.status_code == 200, r.text
        return r.json()

    async def upload(self, data: bytes, target_type: str = "json") -> str:
        r = await self.c.post(
            f"{self.base}/files/generate", json={"targetType": target_type, "targetEncoding": "identity"}
        )
        assert r.status_code == 201, r.text
        urls = r.json()
        put = await self.c.put(urls["putUrl"], content=data, headers={"Authorization": ""})
        assert put.status_code == 200, put.text
        return urls["getUrl"]

    async def start_import(
        self, did: str, get_url: str, *, links: bool = False, **body: Any
    ) -> httpx.Response:
        """PUT …/items/import reading `get_url` (`importLocation`), with any other body fields (resultLocation, callback)."""
        kind = "links" if links else "datasets"
        params = body.pop("params", {"autoId": "true"} if not links else {})
        return await self.c.put(
            f"{self.base}/{kind}/{did}/items/import",
            params=params,
            json={"importLocation": {"method": "GET", "url": get_url}, **body},
        )

    async def wait(
        self, ticket: dict[str, Any], until: tuple[str, ...] = ("completed", "failed")
    ) -> dict[str, Any]:
        url = ticket["_links"]["self"]["url"]  # presigned storage (D/working/async/): no Authorization
        for _ in range(2000):
            r = await self.c.get(url, headers={"Authorization": ""})
            assert r.status_code == 200, r.text
            if r.json()["jobStatus"] in until:
                return r.json()
            await asyncio.sleep(0.01)
        raise AssertionError(f"job never reached {until}")

    async def result(self, ticket: dict[str, Any]) -> bytes:
        done = await self.wait(ticket)
        assert done["jobStatus"] == "completed", done
        r = await self.c.get(done["_links"]["result"]["url"])
        assert r.status_code == 200
        return r.content


# -- a callback receiver (the emulator's async callbacks reach it over a real socket) -----------------------


@dataclass
class Received:
    method: str
    path: str
    body: bytes


class Receiver:
    """A threaded http.server on `host` that queues every request it gets and answers 204."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        got: queue.Queue[Received] = queue.Queue()

        class Handler(BaseHTTPRequestHandler):
            def _take(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                got.put(Received(self.command, self.path, self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            do_GET = do_POST = do_PUT = _take

            def log_message(self, *args: Any) -> None:
                pass

        self.got = got
        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self) -> Received:
        return self.got.get(timeout=30)  # a bound on waiting, not a timing assertion

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def links_between(api: Api, people: str) -> tuple[str, str]:
    """A Positions dataset and a People → Positions links dataset (with one link)."""
    r = await api.c.post(
        f"{api.base}/datasets",
        json={
            "name": "Positions",
            "type": "POSITIONS",
            "autoId": "pos",
            "labelId": "pos",
            "properties": [{"key": "pos", "type": "text", "isRequired": True}],
        },
    )
    assert r.status_code == 201, r.text
    positions = r.json()["datasetId"]
    assert (await api.put(positions, [{"_action": "create", "pos": "P1"}], autoId="true")).status_code == 200
    r = await api.c.post(
        f"{api.base}/links",
        json={"name": "People to Positions", "fromDatasetId": people, "toDatasetId": positions},
    )
    assert r.status_code == 201, r.text
    lid = r.json()["datasetId"]
    assert (
        await api.put(lid, [{"_action": "create", "from_id": "1", "to_id": "P1"}], links=True)
    ).status_code == 200
    return positions, lid
