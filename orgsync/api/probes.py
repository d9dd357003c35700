"""The probes of `orgsync doctor --record` (and `orgsync emulator --compare`): calls whose answers settle what the
pages leave open, each kept raw, whatever its status.

Read probes: the dataset list, one dataset, a small async export (key column only) with its poll and result, and a
temporary file (its answer's field names). Write probes (`--probe-writes DATASET`, opt in): the temporary file's
round trip (upload, read back, async import of one `noop` action, its poll and result), one sync `noop` action, and
three harmless error probes whose statuses no page gives: a GET without Content-Type, a repeated query parameter,
a non-UUID id. A `noop` changes nothing (D/items/general-usage/).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from orgsync.api import endpoints as ep
from orgsync.api import files
from orgsync.api.http import HttpCore
from orgsync.errors import OrgsyncError

NOOP = [{"_action": "noop", "_id": "00000000-0000-4000-8000-000000000000"}]  # names no existing item
POLL_SECONDS = 120.0


@dataclass(frozen=True)
class Answer:
    probe: str
    response: httpx.Response


async def run_probes(core: HttpCore, dataset_id: str | None, write_dataset_id: str | None) -> list[Answer]:
    """Every probe in order; a probe that cannot run (no dataset, a refused step before it) is left out."""
    out: list[Answer] = []

    async def take(probe: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await core.probe(method, url, **kwargs)
        except (httpx.HTTPError, OrgsyncError) as err:  # no answer (or too large): kept as a request error
            response = httpx.Response(
                599, request=httpx.Request(method, core.url(url)), text=type(err).__name__
            )
        out.append(Answer(probe, response))
        return response

    await take("datasets.list", "GET", ep.DATASETS)
    if dataset_id:
        retrieved = await take("dataset.retrieve", "GET", ep.path(ep.DATASET, id=dataset_id))
        key = _json(retrieved).get("autoId") if retrieved.is_success else None
        started = await take(
            "export.start",
            "POST",
            ep.path(ep.DATASET_EXPORT, id=dataset_id),
            json=ep.export_body([str(key)] if key else None),
            params=list(ep.export_params("csv", gzip=True).items()),
        )
        await _follow_job(core, out, "export", started)
    generated = await take(
        "file.generate", "POST", ep.TEMPORARY_FILE, json=ep.temporary_file_body("json", gzip=True)
    )
    if not write_dataset_id:
        return out
    try:
        temp = files.temporary_from_answer(core, generated) if generated.is_success else None
    except OrgsyncError:
        temp = None
    if temp is not None:
        await take(
            "file.upload",
            "PUT",
            temp.put_url,
            content=files.gzip_bytes(orjson.dumps(NOOP)),
            headers={"Content-Type": "application/gzip"},
        )
        await take("file.read", "GET", temp.get_url)
        started = await take(
            "import.start",
            ep.IMPORT_METHOD,
            ep.path(ep.DATASET_ITEMS_IMPORT, id=write_dataset_id),
            json=ep.import_body(temp.get_url),
        )
        await _follow_job(core, out, "import", started)
    items = ep.path(ep.DATASET_ITEMS, id=write_dataset_id)
    await take("items.noop", "PUT", items, json=NOOP)
    await take("error.no-content-type", "GET", ep.DATASETS, content_type=False)
    repeated = [("dateFormat", "YYYY-MM-DD"), ("dateFormat", "YYYY-MM-DD")]
    await take("error.repeated-parameter", "PUT", items, json=NOOP, params=repeated)
    await take("error.non-uuid", "GET", ep.path(ep.DATASET, id="not-a-uuid"))
    return out


async def _follow_job(core: HttpCore, out: list[Answer], kind: str, started: httpx.Response) -> None:
    """Poll a started job to its end (kept: the last poll) and fetch its result (kept too)."""
    ticket = _json(started)
    url = core.link(ticket, ep.LINK_SELF)
    if not started.is_success or not url:
        return
    deadline, last = time.monotonic() + POLL_SECONDS, None
    wait = 0.2
    while time.monotonic() < deadline:
        last = await core.probe("GET", url)
        status = _json(last).get(ep.F_JOB_STATUS)
        if not last.is_success or status in (ep.JOB_COMPLETED, ep.JOB_FAILED):
            break
        await asyncio.sleep(wait)
        wait = min(2.0, wait * 1.6)
    if last is None:
        return
    out.append(Answer(f"{kind}.poll", last))
    result = core.link(_json(last), ep.LINK_RESULT)
    if result:
        try:
            out.append(Answer(f"{kind}.result", await core.probe("GET", result)))
        except (httpx.HTTPError, OrgsyncError):
            pass  # a result too large to keep in memory says nothing the other probes do not


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}
