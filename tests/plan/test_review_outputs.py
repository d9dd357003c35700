"""The reviewer's outputs for a known reorg (golden comment, JSON) and for plans of any size (one comment)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import orjson
import polars as pl

from orgsync.commands.show import run_show
from orgsync.plan.render import json as json_render
from orgsync.plan.render import markdown, text
from orgsync.plan.render.markdown import COMMENT_LIMIT
from orgsync.plan.saved import load_saved, save
from tests.plan.reorg import (
    HOSTILE,
    SALARIES,
    after_rows,
    big_plan,
    first_load_plan,
    mermaid_blocks,
    reorg_plan,
)

GOLDEN = Path(__file__).parent / "golden" / "reorg_comment.md"
NODE = re.compile(r"^  (n\d+|more)[\[(]", re.MULTILINE)


def test_the_comment_of_a_known_reorg_is_the_golden_file() -> None:
    assert markdown.render(reorg_plan()) == GOLDEN.read_text(encoding="utf-8")


def test_a_saved_plan_renders_the_same_review(tmp_path: Path) -> None:
    plan = reorg_plan()
    save(plan, tmp_path / "plan.json")
    assert markdown.render(load_saved(tmp_path / "plan.json")) == markdown.render(plan)


def test_the_json_plan_has_moves_spans_layers_and_counts() -> None:
    doc = orjson.loads(json_render.render(reorg_plan()))
    assert doc["format_version"] == "1.1"
    people = doc["resources"][0]
    subtrees = people["moves"]["subtrees"]
    assert subtrees["total"] == 3 and subtrees["omitted"] == 0
    assert subtrees["rows"][0] == {
        "id": "mira",
        "label": "Mira Moved",
        "old_parent": "alice",
        "old_parent_label": "Alice Oldboss",
        "new_parent": "carl",
        "new_parent_label": "Carl Newboss",
        "size": 3,
        "moved": 2,
    }
    assert {r["id"]: r["rollup"] for r in people["moves"]["items"]["rows"]} == {
        "mira": "mira",
        "al": "mira",
        "bob": "bob",
        "zed": "zed",
    }
    spans = {r["id"]: (r["before"], r["after"], r["status"]) for r in people["spans"]["rows"]}
    assert spans == {
        "alice": (4, 3, ""),
        "bo": (0, 1, "becomes a manager"),
        "carl": (1, 2, ""),
        "mira": (2, 1, ""),
    }
    assert people["layers"] == {"before": 4, "after": 5}
    assert people["orphans"] == {"rows": [], "total": 0, "omitted": 0, "before": 0}
    assert people["property_counts"] == [
        {"key": "manager", "changed": 4, "filled": 0, "cleared": 0, "sensitive": False},
        {"key": "location", "changed": 1, "filled": 8, "cleared": 0, "sensitive": False},
        {"key": "salary", "changed": 2, "filled": 0, "cleared": 0, "sensitive": True},
    ]
    limited = orjson.loads(json_render.render(reorg_plan(), list_limit=1))["resources"][0]
    assert limited["moves"]["subtrees"]["omitted"] == 2 and len(limited["spans"]["rows"]) == 1


def test_no_sensitive_value_in_any_review_output(tmp_path: Path) -> None:
    plan = reorg_plan()
    save(plan, tmp_path / "plan.json")
    outputs = [
        markdown.render(plan, show_values=True),
        markdown.render(plan),
        json_render.render(plan, show_all=True),
        (tmp_path / "plan.json").read_text(),
    ]
    for out in outputs:
        assert not [s for s in (*SALARIES, "88888") if s in out]


def test_values_only_with_show_values() -> None:
    plain, shown = markdown.render(reorg_plan()), markdown.render(reorg_plan(), show_values=True)
    assert "(empty) → Paris" not in plain
    assert "- Al (al): (empty) → Paris" in shown
    assert (
        "- Bob (bob): (sensitive)" not in shown and "- Bob (bob)\n" in shown
    )  # a raise: who, never how much


def test_hostile_labels_stay_text_in_the_comment_and_the_chart() -> None:
    out = markdown.render(reorg_plan())
    assert HOSTILE not in out and "<img" not in out and "@team" not in out and "<!--" not in out
    (block,) = mermaid_blocks(out)
    assert '"]) -->' not in block and "<img" not in block and "[link]" not in block
    assert len(NODE.findall(block)) == 5


def test_a_50000_person_plan_with_2500_moves_is_one_comment_with_at_most_200_chart_nodes() -> None:
    plan = big_plan(50_000, 2_500)
    h = plan.resources[0].review.hierarchy  # type: ignore[union-attr]
    assert h is not None and h.moves.height == 2_500
    out = markdown.render(plan)
    assert len(out) <= COMMENT_LIMIT
    (block,) = mermaid_blocks(out)
    nodes = NODE.findall(block)
    assert len(nodes) <= 200 and nodes[-1] == "more"
    assert "more (see the report)" in out


def test_any_plan_fits_one_comment_even_with_huge_hostile_labels() -> None:
    plan = big_plan(3_000, 600)
    people = plan.resources[0]
    # every label the longest, most escaped text there is: each character becomes an entity in the comment
    long_label = "|" * 5_000
    review = people.review
    assert review is not None and review.hierarchy is not None
    h = review.hierarchy
    hostile = type(h)(
        h.tree_id,
        h.tree_parent,
        h.moves.with_columns(pl.lit(long_label).alias("label")),
        h.rollups.with_columns(
            pl.lit(long_label).alias("label"), pl.lit(long_label).alias("new_parent_label")
        ),
        h.spans.with_columns(pl.lit(long_label).alias("label")),
        h.orphans,
        h.layers_before,
        h.layers_after,
        h.orphans_before,
        h.cycles,
    )
    many = [
        people.model_copy(
            update={
                "address": f"dataset.{long_label[:200]}{i}",
                "review": type(review)(review.label, review.properties, hostile),
            }
        )
        for i in range(40)
    ]
    out = markdown.render(plan.model_copy(update={"resources": many}))
    assert len(out) <= COMMENT_LIMIT
    assert "see the report" in out


def test_the_text_plan_shows_the_moves_and_spans_too() -> None:
    out = text.render(reorg_plan())
    assert (
        "        ↳ Mira Moved (mira) and 2 below (3 people): Alice Oldboss (alice) → Carl Newboss (carl)\n"
        in out
    )
    assert "            ↳ Al (al): Mira Moved (mira) → Bo (bo)\n" in out
    assert "        ↳ Bo (bo): 0 → 1 direct reports (becomes a manager)\n" in out
    assert "      layers: 4 → 5\n" in out


def test_show_renders_a_saved_plan_as_the_html_report(tmp_path: Path) -> None:
    save(reorg_plan(), tmp_path / "plan.json")
    out = io.StringIO()
    assert run_show(tmp_path / "plan.json", "html", stdout=out) == 0
    report = out.getvalue()
    assert report.startswith("<!DOCTYPE html>") and 'data-key="mira"' in report
    assert "and 2 below (3 people)" in report and "&lt;img src=x&gt;" in report and "<img" not in report
    assert not [s for s in (*SALARIES, "88888") if s in report]


def test_list_limit_0_names_no_item_for_the_sync_and_drift_issues() -> None:
    out = markdown.render(reorg_plan(), list_limit=0)
    assert "**4 moves**" in out and "**Span of control** (4 managers" in out and "**Layers:** 4 → 5" in out
    assert "```mermaid" not in out and not [n for n in ("Mira", "Alice", "mira", "Nina", "Eve") if n in out]


def test_a_first_load_lists_its_spans_widest_first() -> None:
    # after the reorg: Alice has Dee, Zed and Nina; Carl has Mira and Bob; Boss has Alice and Carl; Mira has Bo
    out = markdown.render(first_load_plan())
    assert "**Span of control** (5 managers, all new, widest first):" in out
    spans = re.findall(r"^- (.*): 0 → (\d) direct reports$", out, re.MULTILINE)
    assert [(who.split(" (")[0], int(n)) for who, n in spans] == [
        ("Alice Oldboss", 3),
        ("Boss Lady", 2),
        ("Carl Newboss", 2),
        ("Bo", 1),
        ("Mira Moved", 1),
    ]
    assert "      span of control, widest first (5):\n        ↳ Alice Oldboss (alice): 0 → 3" in text.render(
        first_load_plan()
    )


def test_a_first_loads_review_holds_no_sensitive_value_and_keeps_a_hostile_manager_as_text(
    tmp_path: Path,
) -> None:
    # Zed (the hostile label) manages Yan, so the hostile label is in the span list, listed widest first
    plan = first_load_plan([*after_rows(), ("yan", "Yan", "zed", "Paris", "77777")])
    save(plan, tmp_path / "plan.json")
    html = io.StringIO()
    assert run_show(tmp_path / "plan.json", "html", stdout=html) == 0
    comment = markdown.render(plan)
    outputs = [
        comment,
        markdown.render(plan, show_values=True),
        text.render(plan),
        json_render.render(plan, show_all=True),
        (tmp_path / "plan.json").read_text(),
        html.getvalue(),
    ]
    for out in outputs:
        assert not [s for s in (*SALARIES, "88888", "77777") if s in out]
    assert "(zed): 0 → 1 direct reports" in comment and "(zed): 0 → 1 direct reports" in text.render(plan)
    assert (
        HOSTILE not in comment and "<img" not in comment and "@team" not in comment and "<!--" not in comment
    )
    assert "&lt;img src=x&gt;" in html.getvalue() and "<img" not in html.getvalue()
