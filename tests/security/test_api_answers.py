"""Attacks by a hostile or broken API: endless trickles, huge answers, bombs, and answers of the wrong shape."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import httpx
import pytest

from orgsync.api.bounded import AnswerTooLarge
from orgsync.api.client import OrgvueClient
from orgsync.api.retry import RetryPolicy
from orgsync.errors import ApiError, TransportError
from orgsync.limits import limits_from

BASE = "https://orgvue.eu-west-1.concentra.io"
pytestmark = pytest.mark.anyio


class FakeClock:
    """Time that moves only when the fake server says so: 2 s per byte of the trickle."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def trickle(clock: FakeClock, total: int) -> httpx.AsyncByteStream:
    class Trickle(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for _ in range(total):
                clock.now += 2.0  # one byte every 2 s: each read is well within the 120 s read timeout
                yield b" "

    return Trickle()


def client(handler, clock=None, **env: str) -> OrgvueClient:
    return OrgvueClient(
        BASE,
        "ACME",
        "tok",
        transport=httpx.MockTransport(handler),
        limits=limits_from(env),
        retry=RetryPolicy(attempts=2),
        clock=clock or FakeClock(),
        sleep=_no_sleep,
    )


async def _no_sleep(_: float) -> None:
    return None


async def test_a_trickle_of_one_byte_every_2_s_hits_the_overall_deadline():
    clock = FakeClock()
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, stream=trickle(clock, 10_000))  # 20,000 s if it were let run

    async with client(handler, clock) as c:
        with pytest.raises(TransportError) as err:
            await c.list_datasets()
    assert "cannot reach the Orgvue API" in str(err.value)
    assert (
        "ReadTimeout: the answer took longer than the overall deadline (ORGSYNC_LIMIT_REQUEST_SECONDS)"
        in str(err.value)
    )
    assert len(calls) == 2  # a read is retried once, then given up
    assert clock.now == pytest.approx(
        2 * 902.0
    )  # each attempt stopped at its 900 s deadline (+ the byte past it)


async def test_the_deadline_is_raised_only_from_the_environment():
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=trickle(clock, 3), headers={"Content-Type": "application/json"})

    async with client(handler, clock, ORGSYNC_LIMIT_REQUEST_SECONDS="10") as c:
        with pytest.raises(ApiError, match="not JSON"):  # 6 s of trickle fits a 10 s deadline: read whole
            await c.list_datasets()


async def test_an_answer_larger_than_the_limit_is_refused_while_it_streams():
    sent = []

    class Endless(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for _ in range(1000):
                sent.append(1)
                yield b"[" + b"0," * 512 * 1024

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Endless())

    async with client(handler, ORGSYNC_LIMIT_ANSWER_BYTES="4MiB") as c:
        with pytest.raises(AnswerTooLarge) as err:
            await c.list_datasets()
    assert str(err.value).startswith("GET /api/v1/ACME/datasets: the answer is larger than 4194304 bytes")
    assert len(sent) == 4  # stopped at the chunk that passed the limit (4 × 1 MiB + 4 B), not after 1000


async def test_a_gzip_transfer_bomb_is_bounded_by_its_decoded_size():
    bomb = gzip.compress(b"[" + b"0," * (8 * 1024 * 1024) + b"0]", compresslevel=9)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=bomb, headers={"Content-Encoding": "gzip"})

    async with client(handler, ORGSYNC_LIMIT_ANSWER_BYTES="1MiB") as c:
        with pytest.raises(AnswerTooLarge):
            await c.list_datasets()


async def test_an_export_is_streamed_to_disk_and_capped_including_its_gzip_content():
    csv_bomb = gzip.compress(b"id\n" + b"1\n" * (4 * 1024 * 1024))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/export"):
            return httpx.Response(
                202,
                json={
                    "jobStatus": "completed",
                    "_links": {
                        "self": {"url": f"{BASE}/api/v1/ACME/jobs/J1"},
                        "result": {"url": f"{BASE}/_files/R1?sig=x"},
                    },
                },
            )
        return httpx.Response(200, content=csv_bomb)

    async with client(handler, ORGSYNC_LIMIT_DOWNLOAD_BYTES="1MiB") as c:
        with pytest.raises(AnswerTooLarge, match="a downloaded unpacked file is larger than 1048576 bytes"):
            await c.export_csv("D1")
    async with client(handler) as c:
        assert len(await c.export_csv("D1")) == 3 + 8 * 1024 * 1024


