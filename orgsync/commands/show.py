"""`orgsync show FILE`: render a plan saved with `plan --out`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from orgsync.commands.plan import use_color
from orgsync.errors import ExitCode
from orgsync.plan.render import render
from orgsync.plan.render.people import DEFAULT_LIST_LIMIT
from orgsync.plan.saved import load_saved


def run_show(
    path: Path,
    fmt: str = "text",
    show_all: bool = False,
    show_values: bool = False,
    list_limit: int = DEFAULT_LIST_LIMIT,
    *,
    stdout: TextIO | None = None,
) -> int:
    """`orgsync show FILE`: render a saved plan."""
    stdout = stdout or sys.stdout
    plan = load_saved(path)
    stdout.write(
        render(
            plan,
            fmt,
            show_all=show_all,
            show_values=show_values,
            color=fmt == "text" and use_color(stdout),
            list_limit=list_limit,
        )
    )
    return int(ExitCode.OK)
