"""Which datasets a live links dataset links, read from its resource (the API's field names stay in state/)."""

from __future__ import annotations

from typing import Any

from orgsync.api import endpoints as ep

LinkEnds = tuple[str | None, str | None]  # (from, to) dataset ids; None where the resource is silent


def live_link_ends(resource: dict[str, Any]) -> LinkEnds:
    """The (from, to) dataset ids of a links dataset resource.

    Read from the links dataset's own `linkingRelationships` entry (documented), else its
    `fromDatasetId` / `toDatasetId` fields (which still name an end that has since been deleted).
    """
    dataset_id = resource.get(ep.F_DATASET_ID)
    own: dict[str, Any] = next(
        (
            r
            for r in resource.get(ep.F_LINKING_RELATIONSHIPS) or []
            if isinstance(r, dict) and r.get(ep.F_DATASET_ID) == dataset_id
        ),
        {},
    )

    def end(role: str, live_field: str) -> str | None:
        found = own.get(role)
        value = (found.get(ep.F_DATASET_ID) if isinstance(found, dict) else None) or resource.get(live_field)
        return str(value) if value else None

    return end(ep.F_REL_SOURCE, ep.F_FROM_DATASET_ID), end(ep.F_REL_TARGET, ep.F_TO_DATASET_ID)