@pytest.mark.parametrize(
    "answer, expected",
    [
        (
            {"datasets": []},
            "GET /datasets: the answer does not have the documented shape — (the whole answer): "
            "input should be a valid list",
        ),
        (
            [{"datasetId": 7, "name": "People"}],
            "GET /datasets: the answer does not have the documented shape — "
            "[0].datasetId: input should be a valid string",
        ),
        (
            ["People"],
            "GET /datasets: the answer does not have the documented shape — [0]: input should be a valid "
            "dictionary or instance of datasetsummary",
        ),
    ],
)
async def test_a_200_of_the_wrong_shape_names_the_path_and_field(answer, expected):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answer)

    async with client(handler) as c:
        with pytest.raises(ApiError) as err:
            await c.list_datasets()
    assert str(err.value).startswith(expected)


async def test_a_dataset_whose_properties_do_not_fit_is_an_error():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"datasetId": "D1", "properties": [{"key": "id"}, {"name": "no key"}]}
        )

    async with client(handler) as c:
        with pytest.raises(ApiError, match=r"GET /datasets/D1: .* properties\[1\]\.key: field required"):
            await c.get_dataset("D1")


async def test_a_job_ticket_without_status_or_links_is_an_error():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(202, json={"jobId": "J1"})

    async with client(handler) as c:
        with pytest.raises(
            ApiError,
            match="the job ticket: the answer does not have the documented shape — "
            "jobStatus: field required; _links: field required",
        ):
            await c.run_ondemand("D1", ["x"])


@pytest.mark.socket
def test_plan_against_a_server_of_wrong_shapes_is_a_clear_error_not_a_traceback(tmp_path):
    from fastapi import FastAPI

    from tests.support.cli import orgsync
    from tests.support.hostile import write
    from tests.support.serving import serve_app

    app = FastAPI()

    @app.get("/api/v1/ACME/datasets")
    def datasets() -> dict[str, object]:
        return {"unexpected": True}

    served = serve_app(app)
    try:
        write(tmp_path, key="note")
        (tmp_path / "orgsync.yaml").write_text(
            f"tenant: ACME\nendpoint: {served.base_url}\nmanifests: manifests\n"
        )
        code, out, err = orgsync("plan", "-C", str(tmp_path), env={"ORGVUE_TOKEN": "t"})
    finally:
        served.stop()
    assert code == 1 and "Traceback" not in err
    assert err.startswith(
        "Error: GET /datasets: the answer does not have the documented shape — (the whole answer)"
    )


@pytest.mark.socket
async def test_a_real_server_that_sends_one_byte_then_stalls_is_cut_off_by_the_deadline():
    """Over a real socket, with the real clock: the byte resets httpx's read timeout, the overall deadline does not."""
    import socket
    import threading

    release = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    served = []

    def serve() -> None:
        while not release.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            if release.is_set():
                conn.close()
                return
            served.append(conn)
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n["
            )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        async with OrgvueClient(
            f"http://127.0.0.1:{port}",
            "ACME",
            "tok",
            retry=RetryPolicy(attempts=1),
            limits=limits_from({"ORGSYNC_LIMIT_REQUEST_SECONDS": "0.5"}),
        ) as c:
            with pytest.raises(TransportError) as err:
                await c.list_datasets()
    finally:
        release.set()
        socket.create_connection(("127.0.0.1", port)).close()  # wakes the accept so the thread ends
        thread.join(5)
        listener.close()
        for conn in served:
            conn.close()
    assert "overall deadline of 0.5 s (ORGSYNC_LIMIT_REQUEST_SECONDS)" in str(err.value)
    assert len(served) == 1
