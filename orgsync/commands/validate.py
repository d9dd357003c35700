"""`orgsync validate`: run every offline check and print the problems (text or JSON); exit 1 on any error."""

from __future__ import annotations

from pathlib import Path

import click

from orgsync.errors import ExitCode
from orgsync.validate import validate_project
from orgsync.validate_render import render_json, render_text


def run_validate(root: Path, fmt: str = "text") -> int:
    """The command: print every problem; exit 1 when any is an error."""
    validation = validate_project(root)
    if fmt == "json":
        click.echo(render_json(validation).decode())
    else:
        click.echo(render_text(validation))
    return int(ExitCode.OK if validation.ok else ExitCode.ERROR)
