"""A small repository on disk for the planner's end-to-end tests: Staff, Teams and Membership links."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.support.repo import make_repo

STAFF_PROPS = [
    {"key": "id", "name": "ID", "type": "text"},
    {"key": "name", "name": "Name", "type": "text"},
    {"key": "grade", "name": "Grade", "type": "text"},
    {"key": "salary", "name": "Salary", "type": "number", "sensitive": True},
    {"key": "note", "name": "Note", "type": "text"},
]


def salary(i: int) -> str:
    """A distinctive salary: none of these strings may appear in any output."""
    return str(731_000 + i * 17)


def staff_rows(n: int = 20) -> list[dict[str, str]]:
    return [
        {"id": f"S{i:02d}", "name": f"Person {i}", "grade": "G1", "salary": salary(i), "note": ""}
        for i in range(n)
    ]


@dataclass
class Repo:
    """Writes orgsync.yaml, the manifests and the CSV sources; change fields and call `write()` again."""

    root: Path
    endpoint: str = "local"
    mode: str = "mirror"
    staff: list[dict[str, str]] = field(default_factory=staff_rows)
    staff_columns: list[str] = field(default_factory=lambda: ["id", "name", "grade", "salary", "note"])
    staff_props: list[dict] = field(default_factory=lambda: [dict(p) for p in STAFF_PROPS])
    staff_extra: dict = field(default_factory=dict)
    safety: dict | None = None

    def write(self) -> Repo:
        config = {"tenant": "ACME", "endpoint": self.endpoint, "manifests": "manifests"}
        if self.safety:
            config["safety"] = self.safety
        staff = {
            "kind": "Dataset",
            "name": "Staff",
            "type": "PEOPLE",
            "autoId": "id",
            "labelId": "name",
            "properties": self.staff_props,
            "items": {"source": "../data/staff.csv", "mode": self.mode},
            **self.staff_extra,
        }
        teams = {
            "kind": "Dataset",
            "name": "Teams",
            "type": "TEAMS",
            "autoId": "team",
            "labelId": "team",
            "properties": [{"key": "team", "name": "Team", "type": "text"}],
            "items": {"source": "../data/teams.csv", "mode": "upsert"},
        }
        membership = {
            "kind": "LinksDataset",
            "name": "Membership",
            "from": "Staff",
            "to": "Teams",
            "items": {"source": "../data/membership.csv", "mode": "upsert"},
        }
        ids = [r["id"] for r in self.staff]
        make_repo(
            self.root,
            config=_yaml(config),
            manifests={
                "staff.yaml": _yaml(staff),
                "teams.yaml": _yaml(teams),
                "membership.yaml": _yaml(membership),
            },
            data={
                "staff.csv": _csv(
                    self.staff_columns, [{c: r.get(c, "") for c in self.staff_columns} for r in self.staff]
                ),
                "teams.csv": _csv(["team"], [{"team": t} for t in ("T1", "T2", "T3")]),
                "membership.csv": _csv(
                    ["from_id", "to_id"], [{"from_id": i, "to_id": "T1"} for i in ids[:5]]
                ),
            },
        )
        return self


def _yaml(body: dict) -> str:
    return yaml.safe_dump(body, sort_keys=False)


def _csv(columns: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
