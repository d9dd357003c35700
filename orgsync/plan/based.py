"""A pull request's plan made over its base (`manifest.base.floor`): the loosenings on top, its own checksum."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from orgsync.manifest.models import Project
from orgsync.plan.builder import select_targets
from orgsync.plan.checksum import source_checksum
from orgsync.plan.model import Plan
from orgsync.sources.table import SourceTable


def over_base(
    plan: Plan, own: Project, tables: Mapping[str, SourceTable], targets: Sequence[str], loosened: list[str]
) -> Plan:
    """`plan` (built from the floored project) saying what the pull request loosens; its checksum is of the
    pull request's own files, so `apply FILE` on exactly those files (after merge) accepts it."""
    selected = select_targets(own, targets)
    wanted = {name: table for name, table in tables.items() if name in selected}
    return plan.model_copy(
        update={"loosened": list(loosened), "source_checksum": source_checksum(own, wanted)}
    )
