"""The emulator exposed on a laptop: admin without the token, hanging fault rules, huge uploads, relaying."""

from __future__ import annotations

import random

import httpx
import pytest

from orgsync.emulator.app import create_app
from orgsync.emulator.faults import FaultBook
from orgsync.emulator.globmatch import compile_glob, glob_match

pytestmark = pytest.mark.anyio
TOKEN = "emu-token-1234"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator")


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/_emulator/tenants/ACME/reset"),
        ("GET", "/_emulator/requests"),
        ("POST", "/_emulator/faults"),
        ("DELETE", "/_emulator/faults"),
        ("POST", "/_emulator/tenants/ACME/access"),
        ("GET", "/_emulator/callbacks"),
        ("POST", "/_emulator/clock"),
    ],
)
async def test_token_protects_the_admin_api_too(method, path):
    async with client(create_app(token=TOKEN)) as c:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            r = await c.request(method, path, json={"path": "*", "status": 500}, headers=headers)
            assert r.status_code == 401 and r.json()["errors"][0]["code"] == "401000"
        assert (await c.get("/_emulator/faults", headers=AUTH)).json() == []  # nothing was changed
        assert (
            await c.request(method, path, json={"path": "*", "status": 500}, headers=AUTH)
        ).status_code != 401


async def test_without_a_token_the_admin_api_stays_open_for_tests():
    async with client(create_app()) as c:
        assert (await c.get("/_emulator/faults")).status_code == 200


@pytest.mark.parametrize("path", ["(a+)+$", "^(a|aa)+$", "[a-z]*", "x|y", "\\d", "a{b{c}}", "{a,b}" * 7])
async def test_regular_expressions_are_refused_as_fault_paths(path):
    async with client(create_app()) as c:
        r = await c.post("/_emulator/faults", json={"path": path, "status": 500})
    message = r.json()["errors"][0]["message"]
    assert r.status_code == 400 and (
        "not a regular expression" in message or "braces" in message or "alternatives" in message
    )


async def test_a_pathological_glob_against_a_long_path_finishes_in_bounded_steps():
    (pattern,) = compile_glob("*a" * 99 + "$")  # would be exponential for a backtracking regex
    text = "a" * 8000 + "b"
    assert glob_match(pattern, text) is False  # returns: ≤ len(pattern) × len(text) steps
    async with client(create_app()) as c:
        assert (await c.post("/_emulator/faults", json={"path": "a*" * 99, "status": 500})).status_code == 201
        assert (
            await c.get("/api/v1/ACME/" + "a" * 2000 + "b")
        ).status_code == 500  # the rule matched, at once


@pytest.mark.parametrize(
    "rule, path, hit",
    [
        ("/datasets$", "/api/v1/ACME/datasets", True),
        ("/datasets$", "/api/v1/ACME/datasets/x", False),
        ("datasets", "/api/v1/ACME/datasets/x/items", True),
        (".*", "/anything", True),
        ("*", "/", True),
        ("^/api/v1/*/items$", "/api/v1/ACME/datasets/D/items", True),
        ("^/api", "/x/api", False),
        ("/items/?mport$", "/api/v1/A/datasets/D/items/import", True),
        ("/export", "/api/v1/A/links/L/populate", False),
        ("/{items,links}$", "/api/v1/A/links", True),
        ("/{items,links}$", "/api/v1/A/datasets", False),
    ],
)
def test_glob_rules_keep_the_documented_meaning(rule, path, hit):
    assert any(glob_match(g, path) for g in compile_glob(rule)) is hit


def test_count_and_rate_combine_as_documented():
    book = FaultBook(seed=7)
    book.add({"path": "/datasets$", "status": 503, "rate": 0.5, "count": 3, "seed": 11})
    dice = random.Random(11)
    expected = []
    hits = 0
    for _ in range(40):
        fires = hits < 3 and dice.random() < 0.5
        hits += fires
        expected.append(503 if fires else None)
    got = [
        (f.status if f else None)
        for _, f in (book.request_fault("GET", "/api/v1/A/datasets") for _ in range(40))
    ]
    assert got == expected and got.count(503) == 3  # each call rolls the rate; the rule ends after 3 faults
    assert book.faults == []


def test_count_alone_answers_the_next_calls_and_rate_alone_keeps_rolling():
    book = FaultBook(seed=0)
    book.add({"path": "*", "status": 500, "count": 2})
    assert [bool(book.request_fault("GET", "/x")[1]) for _ in range(4)] == [True, True, False, False]
    book.add({"path": "*", "status": 500, "rate": 0.25, "seed": 3})
    dice = random.Random(3)
    assert [bool(book.request_fault("GET", "/x")[1]) for _ in range(20)] == [
        dice.random() < 0.25 for _ in range(20)
    ]


async def test_a_large_upload_to_a_presigned_url_is_refused_past_the_cap():
    app = create_app(max_upload_bytes=1024 * 1024)
    async with client(app) as c:
        urls = (
            await c.post("/api/v1/ACME/files/generate", json={"targetType": "json", "targetEncoding": "gzip"})
        ).json()
        put = urls["putUrl"].replace("http://emulator", "")
        r = await c.put(put, content=b"x" * (2 * 1024 * 1024))
        assert r.status_code == 413 and r.json()["errors"][0]["name"] == "EntityTooLarge"

        async def chunks():  # no Content-Length: streamed, counted as it arrives
            for _ in range(64):
                yield b"y" * 65536

        r = await c.put(put, content=chunks())
        assert r.status_code == 413
        get = urls["getUrl"].replace("http://emulator", "")
        assert (await c.get(get)).status_code == 404  # nothing was stored
        assert (await c.put(put, content=b"z" * 1000)).status_code == 200
        assert (await c.get(get)).content == b"z" * 1000


def test_an_import_location_or_result_on_another_host_is_never_requested():
    from orgsync.emulator.errors import ApiError
    from orgsync.emulator.service import Emulator

    emu = Emulator()
    for call in (
        lambda: emu.storage.fetch_url("http://169.254.169.254/latest/meta-data/"),
        lambda: emu.storage.deliver("https://intranet.corp.example/upload", b"data"),
    ):
        with pytest.raises(ApiError) as err:
            call()
        assert err.value.status == 400 and "only on loopback hosts" in str(err.value.message)
