"""`orgsync emulator --compare FILE`: where the emulator answers otherwise than a recorded transcript.

A transcript from a real tenant (`orgsync doctor --record FILE`) turns into emulator fixes: the same probes are run
against a fresh in-process emulator holding one dataset of the same kind, recorded the same way, and every
difference (status, error codes, notable headers, content type, body field or type) is listed, one line each.
Exit 0 when there is none, 1 when there are (or the file is not a transcript).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, TextIO

import httpx
import orjson

from orgsync.api.client import OrgvueClient
from orgsync.api.probes import run_probes
from orgsync.api.transcript import FORMAT, compare, entry
from orgsync.emulator.app import create_app
from orgsync.errors import ConfigError, ExitCode, Location, Problem

TENANT = "ACME"
TOKEN = "compare-token"
SEED = {
    "name": "People",
    "type": "PEOPLE",
    "autoId": "emp",
    "labelId": "name",
    "properties": [
        {"key": "emp", "type": "text", "isRequired": True},
        {"key": "name", "type": "text", "isRequired": True},
    ],
}
WRITE_PROBES = ("file.upload", "items.noop")
HINT = "pass a file written by `orgsync doctor --record FILE`"


def run_compare(path: Path, *, stdout: TextIO | None = None) -> int:
    """Compare the transcript at `path` with the emulator's answers; print the differences; 0 when none."""
    recorded = load_transcript(path)
    ours = asyncio.run(emulator_transcript(any(p.get("probe") in WRITE_PROBES for p in recorded["probes"])))
    lines = compare(recorded, ours)
    out = stdout or sys.stdout
    if not lines:
        out.write(
            f"The emulator answers every probe of {path.name} the same way ({len(recorded['probes'])} probes).\n"
        )
        return int(ExitCode.OK)
    out.write(f"The emulator answers {len(lines)} thing(s) otherwise than {path.name}:\n")
    out.writelines(f"  {line}\n" for line in lines)
    return int(ExitCode.ERROR)


def load_transcript(path: Path) -> dict[str, Any]:
    """The transcript at `path`, or a ConfigError naming the file (and line) and what was expected."""
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as err:
        raise ConfigError(Problem(Location(path), f"cannot read it ({err.strerror})")) from None
    except orjson.JSONDecodeError as err:
        raise ConfigError(
            Problem(Location(path, err.lineno, err.colno), f"not JSON: {err.msg}"), hint=HINT
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("probes"), list):
        what = f"not an orgsync transcript (expected format {FORMAT!r} and a `probes` list)"
        raise ConfigError(Problem(Location(path), what), hint=HINT)
    return data


async def emulator_transcript(write_probes: bool) -> dict[str, Any]:
    """The probes run against a fresh emulator holding one dataset with one item."""
    transport = httpx.ASGITransport(app=create_app(token=TOKEN))
    async with OrgvueClient("http://emulator", TENANT, TOKEN, transport=transport) as client:
        dataset_id = (await client.create_dataset(SEED)).datasetId
        await client.put_items(
            dataset_id, [{"_action": "create", "emp": "1", "name": "x"}], params={"autoId": True}
        )
        answers = await run_probes(client.http, dataset_id, dataset_id if write_probes else None)
    return {"format": FORMAT, "probes": [entry(a.probe, a.response) for a in answers]}
