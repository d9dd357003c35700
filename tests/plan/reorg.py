"""A known reorg for the reviewer's outputs (golden comment, JSON, HTML): one plan built by the real builder.

People (treeId id, treeParentId manager, labelId name, salary sensitive). Before: Boss over Alice Oldboss and
Carl Newboss; Alice has Mira (over Al and Bo), Bob, Dee and Eve; Carl has Zed (a hostile name). The reorg moves
Mira (with Al and Bo) and Bob to Carl and Zed to Alice, moves Al under Bo inside Mira's team, fills `location`,
raises 2 salaries, deletes Eve and hires Nina under Alice.
Also `big_plan` (a 7-ary tree of any size with some people moved) and `mermaid_blocks`, for the size tests.
"""

from __future__ import annotations

import random
import re

import polars as pl

from orgsync.plan.builder import build_plan
from orgsync.plan.model import Plan
from tests.support.plan_factories import dataset, frame, live, live_dataset, project, table

PROPS = [
    {"key": "id", "name": "ID", "type": "text"},
    {"key": "name", "name": "Name", "type": "text"},
    {"key": "manager", "name": "Manager", "type": "text"},
    {"key": "location", "name": "Location", "type": "text"},
    {"key": "salary", "name": "Salary", "type": "number", "sensitive": True},
]
SALARIES = ("91827", "82736", "73645")  # sensitive: in no output
HOSTILE = 'Zed "]) --> x[<img src=x>] @team [link](http://e.vil) ``` <!--'
BEFORE = [  # id, name, manager, location, salary
    ("boss", "Boss Lady", None, None, "1"),
    ("alice", "Alice Oldboss", "boss", None, "1"),
    ("carl", "Carl Newboss", "boss", None, "1"),
    ("mira", "Mira Moved", "alice", None, SALARIES[0]),
    ("al", "Al", "mira", None, "1"),
    ("bo", "Bo", "mira", None, "1"),
    ("bob", "Bob", "alice", None, SALARIES[1]),
    ("dee", "Dee", "alice", None, "1"),
    ("eve", "Eve Leaving", "alice", None, "1"),
    ("zed", HOSTILE, "carl", "Paris", "1"),
]
MOVES = {"mira": "carl", "bob": "carl", "al": "bo", "zed": "alice"}
RAISES = {"mira": SALARIES[2], "bob": "88888"}


def after_rows() -> list[tuple[str, str, str | None, str | None, str]]:
    rows = [
        (i, n, MOVES.get(i, m), "Lyon" if i == "zed" else "Paris", RAISES.get(i, s))
        for i, n, m, _, s in BEFORE
        if i != "eve"
    ]
    return [*rows, ("nina", "Nina New", "alice", "Paris", "1")]


def reorg_plan() -> Plan:
    manifest = dataset(
        mode="mirror", props=PROPS, treeId="id", treeParentId="manager", safety={"maxDeletePercent": 50}
    )
    state = live(
        live_dataset(props=PROPS, treeId="id", treeParentId="manager"),
        items={
            "DS-1": frame(
                ["id", "name", "manager", "location", "salary", "_id"], [(*r, f"u-{r[0]}") for r in BEFORE]
            )
        },
    )
    tables = {"People": table("People", ["id", "name", "manager", "location", "salary"], after_rows())}
    return build_plan(project(manifest), tables, state)


def mermaid_blocks(text: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", text, re.DOTALL)


def big_plan(people: int, moved: int, seed: int = 7) -> Plan:
    """`people` in a 7-ary tree; `moved` of them get a new manager with a smaller number (never one below them)."""
    rng = random.Random(seed)
    ids = [f"P{i:06d}" for i in range(people)]
    managers = [None] + [ids[(i - 1) // 7] for i in range(1, people)]
    after = list(managers)
    for i in rng.sample(range(2, people), moved):
        choice = rng.randrange(0, i - 1)
        after[i] = ids[choice if ids[choice] != managers[i] else i - 1]
    live_frame = pl.DataFrame(
        {
            "id": ids,
            "name": [f"Person {i}" for i in range(people)],
            "manager": managers,
            "location": [None] * people,
            "salary": ["1"] * people,
            "_id": [f"u{i}" for i in range(people)],
        },
        schema={c: pl.Utf8 for c in ("id", "name", "manager", "location", "salary", "_id")},
    )
    source = live_frame.drop("_id").with_columns(pl.Series("manager", after, dtype=pl.Utf8))
    manifest = dataset(mode="mirror", props=PROPS, treeId="id", treeParentId="manager")
    state = live(live_dataset(props=PROPS, treeId="id", treeParentId="manager"), items={"DS-1": live_frame})
    tab = table("People", ["id"], [])
    tab = type(tab)(
        tab.name, tab.path, source, ["id"], ["name", "manager", "location", "salary"], tab.types, tab.sha256
    )
    return build_plan(project(manifest), {"People": tab}, state)


def first_load_plan(rows: list[tuple[str, str, str | None, str | None, str]] | None = None) -> Plan:
    """`rows` (default: the people after the reorg) loaded into an empty dataset: every span is new."""
    manifest = dataset(mode="mirror", props=PROPS, treeId="id", treeParentId="manager")
    empty = pl.DataFrame(schema={c: pl.Utf8 for c in ("id", "name", "manager", "location", "salary", "_id")})
    state = live(live_dataset(props=PROPS, treeId="id", treeParentId="manager"), items={"DS-1": empty})
    tables = {
        "People": table("People", ["id", "name", "manager", "location", "salary"], rows or after_rows())
    }
    return build_plan(project(manifest), tables, state)
