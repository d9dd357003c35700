"""`--verbose` call lines: the exact format, and the client telling a listener of every attempt as it completes."""

from __future__ import annotations

import asyncio
import gzip

import httpx
import pytest

from orgsync.api.calllog import call_printer, format_call
from orgsync.api.http import CallRecord


def test_a_line_has_method_path_status_ms_and_bytes_both_ways():
    record = CallRecord("GET", "/api/v1/ACME/datasets", 200, 0.0123, bytes_received=1234)
    assert format_call(record) == "GET /api/v1/ACME/datasets 200 12 ms 0 B → 1.2 KB"


@pytest.mark.parametrize(
    ("sent", "shown"),
    [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KB"), (5 * 1024 * 1024 + 512 * 1024, "5.5 MB")],
)
def test_sizes_switch_unit_at_1024(sent, shown):
    assert format_call(CallRecord("PUT", "/x", 200, 0.0, bytes_sent=sent)) == f"PUT /x 200 0 ms {shown} → 0 B"


def test_options_attempt_and_a_lost_answer_are_shown():
    retried = CallRecord(
        "PUT",
        "/api/v1/ACME/datasets/D1/items",
        503,
        0.2,
        attempt=2,
        query="autoId=true&dateFormat",
        bytes_sent=10,
    )
    assert (
        format_call(retried)
        == "PUT /api/v1/ACME/datasets/D1/items?autoId=true&dateFormat 503 200 ms 10 B → 0 B (attempt 2)"
    )
    lost = CallRecord("POST", "/api/v1/ACME/datasets", None, 1.5)
    assert format_call(lost) == "POST /api/v1/ACME/datasets no-answer 1500 ms 0 B → 0 B"


def test_the_printer_writes_one_flushed_line_per_record():
    class Stream:
        def __init__(self) -> None:
            self.parts: list[str] = []
            self.flushes = 0

        def write(self, text: str) -> None:
            self.parts.append(text)

        def flush(self) -> None:
            self.flushes += 1

    stream = Stream()
    show = call_printer(stream)  # type: ignore[arg-type]
    show(CallRecord("GET", "/a", 200, 0.001))
    show(CallRecord("GET", "/b", 404, 0.002))
    assert (
        stream.parts == ["GET /a 200 1 ms 0 B → 0 B\n", "GET /b 404 2 ms 0 B → 0 B\n"] and stream.flushes == 2
    )


def _ticket(status: str, result: str | None = None) -> httpx.Response:
    links = {"self": {"url": "/api/v1/ACME/jobs/J1"}, **({"result": {"url": result}} if result else {})}
    return httpx.Response(200, json={"_links": links, "jobStatus": status, "errors": []})


# `fake` and `make_client` come from tests/api/conftest.py (not imported by name: tests/apply has a conftest too)
def test_the_listener_gets_each_attempt_as_logged_with_bytes_and_no_presigned_query(fake, make_client):
    seen: list[CallRecord] = []
    fake.on(
        "GET",
        "/api/v1/ACME/datasets",
        httpx.Response(503),
        httpx.Response(200, content=b'[{"datasetId":"D1"}]'),
    )
    fake.on("POST", "/api/v1/ACME/datasets/D1/export", _ticket("created"))
    fake.on("GET", "/api/v1/ACME/jobs/J1", _ticket("completed", result="/_files/R1?sig=abc"))
    fake.on("GET", "/_files/R1", httpx.Response(200, content=gzip.compress(b"id\n1\n")))

    async def go() -> None:
        async with make_client(on_call=seen.append) as client:
            await client.list_datasets()
            await client.export_csv("D1", projection=["id"])
            assert seen == client.log

    asyncio.run(go())
    lines = [format_call(r) for r in seen]
    assert [line.split(" ")[:3] for line in lines] == [
        ["GET", "/api/v1/ACME/datasets", "503"],
        ["GET", "/api/v1/ACME/datasets", "200"],
        [
            "POST",
            "/api/v1/ACME/datasets/D1/export?exportFormat=csv&encoding=gzip&includeBOM=false&lineEndings=unix",
            "200",
        ],
        ["GET", "/api/v1/ACME/jobs/J1", "200"],
        ["GET", "/_files/R1", "200"],
    ]
    assert [r.attempt for r in seen] == [1, 2, 1, 1, 1]
    assert seen[2].bytes_sent == len(fake.calls("POST", "/api/v1/ACME/datasets/D1/export")[0].content) > 0
    assert seen[1].bytes_received == len(b'[{"datasetId":"D1"}]')
    assert seen[4].bytes_received == len(gzip.compress(b"id\n1\n"))
    token = fake.requests[0].headers["Authorization"].removeprefix("Bearer ")
    assert token and "sig" not in "\n".join(lines) and token not in "\n".join(lines)
