"""The example tenant for apply tests: examples/acme applied to an in-process emulator, every request recorded."""

from __future__ import annotations

import asyncio
import gzip
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import polars as pl
from rich.console import Console

from orgsync.apply.batching import BatchLimits
from orgsync.commands.apply import ApplyOptions, run_apply
from orgsync.commands.pipeline import fresh_plan
from orgsync.plan.model import Plan

REPO = Path(__file__).resolve().parents[2]
ACME = REPO / "examples" / "acme"
API_PATH = "/api/v1/ACME"  # the example's tenant
BASE = "http://orgsync.local"


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes requests to the app and keeps (method, path, body) of each, gzip bodies unpacked."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[tuple[str, str, bytes]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        self.sent.append((request.method, request.url.path, body))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:  # shared by every client of a test: closed with the fixture
        pass


@dataclass
class Tenant:
    """A repository and the in-process emulated tenant that `endpoint: local` talks to."""

    root: Path
    app: object
    transport: RecordingTransport
    outputs: list[str] = field(default_factory=list)

    def apply(self, *, limits: BatchLimits | None = None, tty: bool = False, **options) -> int:
        """`orgsync apply --auto-approve` (unless told otherwise); the output is kept in `outputs`."""
        buffer = io.StringIO()
        options.setdefault("auto_approve", True)
        opts = ApplyOptions(root=self.root, **options)
        try:
            code = run_apply(opts, limits=limits, console=Console(file=buffer, width=300), stdin_is_tty=tty)
        finally:
            self.outputs.append(buffer.getvalue())
        return code

    def plan(self) -> Plan:
        """A fresh plan of the repository against the tenant."""

        async def make() -> Plan:
            prepared = await fresh_plan(self.root)
            await prepared.client.aclose()
            return prepared.plan

        return asyncio.run(make())

    def admin(self, method: str, path: str, body: object = None) -> object:
        """Call the emulator's admin API (faults, access rules, request log)."""

        async def call():
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE) as c:
                r = await c.request(
                    method,
                    path,
                    content=orjson.dumps(body) if body is not None else None,
                    headers={"Content-Type": "application/json"},
                )
                r.raise_for_status()
                return r.json() if r.content else None

        return asyncio.run(call())

    def writes(self) -> list[tuple[str, str]]:
        """(method, path) of every write the API saw, in order (GETs and file transfers left out)."""
        return [
            (m, p)
            for m, p, _ in self.transport.sent
            if m != "GET"
            and "/_files/" not in p
            and not p.endswith("/files/generate")
            and not re.search(r"/export(/\w+)?$", p)
            and not p.endswith("/items/query")
        ]

    def write_words(self, ids: dict[str, str]) -> list[str]:
        """Every write as readable words, 'PUT /datasets/People/items': `ids` (name -> id) turned into names."""
        out = []
        for method, path in self.writes():
            text = path.removeprefix(API_PATH)
            for name, dataset_id in ids.items():
                text = text.replace(dataset_id, name)
            out.append(f"{method} {text}")
        return out

    def item_bodies(self) -> list[tuple[str, list[dict]]]:
        """(path, actions) of every item write (sync PUT bodies and uploaded import files)."""
        out = []
        for method, path, body in self.transport.sent:
            if (method == "PUT" and path.endswith("/items")) or (method == "PUT" and "/_files/" in path):
                out.append((path, orjson.loads(body)))
        return out

    def copy_source(self, name: str, text: str) -> None:
        (self.root / "data" / name).write_text(text)


def dataset_ids(tenant: Tenant) -> dict[str, str | None]:
    """Dataset name -> live id (None: not created yet), as a fresh plan reads them."""
    return {r.name: r.dataset_id for r in tenant.plan().resources}


def edit_csv(tenant: Tenant, name: str, edit: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    """Rewrite data/<name> through `edit` (every column read as text)."""
    path = tenant.root / "data" / name
    edit(pl.read_csv(path, infer_schema=False)).write_csv(path)


class Traced(httpx.AsyncBaseTransport):
    """Adds an X-Amzn-Trace-Id to every answer, as the real service does (D/working/tracking/)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.count += 1
        response.headers["X-Amzn-Trace-Id"] = f"Root=1-00000000-{self.count:024x}"
        return response
