"""An API that cannot be reached gives one clean TransportError naming the URL (real sockets, no emulator)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from orgsync.api.client import OrgvueClient
from orgsync.api.retry import RetryPolicy
from orgsync.errors import TransportError

TOKEN = "tok-UNREACHABLE-abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_a_clean_transport_error():
    base = f"http://127.0.0.1:{free_port()}"

    async def main() -> tuple[OrgvueClient, TransportError]:
        client = OrgvueClient(base, "ACME", TOKEN, retry=RetryPolicy(attempts=3, base=0.001, cap=0.002))
        async with client:
            with pytest.raises(TransportError) as info:
                await client.list_datasets()
        return client, info.value

    client, err = asyncio.run(main())
    assert type(err) is TransportError
    assert str(err).startswith(f"cannot reach the Orgvue API at {base}")
    assert "endpoint" in err.hint
    assert client.stats.requests == 3 and client.stats.retries == 2
    assert [r.status for r in client.log] == [None, None, None]
    assert TOKEN not in f"{err} {err!r} {client.log}"
