"""A job that outlives its presigned status URL (ENDPOINTS.md third edition, row "job polls").

D/working/async/: `$._links.self.url` "will point to a presigned url location where your jobTicket status updates will
arrive"; D/working/security/: presigned URLs "expire after a short period … you must repeat your request". So a poll
goes to storage without the token, and when its URL expires before the job ends: an export is asked for again, an
import (whose outcome cannot be read any more) ends with a message saying what to check, never a bare 403.
"""

from __future__ import annotations

import httpx
import pytest

from orgsync.api.client import OrgvueClient
from orgsync.api.jobs import JobPolling
from orgsync.emulator.app import create_app
from orgsync.errors import PollExpiredError

pytestmark = pytest.mark.anyio

TOKEN = "tok-POLL-7a6b5c4d3e"
T = "ACME"
FAST = JobPolling(first=0.001, factor=1.0, cap=0.001, timeout=30.0)
PEOPLE = {
    "name": "People",
    "type": "PEOPLE",
    "autoId": "emp",
    "labelId": "emp",
    "properties": [{"key": "emp", "type": "text", "isRequired": True}, {"key": "dept", "type": "text"}],
}


class ExpireOnFirstPoll(httpx.AsyncBaseTransport):
    """In front of the emulator: just before the first job poll reaches it, moves its admin clock past the poll
    URL's lifetime (15 minutes), as if the job had run that long. No waiting, no timing."""

    def __init__(self, app: object) -> None:
        self.inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self.app = app
        self.polls: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/_storage/jobs/"):
            if not self.polls:
                self.app.state.emulator.clock_offset += 15 * 60 + 1  # type: ignore[attr-defined]
            self.polls.append(request)
        return await self.inner.handle_async_request(request)


async def _setup(hang: str) -> tuple[OrgvueClient, ExpireOnFirstPoll, str]:
    app = create_app(token=TOKEN)
    transport = ExpireOnFirstPoll(app)
    client = OrgvueClient("http://emulator", T, TOKEN, transport=transport, polling=FAST)
    did = (await client.create_dataset(PEOPLE)).datasetId
    await client.put_items(did, [{"_action": "create", "emp": "E1", "dept": "Eng"}], params={"autoId": True})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://emulator",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as admin:
        # the first job on this path never ends by itself (released when the faults are cleared)
        assert (
            await admin.post("/_emulator/faults", json={"path": hang, "job": "hang", "count": 1})
        ).is_success
    return client, transport, did


async def _clear(client: OrgvueClient, transport: ExpireOnFirstPoll) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=transport.app),  # type: ignore[arg-type]
        base_url="http://emulator",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as admin:
        await admin.delete("/_emulator/faults")
    await client.aclose()


async def test_an_export_whose_poll_url_expired_is_asked_for_again() -> None:
    client, transport, did = await _setup("/export$")
    try:
        csv = await client.export_csv(did, projection=["emp", "dept"])
        assert csv.decode().splitlines() == ["emp,dept", "E1,Eng"]
        exports = [r for r in client.log if r.method == "POST" and r.path.endswith("/export")]
        assert len(exports) == 2  # the first job outlived its status URL: the export was repeated once
        assert [r.status for r in client.log if r.path.startswith("/_storage/")][0] == 403
        assert all("authorization" not in r.headers for r in transport.polls)  # storage never gets the token
    finally:
        await _clear(client, transport)


async def test_an_import_whose_poll_url_expired_says_what_to_check() -> None:
    client, transport, did = await _setup("/items/import$")
    try:
        with pytest.raises(PollExpiredError) as caught:
            await client.import_items(
                did, [{"_action": "update", "emp": "E1", "dept": "Ops"}], params={"autoId": True}
            )
        err = caught.value
        text = f"{err} {err.hint}"
        assert (
            f"the import into dataset {did} outlived its status URL, so whether it completed is unknown"
            in text
        )
        assert "403 from the storage host: presigned URLs expire" in text
        assert "run `orgsync plan`" in text and "items.lastTransactionId" in text
        assert err.trace_id and err.trace_id.startswith("Root=1-")  # the job's, for Orgvue support
        assert "repeat the request" not in text  # an import is not repeated blindly: its outcome is unknown
        assert TOKEN not in text and "sig=" not in text
        imports = [r for r in client.log if r.path.endswith("/items/import")]
        assert len(imports) == 1  # never repeated blindly: its outcome is unknown
        assert all("authorization" not in r.headers for r in transport.polls)
    finally:
        await _clear(client, transport)
