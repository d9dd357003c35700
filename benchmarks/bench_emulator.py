"""Benchmark of the emulator at scale: async import of N items x 30 properties, then async CSV export.

The emulator runs as its own process (`orgsync emulator`); the payload (CSV, `_action=create`, autoId
mode; id + 29 properties of all four types) is generated up front and uploaded to a temporary file
(upload not timed). Timed: import request → job completed; export request → job completed → result
downloaded. Printed per size: seconds, the emulator's peak RSS, requests and bytes moved.

Bounds at 1,000,000 rows on 2 cores: import <= 60 s, export <= 15 s, emulator RSS <= 3 GB.
Run: python -m benchmarks.bench_emulator --rows 10000,100000,1000000 [--format csv|json]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import httpx
import orjson
import polars as pl

from benchmarks._util import EmulatorProcess, parse_rows

TYPES = ("text", "number", "date", "boolean")
PROPS = 30
TENANT = "BENCH"


def columns() -> list[tuple[str, str]]:
    return [("id", "text")] + [(f"p{i:02d}", TYPES[i % 4]) for i in range(1, PROPS)]


def payload(rows: int) -> pl.DataFrame:
    """N create actions; text values ~10 chars, numbers half integral, ISO dates, booleans."""
    n = pl.int_range(0, rows, eager=True)
    cols: dict[str, Any] = {
        "_action": pl.repeat("create", rows, eager=True),
        "id": "E" + n.cast(pl.String).str.zfill(8),
    }
    for i, (key, ptype) in enumerate(columns()[1:], start=1):
        if ptype == "text":
            cols[key] = "v" + ((n * (i + 7)) % 100_003).cast(pl.String) + f"_{key}"
        elif ptype == "number":
            cols[key] = ((n * i) % 100_000).cast(pl.Float64) / (1 if i % 2 else 4)
        elif ptype == "date":
            cols[key] = _dates(n)
        else:
            cols[key] = n % 3 == 0
    return pl.DataFrame(cols)


def _dates(n: pl.Series) -> pl.Series:
    start = pl.Series([0], dtype=pl.Date)[0]
    return (
        pl.DataFrame({"n": n})
        .select((pl.lit(start) + pl.duration(days=pl.col("n") % 20000)).dt.strftime("%Y-%m-%d"))
        .to_series()
    )


class Counter:
    def __init__(self) -> None:
        self.requests = 0
        self.sent = 0
        self.received = 0

    def hook_request(self, request: httpx.Request) -> None:
        self.requests += 1
        self.sent += len(request.content) if request.content else 0

    def hook_response(self, response: httpx.Response) -> None:
        response.read()
        self.received += len(response.content)


def wait(c: httpx.Client, ticket: dict[str, Any]) -> dict[str, Any]:
    while True:
        job = c.get(ticket["_links"]["self"]["url"]).json()
        if job["jobStatus"] in ("completed", "failed"):
            if job["jobStatus"] == "failed":
                raise RuntimeError(job["errors"])
            return job
        time.sleep(0.2)


def run(rows: int, fmt: str) -> dict[str, Any]:
    frame = payload(rows)
    if fmt == "csv":
        data = frame.write_csv().encode()
    else:
        data = orjson.dumps(frame.to_dicts())
    del frame
    counter = Counter()
    with (
        EmulatorProcess() as emu,
        httpx.Client(
            base_url=emu.base_url,
            timeout=600,
            event_hooks={"request": [counter.hook_request], "response": [counter.hook_response]},
        ) as c,
    ):
        base = f"/api/v1/{TENANT}"
        props = [{"key": k, "name": k, "type": t, "isRequired": k == "id"} for k, t in columns()]
        did = c.post(
            f"{base}/datasets",
            json={"name": "Bench", "type": "PEOPLE", "autoId": "id", "labelId": "id", "properties": props},
        ).json()["datasetId"]
        urls = c.post(f"{base}/files/generate", json={"targetType": fmt, "targetEncoding": "identity"}).json()
        c.put(urls["putUrl"], content=data).raise_for_status()
        upload_bytes = len(data)
        del data
        t0 = time.perf_counter()
        ticket = c.put(
            f"{base}/datasets/{did}/items/import",
            params={"autoId": "true"},
            json={"importLocation": {"method": "GET", "url": urls["getUrl"]}},
        ).json()
        job = wait(c, ticket)
        import_s = time.perf_counter() - t0
        statuses = orjson.loads(c.get(job["_links"]["result"]["url"]).content)
        assert len(statuses) == rows and all(s["_status"] == "success" for s in statuses), (
            "import did not succeed for every row"
        )
        del statuses
        t1 = time.perf_counter()
        ticket = c.post(
            f"{base}/datasets/{did}/export", params={"exportFormat": "csv", "includeBOM": "false"}, json={}
        ).json()
        job = wait(c, ticket)
        export_s = time.perf_counter() - t1
        csv = c.get(job["_links"]["result"]["url"]).content
        fetch_s = time.perf_counter() - t1
        assert csv.count(b"\r\n") == rows + 1, "export row count"
        return {
            "rows": rows,
            "format": fmt,
            "upload_MB": round(upload_bytes / 1e6, 1),
            "import_s": round(import_s, 2),
            "export_s": round(export_s, 2),
            "export+download_s": round(fetch_s, 2),
            "export_MB": round(len(csv) / 1e6, 1),
            "emulator_peak_rss_MB": round(emu.peak_rss_mb()),
            "requests": counter.requests,
            "bytes_sent_MB": round(counter.sent / 1e6, 1),
            "bytes_received_MB": round(counter.received / 1e6, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", default="10000", help="comma-separated sizes, e.g. 10000,100000,1000000")
    parser.add_argument("--format", default="csv", choices=("csv", "json"), help="import file format")
    args = parser.parse_args()
    for rows in parse_rows(args.rows):
        print(orjson.dumps(run(rows, args.format)).decode(), flush=True)


if __name__ == "__main__":
    main()
