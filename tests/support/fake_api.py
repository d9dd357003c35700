"""A scriptable stand-in for the Orgvue API over httpx.MockTransport, and its replies (client mechanics tests)."""

from __future__ import annotations

import asyncio
import gzip
from collections import defaultdict, deque
from collections.abc import Callable

import httpx
import orjson

BASE = "https://orgvue.example"
TENANT = "ACME"
TOKEN = "tok-SECRET-9f8e7d6c5b4a"
API = f"{BASE}/api/v1/{TENANT}"

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response] | Exception


class FakeApi:
    """Answers from per-(method, path) queues; the last answer of a queue repeats. Records every request."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *replies: Reply) -> None:
        self.routes[(method, path)].extend(replies)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.routes.get((request.method, request.url.path))
        if not queue:
            return httpx.Response(
                404, json={"errors": [{"code": "404000", "name": "NotFound", "message": "no route"}]}
            )
        reply = queue.popleft() if len(queue) > 1 else queue[0]
        if isinstance(reply, Exception):
            raise reply
        return reply(request) if callable(reply) else reply

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]


def json_reply(data, status: int = 200, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(
        status, content=orjson.dumps(data), headers={"Content-Type": "application/json", **(headers or {})}
    )


def ticket(status: str, job: str = "J1", result: str | None = None, errors: list | None = None) -> dict:
    links = {"self": {"url": f"{API}/jobs/{job}", "type": "jobTicket"}}
    if result:
        links["result"] = {"url": result, "type": "downloadLink"}
    return {"_links": links, "jobStatus": status, "errors": errors or []}


def gz(data: bytes) -> bytes:
    return gzip.compress(data)


class SleepRecorder:
    """Replaces asyncio.sleep in the client: records requested waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)
