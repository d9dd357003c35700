"""A known reorg for the reviewer's outputs (golden comment, JSON, HTML): one plan built by the real builder.

People (treeId id, treeParentId manager, labelId name, salary sensitive). Before: Boss over Alice Oldboss and
Carl Newboss; Alice has Mira (over Al and Bo), Bob, Dee and Eve; Carl has Zed (a hostile name). The reorg moves
Mira (with Al and Bo) and Bob to Carl and Zed to Alice, moves Al under Bo inside Mira's team, fills `location`,
raises 2 salaries, deletes Eve and hires Nina under Alice.
"""

from __future__ import annotations

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
