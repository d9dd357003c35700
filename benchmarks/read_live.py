"""Benchmark of the live snapshot read: async CSV export (gzip) -> download -> polars parse -> canonical form.

The API is a scripted in-process stand-in that serves a pre-built gzip export, so the figures are those of the
client and reader alone (the emulator's own export cost is benchmarked with the emulator).
Run: python -m benchmarks.read_live --rows 10000,100000,1000000 [--props 30]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import resource
import time
from pathlib import Path

import httpx
import polars as pl

from orgsync.api.client import OrgvueClient
from orgsync.api.jobs import JobPolling
from orgsync.manifest.models import DatasetManifest, ItemsSpec, Project, ProjectConfig, PropertySpec
from orgsync.sources.table import SourceTable
from orgsync.state.reader import read_live

BASE = "http://bench.local"
TYPES = ("text", "number", "date", "boolean")


def _columns(props: int) -> list[tuple[str, str]]:
    """Key `id` (number) then props-1 properties cycling through the four types."""
    return [("id", "number")] + [(f"p{i}", TYPES[i % 4]) for i in range(1, props)]


def build_export(rows: int, props: int) -> bytes:
    """A gzip CSV export as the service writes it: header of keys, `_id` last."""
    n = pl.int_range(0, rows, eager=True)
    data = {"id": n.cast(pl.Utf8)}
    for key, type in _columns(props)[1:]:
        if type == "text":
            data[key] = "v" + (n % 997).cast(pl.Utf8)
        elif type == "number":
            data[key] = ((n * 37) % 100_000).cast(pl.Utf8) + ".0"  # canonicalised to the integral form
        elif type == "date":
            data[key] = pl.Series(["2024-01-02"] * rows)
        else:
            data[key] = (n % 2 == 0).cast(pl.Utf8).str.to_lowercase()
    data["_id"] = "X" + n.cast(pl.Utf8)
    buffer = io.BytesIO()
    pl.DataFrame(data).write_csv(buffer)
    return gzip.compress(buffer.getvalue(), compresslevel=1)


def _project(props: int) -> tuple[Project, SourceTable]:
    cols = _columns(props)
    manifest = DatasetManifest(
        kind="Dataset",
        name="Bench",
        type="PEOPLE",
        autoId="id",
        labelId="p1",
        properties=[PropertySpec(key=k, name=k, type=t) for k, t in cols],
        items=ItemsSpec(source="bench.csv"),
    )
    table = SourceTable(
        name="Bench",
        path=Path("bench.csv"),
        frame=pl.DataFrame(),
        key=["id"],
        owned=[k for k, _ in cols[1:]],
        types=dict(cols),
        sha256="",
    )
    project = Project(
        root=Path("."),
        config_file=Path("orgsync.yaml"),
        config=ProjectConfig(tenant="BENCH"),
        manifests=[manifest],
    )
    return project, table


def _handler(export: bytes, props: int):
    resource_ = {
        "datasetId": "D1",
        "name": "Bench",
        "type": "PEOPLE",
        "properties": [{"key": k, "type": t} for k, t in _columns(props)],
    }
    api = "/api/v1/BENCH"

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == f"{api}/datasets":
            return httpx.Response(200, json=[resource_])
        if path == f"{api}/datasets/D1":
            return httpx.Response(200, json=resource_)
        if path == f"{api}/datasets/D1/export":
            return httpx.Response(
                200,
                json={
                    "jobStatus": "completed",
                    "_links": {
                        "self": {"url": f"{BASE}{api}/jobs/J"},
                        "result": {"url": f"{BASE}/_files/E?sig=s"},
                    },
                },
            )
        if path == "/_files/E":
            return httpx.Response(200, content=export)
        return httpx.Response(404)

    return handle


async def _read(export: bytes, props: int) -> tuple[float, float, OrgvueClient, int]:
    """Wall and CPU seconds (all threads) of one read_live, the client, and the items read."""
    project, table = _project(props)
    client = OrgvueClient(
        BASE,
        "BENCH",
        "bench-token",
        transport=httpx.MockTransport(_handler(export, props)),
        polling=JobPolling(first=0.001),
    )
    started, cpu = time.perf_counter(), time.process_time()
    async with client:
        live = await read_live(client, project, [table], "Target: bench")
    return time.perf_counter() - started, time.process_time() - cpu, client, live.items["D1"].frame.height


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000", help="comma-separated row counts")
    parser.add_argument("--props", type=int, default=30)
    args = parser.parse_args(argv)
    for rows in [int(r) for r in args.rows.split(",")]:
        export = build_export(rows, args.props)
        before = _peak_mb()
        seconds, cpu, client, height = asyncio.run(_read(export, args.props))
        print(
            f"rows={rows} props={args.props} read_live={seconds:.2f}s cpu={cpu:.2f}s items={height} "
            f"export_gzip={len(export) / 1e6:.1f}MB requests={client.stats.requests} "
            f"bytes_received={client.stats.bytes_received} peak_rss={_peak_mb():.0f}MB "
            f"(before read {before:.0f}MB)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
