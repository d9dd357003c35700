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
