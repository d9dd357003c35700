"""Which datasets a links dataset links: the ends the manifest asks for against the ends the tenant has.

The API fixes `fromDatasetId` / `toDatasetId` when a links dataset is created and offers no way to re-point
or delete one, so an existing links dataset whose ends differ from its manifest cannot be planned: the
plan stops with an error that says what the tenant has and what to do. So does an end that is neither
declared here nor in the tenant. Pure: reads only the `LiveState` (whose `ends` state/ read from the API).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from orgsync.errors import Problem
from orgsync.manifest.models import LinksDatasetManifest
from orgsync.plan.model import KNOWN_AFTER_APPLY
from orgsync.state.snapshot import LiveDataset, LiveState

# The plan's config fields for the ends of a links dataset to create (the API's names, shown in the plan).
FROM_FIELD = "fromDatasetId"
TO_FIELD = "toDatasetId"
# (config field of the plan, manifest field), in the order of `LiveDataset.ends`
_ENDS = ((FROM_FIELD, "from"), (TO_FIELD, "to"))


@dataclass(frozen=True)
class EndsCheck:
    """The ends a links dataset should have (id, or known after apply), and what stands in the way."""

    ends: dict[str, str]  # plan config field -> dataset id or KNOWN_AFTER_APPLY (only the ends that resolved)
    problems: list[Problem]
    warnings: list[str]


def live_ends_by_field(dataset: LiveDataset) -> dict[str, str | None]:
    """The dataset ids a live links dataset links, by plan config field; None where the resource is silent."""
    return {field: end for (field, _), end in zip(_ENDS, dataset.ends, strict=True)}


def check_link_ends(
    manifest: LinksDatasetManifest,
    current: LiveDataset | None,
    live: LiveState,
    matched: Mapping[str, LiveDataset | None],
) -> EndsCheck:
    """Resolve the manifest's `from` / `to` and, for an existing links dataset, compare them with its live ends.

    `matched` maps every manifest name to its live dataset (None: it will be created by this plan).
    """
    wanted: dict[str, str] = {}
    problems: list[Problem] = []
    for field, name_field in _ENDS:
        name = manifest.from_ if name_field == "from" else manifest.to
        resolved = _resolve(manifest, name_field, name, live, matched)
        if isinstance(resolved, Problem):
            problems.append(resolved)
        else:
            wanted[field] = resolved
    warnings: list[str] = []
    if current is not None:
        actual = live_ends_by_field(current)
        if not any(actual.values()):
            warnings.append(
                "the tenant does not report which datasets this links dataset links; orgsync could "
                f"not check that they are {manifest.from_} → {manifest.to}"
            )
        elif not problems and any(actual[f] and actual[f] != wanted[f] for f in wanted):
            problems.append(_moved(manifest, current, actual, wanted, live))
        elif problems:
            problems = [_with_live(p, current, actual, live) for p in problems]
    return EndsCheck(wanted, problems, warnings)


def _resolve(
    manifest: LinksDatasetManifest,
    name_field: str,
    name: str,
    live: LiveState,
    matched: Mapping[str, LiveDataset | None],
) -> str | Problem:
    """The id of the dataset `name`: managed here (or known after apply), else the one in the tenant."""
    if name in matched:
        dataset = matched[name]
        return dataset.dataset_id if dataset else KNOWN_AFTER_APPLY
    found = live.find(name)
    where = manifest.locate(name_field)
    if not found:
        return Problem(
            where,
            f"{name_field} dataset {name!r} is neither declared by a manifest here nor in tenant "
            f"{live.tenant}; declare it with a manifest, or correct the name",
            name_field,
        )
    if len(found) > 1:
        ids = ", ".join(d.dataset_id for d in found)
        return Problem(
            where,
            f"{name_field} dataset {name!r} is not declared here and tenant {live.tenant} has "
            f"{len(found)} datasets with that name ({ids}); declare it with a manifest that pins "
            "the intended one with `datasetId:`",
            name_field,
        )
    return found[0].dataset_id


def _moved(
    manifest: LinksDatasetManifest,
    current: LiveDataset,
    actual: dict[str, str | None],
    wanted: dict[str, str],
    live: LiveState,
) -> Problem:
    """An existing links dataset whose ends differ from the manifest: say both, why, and the two ways out."""
    field = next(f for f in wanted if actual[f] and actual[f] != wanted[f])
    name_field = "from" if field == FROM_FIELD else "to"
    return Problem(
        manifest.locate(name_field),
        f"links dataset {manifest.name!r} ({current.dataset_id}) in tenant {live.tenant} links "
        f"{_ends_text(actual, live)}, but the manifest says {manifest.from_} → {manifest.to}; the API cannot change "
        "the datasets of an existing links dataset (fromDatasetId and toDatasetId are fixed when it is created). "
        "Either set `from:` / `to:` back to what the tenant has, or give this manifest a new `name:` so that apply "
        f"creates a new links dataset {manifest.from_} → {manifest.to}, then remove {manifest.name!r} in Orgvue by "
        "hand (orgsync never deletes datasets)",
        name_field,
    )


def _with_live(
    problem: Problem, current: LiveDataset, actual: dict[str, str | None], live: LiveState
) -> Problem:
    """A missing end of an existing links dataset: add what it links now (often the dataset was renamed)."""
    return Problem(
        problem.location,
        f"{problem.message} (links dataset {current.dataset_id} links {_ends_text(actual, live)} now)",
        problem.field,
        problem.severity,
    )


def _ends_text(actual: dict[str, str | None], live: LiveState) -> str:
    return " → ".join(_dataset_text(actual[f], live) for f, _ in _ENDS)


def _dataset_text(dataset_id: str | None, live: LiveState) -> str:
    """`People (DS-1)`, or what is known of an id the tenant no longer lists."""
    if dataset_id is None:
        return "(not reported)"
    found = live.find("", dataset_id)
    return f"{found[0].name} ({dataset_id})" if found else f"a dataset that no longer exists ({dataset_id})"
