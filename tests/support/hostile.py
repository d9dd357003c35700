"""A repository whose names, keys and values are written by an attacker, for the output-path attack tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import yaml

from orgsync.github.action import Run
from tests.support.cli import orgsync
from tests.support.repo import make_repo

HTML_NAME = "People <img src=x onerror=alert(1)> <!--"
HIDING_KEY = "note-->"
ESC_VALUE = "\x1b[2J\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07"
VALUES = [
    "<!-- the rest is hidden",
    "| broken | table |",
    "@acme/admins",
    "[x](https://evil.example)",
    "`code` **bold** _it_",
    "<script>alert(1)</script>",
    ESC_VALUE,
    "line\nbreak\rreturn",
    "\u202eevil",
]
SALARIES = ["918273.5", "827364.25", "736455.75"]  # sensitive: must appear nowhere
SECRET_NOTE = "SSN-552-19-7734"  # in a sensitive text column


def write(
    root: Path,
    *,
    n: int = 3,
    rows: list[dict[str, str]] | None = None,
    name: str = HTML_NAME,
    key: str = HIDING_KEY,
) -> Path:
    """orgsync.yaml (local target), one People manifest and its CSV (`key`: the hostile property key; the
    emulator, like Orgvue, accepts only identifier keys, so apply tests pass a plain one)."""
    manifest = {
        "kind": "Dataset",
        "name": name,
        "type": "PEOPLE",
        "autoId": "id",
        "labelId": "label",
        "properties": [
            {"key": "id", "name": "ID", "type": "text"},
            {"key": "label", "name": "Label <b>bold</b> <!--", "type": "text"},
            {"key": key, "name": "Note", "type": "text"},
            {"key": "salary", "name": "Salary", "type": "number", "sensitive": True},
            {"key": "ssn", "name": "SSN", "type": "text", "sensitive": True},
        ],
        "items": {"source": "../data/people.csv", "mode": "mirror"},
    }
    rows = (
        rows
        if rows is not None
        else [
            {
                "id": f"E{i}",
                "label": VALUES[i % len(VALUES)],
                key: VALUES[(i + 3) % len(VALUES)],
                "salary": SALARIES[i % len(SALARIES)],
                "ssn": SECRET_NOTE if i == 0 else "",
            }
            for i in range(n)
        ]
    )
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=["id", "label", key, "salary", "ssn"])
    writer.writeheader()
    writer.writerows(rows)
    return make_repo(
        root,
        config="tenant: ACME\nendpoint: local\nmanifests: manifests\n",
        manifests={"people.yaml": yaml.safe_dump(manifest, sort_keys=False)},
        data={"people.csv": out.getvalue()},
    )


# Strings that GitHub turns into links, mentions and references (and a backtick that ends a code span).
LINKING = (
    "https://evil.example/login",
    "www.evil.example",
    "x@y.com",
    "[click](https://evil)",
    "@acme/admins",
    "#12",
    "GH-7",
    "xmpp:a@b.com",
    "`code` ends",
)
LINKING_NAME = "People " + " ".join(LINKING)


def in_process(args: Sequence[str]) -> Run:
    """The Action's runner, running the real CLI in this process (as `python -m orgsync ARGS` would)."""
    code, out, err = orgsync(*args)
    return Run(code, out, err)
