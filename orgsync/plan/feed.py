"""The plan without the feed: item changes of datasets fed from outside git left out, said once in a note.

For `drift` (`orgsync plan --skip-feed`): a fed dataset's items differ from the tenant every day until `sync`
applies them, and that is not drift. Its configuration and properties come from the committed manifest, so
their changes stay in the plan.
"""

from __future__ import annotations

from collections.abc import Mapping

from orgsync.plan.model import Action, ChangeClass, Plan, ResourcePlan

NOTE = "Left out as the feed (applied by a sync run, not drift): {names}."


def without_feed(plan: Plan, feed: Mapping[str, str]) -> Plan:
    """`plan` with the item changes of the datasets in `feed` (name -> why) removed, and one note naming
    those whose items differed."""
    resources, left_out = [], []
    for resource in plan.resources:
        if resource.name in feed and resource.items is not None and not resource.items.is_empty:
            left_out.append(f"{resource.name} ({feed[resource.name]})")
            resource = _config_only(resource)
        resources.append(resource)
    if not left_out:
        return plan
    notes = [*plan.notes, NOTE.format(names="; ".join(left_out))]
    return plan.model_copy(update={"resources": resources, "notes": notes})


def _config_only(resource: ResourcePlan) -> ResourcePlan:
    """The resource with no item changes; a no-op when nothing else changes."""
    changed = resource.action != Action.UPDATE or resource.config_changes or resource.property_changes
    if changed:
        return resource.model_copy(update={"items": None})
    return resource.model_copy(
        update={"items": None, "action": Action.NOOP, "change_class": ChangeClass.NONE, "blocked": []}
    )
