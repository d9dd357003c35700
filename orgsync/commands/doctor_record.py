"""`orgsync doctor --record FILE`: the probes' answers written as a transcript with no secret, value or name."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from orgsync import __version__
from orgsync.api import endpoints as ep
from orgsync.api.answers import LINKS_TYPE
from orgsync.api.http import HttpCore
from orgsync.api.probes import run_probes
from orgsync.api.regions import region_of
from orgsync.api.retry import RetryPolicy
from orgsync.api.target import is_local, open_client
from orgsync.api.transcript import FORMAT, entry
from orgsync.errors import OrgsyncError
from orgsync.manifest.loader import load_project
from orgsync.manifest.models import Project

SEND_TO = "attach it to an issue at the orgsync repository (it holds no token, value or name; read it first)"


def record_transcript(
    root: Path, env: Mapping[str, str] | None, path: Path, *, names: bool, probe_writes: str | None
) -> int:
    """Load the repository and record its tenant's transcript into `path`; the number of probes written."""
    return asyncio.run(record(load_project(root, env), env, path, names=names, probe_writes=probe_writes))


async def record(
    project: Project, env: Mapping[str, str] | None, path: Path, *, names: bool, probe_writes: str | None
) -> int:
    """Run the probes against the project's tenant and write the transcript to `path`; the probes written."""
    client = open_client(project, env, retry=RetryPolicy(attempts=2, base=0.2, cap=1.0))
    async with client:
        core = client.http
        listed = await _listed(core)
        wanted = {m.name for m in project.datasets}
        read = _pick(listed, wanted)
        write = None
        if probe_writes is not None:
            write = next(
                (d for d in listed if d.get(ep.F_NAME) == probe_writes and d.get(ep.F_TYPE) != LINKS_TYPE),
                None,
            )
            if write is None:
                raise OrgsyncError(
                    f"--probe-writes {probe_writes}: the tenant has no dataset of that name",
                    hint="name a dataset (not a links dataset) the token may write to; only `noop` actions are sent",
                )
        answers = await run_probes(
            core,
            str(read[ep.F_DATASET_ID]) if read else None,
            str(write[ep.F_DATASET_ID]) if write else None,
        )
    document: dict[str, Any] = {
        "format": FORMAT,
        "orgsync": __version__,
        "recordedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "target": "local emulator"
        if is_local(project)
        else (region_of(project.config.endpoint) or "other host"),
        "names": names,
        "probeWrites": probe_writes is not None,
        "probes": [entry(a.probe, a.response) for a in answers],
    }
    if names:
        document["datasets"] = {"read": read.get(ep.F_NAME) if read else None, "write": probe_writes}
    try:
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    except OSError as err:
        raise OrgsyncError(f"cannot write the transcript to {path}: {err.strerror}") from None
    return len(answers)


async def _listed(core: HttpCore) -> list[dict[str, Any]]:
    try:
        data = await core.send_json("GET", ep.DATASETS, retry_safe=True)
    except OrgsyncError:
        return []
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


def _pick(listed: list[dict[str, Any]], wanted: set[str]) -> dict[str, Any] | None:
    """The dataset the read probes use: one a manifest manages, else the first listed (never a links dataset)."""
    plain = [d for d in listed if d.get(ep.F_TYPE) != LINKS_TYPE and d.get(ep.F_DATASET_ID)]
    return next((d for d in plain if d.get(ep.F_NAME) in wanted), plain[0] if plain else None)
