"""The checksum a saved plan carries of what it was made from: config, manifests and source files.

Computed from the loaded values (the config and each manifest as JSON, each source file's sha256), so it
is pure, and changes exactly when anything that shapes the plan changes. `apply FILE` recomputes and compares.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from orgsync.manifest.models import Project
from orgsync.sources.table import SourceTable


def source_checksum(project: Project, tables: Mapping[str, SourceTable]) -> str:
    """sha256 (hex) over orgsync.yaml's settings, every manifest in order and every source file's sha256."""
    return checksum_of(project, {name: table.sha256 for name, table in tables.items()})


def checksum_of(project: Project, digests: Mapping[str, str]) -> str:
    """`source_checksum` from the sources' sha256 by manifest name (as `sources.readers.source_digests` gives them unparsed)."""
    digest = hashlib.sha256()
    digest.update(project.config.model_dump_json().encode())
    for manifest in project.manifests:
        digest.update(b"\0manifest\0" + manifest.model_dump_json(by_alias=True).encode())
    for name in sorted(digests):
        digest.update(f"\0source\0{name}\0{digests[name]}".encode())
    return digest.hexdigest()


def input_digests(project: Project, digests: Mapping[str, str]) -> dict[str, str]:
    """A sha256 per input the checksum covers, named as a person finds it: `orgsync.yaml`, each manifest's file
    and name, each source by its dataset. A saved plan keeps these so a stale one can say what changed."""
    parts = {"orgsync.yaml": hashlib.sha256(project.config.model_dump_json().encode()).hexdigest()}
    for manifest in project.manifests:
        where = manifest.manifest_path.name if manifest.manifest_path is not None else "manifest"
        parts[f"{where} ({manifest.name})"] = hashlib.sha256(
            manifest.model_dump_json(by_alias=True).encode()
        ).hexdigest()
    for name in sorted(digests):
        parts[f"the source of {name}"] = digests[name]
    return parts


SOURCE_CHANGE = "(its files, or the rows its database or date-dependent query returns)"


def changed_inputs(recorded: Mapping[str, str], now: Mapping[str, str]) -> list[str]:
    """What differs between two `input_digests`: 'X changed', 'X is new', 'X is gone' (empty when unknown)."""
    if not recorded:
        return []  # a plan saved before 1.1 kept no parts
    changed = [
        f"{k} changed" + (f" {SOURCE_CHANGE}" if k.startswith("the source of ") else "")
        for k in recorded
        if k in now and now[k] != recorded[k]
    ]
    changed += [f"{k} is new" for k in now if k not in recorded]
    changed += [f"{k} is gone" for k in recorded if k not in now]
    return changed
