"""files.unpack_to / download_to and OrgvueClient.export_csv_to: exports stream to a file, gunzipped chunk by
chunk under the download limit, so neither a huge export nor a gzip bomb is ever held in memory."""

from __future__ import annotations

import asyncio
import gzip
import io
import os

import httpx
import polars as pl
import pytest

from orgsync.api import files
from orgsync.api.bounded import AnswerTooLarge
from orgsync.api.client import OrgvueClient
from orgsync.api.files import unpack_to
from orgsync.api.jobs import JobPolling
from orgsync.emulator.app import create_app
from orgsync.errors import ApiError
from orgsync.limits import ResourceLimits
from tests.support.fake_api import BASE, gz, json_reply, ticket

KiB, MiB = 1024, 1024 * 1024


class Recording(io.BytesIO):
    """A destination that remembers the size of every write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[int] = []

    def write(self, data) -> int:  # type: ignore[override]
        self.writes.append(len(data))
        return super().write(data)


def bomb(unpacked_mib: int) -> bytes:
    """A gzip stream of `unpacked_mib` MiB of zeros (a few KiB per MiB compressed), as one member per MiB."""
    return gzip.compress(b"\0" * MiB, compresslevel=9) * unpacked_mib


def test_plain_bytes_are_copied_as_they_are():
    dest = io.BytesIO()
    data = b"id,name\n1,Ana\n" * 100
    assert unpack_to(io.BytesIO(data), dest, len(data)) == len(data)
    assert dest.getvalue() == data


def test_gzip_is_unpacked_and_every_member_of_a_multi_member_stream_is_kept():
    dest = io.BytesIO()
    packed = gzip.compress(b"id\n1\n") + gzip.compress(b"2\n")
    assert unpack_to(io.BytesIO(packed), dest, 100) == 7
    assert dest.getvalue() == b"id\n1\n2\n"


def test_the_stream_is_read_from_its_start_whatever_its_position():
    stream = io.BytesIO(gz(b"id\n1\n"))
    stream.seek(5)
    dest = io.BytesIO()
    assert unpack_to(stream, dest, 100) == 5 and dest.getvalue() == b"id\n1\n"


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_it_goes_chunk_by_chunk_never_one_big_write(monkeypatch, packed):
    monkeypatch.setattr(files, "_CHUNK", 1000)
    data = os.urandom(10_500)
    dest = Recording()
    assert unpack_to(io.BytesIO(gzip.compress(data) if packed else data), dest, len(data)) == len(data)
    assert dest.getvalue() == data
    assert max(dest.writes) <= 1000 and len(dest.writes) >= 11


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_exactly_the_limit_passes_one_byte_more_is_refused(packed):
    data = b"x" * 4096
    wrap = gzip.compress if packed else (lambda d: d)
    assert unpack_to(io.BytesIO(wrap(data)), io.BytesIO(), 4096) == 4096
    dest = io.BytesIO()
    with pytest.raises(AnswerTooLarge) as err:
        unpack_to(io.BytesIO(wrap(data)), dest, 4095)
    assert ("unpacked file" if packed else "a downloaded file is") in str(err.value)
    assert "larger than 4095 bytes" in str(err.value) and "ORGSYNC_LIMIT_DOWNLOAD_BYTES" in str(err.value)
    assert dest.tell() <= 4095


def test_a_gzip_bomb_stops_having_written_at_most_the_limit():
    packed = bomb(64)  # 64 MiB of zeros in ~64 KiB
    assert len(packed) < 256 * KiB
    dest = Recording()
    limit = 3 * MiB + 17
    with pytest.raises(AnswerTooLarge, match="a downloaded unpacked file is larger than"):
        unpack_to(io.BytesIO(packed), dest, limit)
    assert dest.tell() <= limit and sum(dest.writes) <= limit
    assert max(dest.writes) <= files._CHUNK  # never more than a chunk unpacked at a time


def _corrupt() -> dict[str, bytes]:
    good = gzip.compress(os.urandom(2000) + b"id\n1\n" * 500)
    return {
        "truncated": good[: len(good) // 2],
        "bad deflate block": good[:10] + b"\xff" * 64 + good[-8:],
        "bad crc": good[:-8] + b"\0" * 8,
        "magic only": b"\x1f\x8b",
        "unknown method": b"\x1f\x8b\x07" + good[3:],
        "garbage after the member": good + b"not gzip",
    }


@pytest.mark.parametrize("data", list(_corrupt().values()), ids=list(_corrupt()))
def test_corrupt_gzip_is_an_api_error_saying_so(data):
    with pytest.raises(ApiError) as err:
        unpack_to(io.BytesIO(data), io.BytesIO(), 10 * MiB)
    assert str(err.value).startswith("a downloaded file is not readable gzip (")
    with pytest.raises(ApiError, match="not readable gzip"):  # the reader the plan reads with says the same
        files.Unpacked(io.BytesIO(data), 10 * MiB).read()


# -- through the client: export_csv_to / download_to ------------------------------------------------------


def _export(fake, body: bytes, headers: dict | None = None) -> None:
    result = f"{BASE}/_files/R1?sig=abc"
    fake.on("POST", "/api/v1/ACME/datasets/D1/export", json_reply(ticket("created")))
    fake.on("GET", "/api/v1/ACME/jobs/J1", json_reply(ticket("completed", result=result)))
    fake.on("GET", "/_files/R1", httpx.Response(200, content=body, headers=headers or {}))


async def _export_to(client, dest, **kwargs) -> int:
    async with client as c:
        return await c.export_csv_to("D1", dest, **kwargs)


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_export_csv_to_writes_the_csv_into_the_file(fake, make_client, tmp_path, packed):
    csv = b"id,name,_id\n" + b"".join(b"%d,N%d,X%d\n" % (i, i, i) for i in range(5000))
    _export(fake, gz(csv) if packed else csv)
    path = tmp_path / "export.csv"
    with path.open("wb") as dest:
        written = asyncio.run(_export_to(make_client(), dest, projection=["id", "name", "_id"]))
    assert written == len(csv) == path.stat().st_size
    assert path.read_bytes() == csv


def test_export_csv_to_unpacks_gzip_content_sent_with_gzip_transfer_encoding(fake, make_client, tmp_path):
    csv = b"id\n1\n2\n"
    _export(fake, gzip.compress(gz(csv)), {"Content-Encoding": "gzip"})
    dest = io.BytesIO()
    assert asyncio.run(_export_to(make_client(), dest)) == len(csv) and dest.getvalue() == csv


def test_export_csv_to_refuses_an_export_bomb_under_the_download_limit(fake, make_client):
    _export(fake, bomb(8))
    dest = Recording()
    client = make_client(limits=ResourceLimits(download_bytes=1 * MiB))
    with pytest.raises(AnswerTooLarge, match="larger than 1048576 bytes"):
        asyncio.run(_export_to(client, dest))
    assert dest.tell() <= 1 * MiB


def test_export_csv_to_refuses_a_download_larger_than_the_limit_before_writing(fake, make_client):
    _export(fake, os.urandom(64 * KiB))
    dest = io.BytesIO()
    with pytest.raises(AnswerTooLarge):
        asyncio.run(_export_to(make_client(limits=ResourceLimits(download_bytes=16 * KiB)), dest))
    assert dest.getvalue() == b""  # the answer is refused while downloading, before anything reaches `dest`


def test_export_csv_to_reports_a_corrupt_gzip_result(fake, make_client):
    _export(fake, gz(b"id\n1\n" * 1000)[:40])
    with pytest.raises(ApiError, match="not readable gzip"):
        asyncio.run(_export_to(make_client(), io.BytesIO()))


# -- export_csv_file / download_file: the answer as sent, unpacked by open_download as it is read ----------


async def _export_file(client, path, **kwargs) -> files.Download:
    async with client as c:
        return await c.export_csv_file("D1", path, **kwargs)


def _unpacked(download: files.Download) -> bytes:
    with files.open_download(download.path, download.limit) as stream:
        return stream.read()


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_export_csv_file_keeps_the_answer_as_sent_and_open_download_unpacks_it(
    fake, make_client, tmp_path, packed
):
    csv = b"id,name,_id\n" + b"".join(b"%d,N%d,X%d\n" % (i, i, i) for i in range(5000))
    body = gz(csv) if packed else csv
    _export(fake, body)
    path = tmp_path / "export.csv"
    got = asyncio.run(_export_file(make_client(limits=ResourceLimits(download_bytes=len(csv))), path))
    assert got == files.Download(path, len(body), len(csv))
    assert path.read_bytes() == body  # written once, as received: a gzip export is not unpacked to disk
    assert _unpacked(got) == csv


def test_export_csv_file_of_a_bomb_is_small_on_disk_and_refused_as_it_is_read(fake, make_client, tmp_path):
    _export(fake, bomb(8))
    path = tmp_path / "export.csv"
    got = asyncio.run(_export_file(make_client(limits=ResourceLimits(download_bytes=1 * MiB)), path))
    assert got.size == path.stat().st_size < 64 * KiB and got.limit == 1 * MiB
    with files.open_download(path, got.limit) as stream:
        with pytest.raises(AnswerTooLarge, match="a downloaded unpacked file is larger than 1048576 bytes"):
            while stream.read(files._CHUNK):
                assert stream.read_bytes <= 1 * MiB + 1


def test_export_csv_file_refuses_an_answer_larger_than_the_limit_while_it_arrives(
    fake, make_client, tmp_path
):
    _export(fake, os.urandom(64 * KiB))
    path = tmp_path / "export.csv"
    with pytest.raises(AnswerTooLarge):
        asyncio.run(_export_file(make_client(limits=ResourceLimits(download_bytes=16 * KiB)), path))
    assert path.stat().st_size <= 16 * KiB


# -- against the emulator, in-process and over a real socket ---------------------------------------------

EMU_TOKEN = "tok-FILES-0a1b2c3d"
PEOPLE = {
    "name": "People",
    "type": "PEOPLE",
    "autoId": "emp",
    "labelId": "name",
    "properties": [
        {"key": "emp", "name": "Employee", "type": "text", "isRequired": True},
        {"key": "name", "name": "Name", "type": "text", "isRequired": True},
        {"key": "note", "name": "Note", "type": "text"},
    ],
}


@pytest.fixture(params=["asgi", pytest.param("socket", marks=pytest.mark.socket)])
def emulated(request, emulator_factory):
    """A client factory for a fresh token-protected emulator."""
    if request.param == "asgi":
        base, transport = "http://emulator", httpx.ASGITransport(app=create_app(token=EMU_TOKEN))
    else:
        base, transport = emulator_factory(token=EMU_TOKEN).base_url, None
    return lambda: OrgvueClient(
        base,
        "ACME",
        EMU_TOKEN,
        transport=transport,
        polling=JobPolling(first=0.005, factor=1.5, cap=0.05, timeout=30.0),
    )


@pytest.mark.anyio
async def test_export_csv_to_a_file_from_the_emulator_equals_the_in_memory_export(emulated, tmp_path):
    items = [
        {
            "_action": "createOrUpdate",
            "emp": f"E{i}",
            "name": f"N{i}",
            "note": 'line one\nline "two", with a comma' if i % 7 == 0 else None,
        }
        for i in range(300)
    ]
    async with emulated() as c:
        did = (await c.create_dataset(PEOPLE)).datasetId
        await c.import_items(did, items, params={"autoId": True})
        path = tmp_path / "export.csv"
        with path.open("wb") as dest:
            written = await c.export_csv_to(did, dest, projection=["emp", "name", "note", "_id"])
        in_memory = await c.export_csv(did, projection=["emp", "name", "note", "_id"])
        packed = await c.export_csv_file(
            did, tmp_path / "packed.csv", projection=["emp", "name", "note", "_id"]
        )
    assert written == path.stat().st_size and path.read_bytes() == in_memory
    assert packed.path.read_bytes()[:2] == files.GZIP_MAGIC and _unpacked(packed) == in_memory
    frame = pl.read_csv(path, infer_schema=False)
    assert frame.columns == ["emp", "name", "note", "_id"] and frame.height == 300
    assert frame.filter(pl.col("emp") == "E7")["note"].to_list() == ['line one\nline "two", with a comma']


def test_what_orgsync_gzips_any_gzip_reader_reads_and_it_reads_any_gzip():
    """ISA-L writes and reads the gzip format itself: the standard library (as a server would) unpacks what
    orgsync sends, byte for byte, with no timestamp; orgsync unpacks the standard library's, every member."""
    data = b"".join(f'{{"id":"E{i}","name":"Zo\xc3\xab {i}"}},'.encode() for i in range(20_000))
    packed = files.gzip_bytes(data)
    assert (
        gzip.decompress(packed) == data and packed[4:8] == b"\0\0\0\0"
    )  # MTIME 0: the same input, same bytes
    assert packed == files.gzip_bytes(data) and len(packed) < len(data) // 4
    two_members = gzip.compress(data[:1000], compresslevel=9) + gzip.compress(data[1000:], compresslevel=1)
    out = io.BytesIO()
    assert unpack_to(io.BytesIO(two_members), out, len(data)) == len(data) and out.getvalue() == data
    assert files.Unpacked(io.BytesIO(two_members), None).read() == data
