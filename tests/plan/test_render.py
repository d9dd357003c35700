"""Renderers: exact text lines, the JSON contract, markdown without values, sensitive masking everywhere."""

from __future__ import annotations

import orjson
import pytest

from orgsync.plan.builder import build_plan
from orgsync.plan.render import json as json_render
from orgsync.plan.render import markdown, text
from orgsync.plan.render.markdown import cell
from tests.support.plan_factories import (
    SECRET_AFTER,
    SECRET_BEFORE,
    SECRET_NEW,
    dataset,
    live,
    live_dataset,
    live_people,
    people_rows,
    project,
    sample_plan,
    table,
)

SECRETS = (SECRET_BEFORE, SECRET_AFTER, SECRET_NEW)


def test_text_lists_every_change_with_before_after_and_the_block():
    out = text.render(sample := _plan())
    lines = out.splitlines()
    assert lines[0] == "Target: local (embedded emulator) · tenant ACME"
    for expected in [
        "  ~ dataset.People  (update, destructive; DS-1)",
        "      ~ tags: [] → [hr]",
        "      items: 1 to create, 2 to update, 3 to delete (of 20 existing)",
        "        + id=E100  name=Newbie  salary=(sensitive)",
        "        ~ id=E000  name: Person 0 → New|name <b>",
        "        ~ id=E001  salary: (sensitive) → (sensitive)",
        "        - id=E019",
        "  + links.Reports  (create, additive; id known after apply)",
        "      fromDatasetId = DS-1",
        "Datasets in the tenant that no manifest manages (left alone): Legacy (PEOPLE)",
        "Plan: 1 datasets to create, 1 to update · items: 2 to create, 2 to update, 3 to delete.",
        "Blocked by the safety policy:",
        "  - dataset.People: 3 item deletes are 15 % of 20 existing items, above maxDeletePercent 10 %",
    ]:
        assert expected in lines
    assert lines[-1].startswith(
        "To go ahead: review the changes; if they are intended, rerun with --allow-destructive"
    )
    assert "\x1b[" not in out and sample.blocked


def test_text_colour_only_when_asked():
    assert "\x1b[" in text.render(_plan(), color=True)


def test_long_item_lists_are_summarised_unless_show_all():
    rows = people_rows(25)
    plan = build_plan(project(dataset()), {"People": table("People", ["id", "name"], rows)}, live())
    short = text.render(plan)
    assert short.count("        + id=") == 10
    assert "        … and 15 more to create (--show-all lists every one)" in short.splitlines()
    assert text.render(plan, show_all=True).count("        + id=") == 25


def test_no_changes_says_so():
    rows = people_rows(3)
    state = live(live_dataset(), items={"DS-1": live_people(rows)})
    plan = build_plan(
        project(dataset()), {"People": table("People", ["id", "name", "salary", "manager"], rows)}, state
    )
    assert "No changes. The tenant matches the manifests and sources." in text.render(plan)
    assert "No changes." in markdown.render(plan)


def test_json_contract_summary_and_one_entry_per_resource():
    doc = orjson.loads(json_render.render(_plan()))
    assert doc["format_version"] == "1.1"
    assert doc["summary"]["datasets"] == {"create": 1, "update": 1, "delete": 0, "no-op": 0}
    assert doc["summary"]["items"] == {"create": 2, "update": 2, "delete": 3}
    assert [(r["address"], r["action"], r["class"], r["counts"]) for r in doc["resources"]] == [
        ("dataset.People", "update", "destructive", {"create": 1, "update": 2, "delete": 3, "existing": 20}),
        ("links.Reports", "create", "additive", {"create": 1, "update": 0, "delete": 0, "existing": 0}),
    ]
    people = doc["resources"][0]
    assert people["items"]["updates"][0] == {
        "key": {"id": "E000"},
        "changes": {"name": {"before": "Person 0", "after": "New|name <b>"}},
    }
    assert people["items"]["updates"][1]["changes"] == {
        "salary": {"before": "(sensitive)", "after": "(sensitive)"}
    }
    assert doc["blocked"] is True and doc["blocking_reasons"] == people["blocked"]
    assert doc["resources"][1]["dataset_id"] is None and doc["resources"][1]["depends_on"] == [
        "dataset.People"
    ]


