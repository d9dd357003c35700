"""Which live dataset a manifest manages: by its pinned `datasetId`, its name, or a name it was `renamedFrom`.

One rule for the live reader and the planner, so both read and plan the same dataset. A name is a dataset's
identity, so a rename is declared (`renamedFrom: [old names]`) and matched here: the plan then PATCHes the
name once, and after that the new name matches. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orgsync.errors import Problem
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest
from orgsync.state.snapshot import LiveDataset

Manifest = DatasetManifest | LinksDatasetManifest


@dataclass(frozen=True)
class Match:
    """The live dataset a manifest manages (None: it does not exist yet), or the problem that stops the plan."""

    dataset: LiveDataset | None = None
    problem: Problem | None = None
    hint: str | None = None


def match_manifest(manifest: Manifest, datasets: Sequence[LiveDataset], tenant: str) -> Match:
    """The live dataset of `manifest` among `datasets` (pin, then name, then `renamedFrom`), or a problem."""
    where = manifest.origin
    if manifest.datasetId:
        pinned = [d for d in datasets if d.dataset_id == manifest.datasetId]
        if not pinned:
            return Match(
                problem=Problem(
                    where,
                    f"datasetId {manifest.datasetId} is not in tenant {tenant}; "
                    "expected the id of an existing dataset",
                    "datasetId",
                ),
                hint="remove datasetId to create the dataset, or copy the id from the tenant",
            )
        return Match(pinned[0])
    found = [d for d in datasets if d.name == manifest.name]
    old = [d for name in manifest.renamedFrom for d in datasets if d.name == name]
    if found and old:
        olds = ", ".join(sorted({repr(d.name) for d in old}))
        return Match(
            problem=Problem(
                where,
                f"renamedFrom: tenant {tenant} has both {manifest.name!r} and "
                f"{olds}; a rename needs the old name only, so orgsync cannot tell which "
                "one this manifest manages",
                "renamedFrom",
            ),
            hint="if the rename already happened, remove `renamedFrom`; otherwise rename or remove one of "
            "them in Orgvue, or pin the one to manage with `datasetId:`",
        )
    candidates = found or old
    if len(candidates) > 1:
        ids = ", ".join(d.dataset_id for d in candidates)
        names = " / ".join(dict.fromkeys(repr(d.name) for d in candidates))
        return Match(
            problem=Problem(
                where,
                f"tenant {tenant} has {len(candidates)} datasets named {names} ({ids}); "
                "orgsync cannot tell which one it manages",
                "name",
            ),
            hint="pin one with `datasetId:` in the manifest (`orgsync plan` names which of them hold "
            "items; the other can be renamed or removed in Orgvue)",
        )
    return Match(candidates[0] if candidates else None)