def test_markdown_shows_keys_and_labels_but_no_other_value_unless_asked_and_escapes_them():
    plain = markdown.render(_plan())
    assert "- Newbie (E100)" in plain and "- New&#124;name &lt;b&gt; (E000)" in plain  # key and label
    assert "Person 0" not in plain  # a value before the change
    assert "| ~ | <code>dataset.People</code> | update | destructive | 1 | 2 | 3 | 20 |" in plain
    assert "> [!CAUTION]" in plain
    shown = markdown.render(_plan(), show_values=True)
    assert "| E000 | name: Person 0 → New&#124;name &lt;b&gt; |" in shown
    assert "| E100 | Newbie | (sensitive) | (none) |" in shown


def test_markdown_cells_cannot_break_tables_or_mention_people():
    assert cell("a|b\n<script>@team `x`") == "a&#124;b&#92;n&lt;script&gt;&#64;\u200dteam &#96;x&#96;"


@pytest.mark.parametrize(
    "render",
    [
        lambda p: text.render(p, show_all=True),
        lambda p: json_render.render(p, show_all=True),
        lambda p: markdown.render(p, show_all=True, show_values=True),
    ],
)
def test_sensitive_values_never_appear(render):
    out = render(_plan())
    assert "(sensitive)" in out
    assert not [s for s in SECRETS if s in out]


def _plan():
    return sample_plan()


def _formula_plan():
    from orgsync.plan.model import Action, ChangeClass, Plan, PropertyChange, ResourcePlan

    bonus = {"key": "bonus", "name": "Bonus", "type": "number", "onDemand": True, "formula": "salary * 0.1"}
    changes = [
        PropertyChange(
            key="bonus",
            action=Action.UPDATE,
            before=bonus,
            after={**bonus, "formula": "salary * 0.2"},
            change_class=ChangeClass.UPDATE,
        ),
        PropertyChange(
            key="tax",
            action=Action.CREATE,
            after={**bonus, "key": "tax", "name": "Tax", "formula": "salary * 0.3"},
            change_class=ChangeClass.ADDITIVE,
        ),
    ]
    res = ResourcePlan(
        address="dataset.People",
        kind="Dataset",
        name="People",
        action=Action.UPDATE,
        change_class=ChangeClass.UPDATE,
        dataset_id="DS-1",
        property_changes=changes,
    )
    return Plan(
        orgsync_version="0",
        target="local",
        tenant="ACME",
        created_at="2026-01-01T00:00:00Z",
        source_checksum="0" * 64,
        resources=[res],
    )


def test_a_formula_change_is_shown_before_and_after():
    lines = text.render(_formula_plan()).splitlines()
    assert "      ~ property bonus: formula salary * 0.1 → salary * 0.2" in lines
    assert "      + property tax (Tax, number, on-demand: salary * 0.3)" in lines
    md = markdown.render(_formula_plan())
    assert (
        "- ~ property <code>bonus</code>: formula salary &#42; 0.1 → salary &#42; 0.2" in md.splitlines()
    )  # * escaped
    assert "- + property <code>tax</code>: new (Tax, number, on-demand: salary &#42; 0.3)" in md.splitlines()


def test_deletes_are_listed_by_key_whatever_the_tenant_order():
    live_rows = people_rows(20)
    shuffled = [live_rows[i] for i in (19, 3, 17, 0, 18, *range(1, 3), *range(4, 17))]
    state = live(live_dataset(), items={"DS-1": live_people(shuffled)})
    tables = {"People": table("People", ["id", "name", "salary", "manager"], live_rows[:17])}
    plan = build_plan(project(dataset(mode="mirror")), tables, state)
    lines = text.render(plan).splitlines()
    at = lines.index("      items: 0 to create, 0 to update, 3 to delete (of 20 existing)")
    assert lines[at + 1 : at + 4] == ["        - id=E017", "        - id=E018", "        - id=E019"]
