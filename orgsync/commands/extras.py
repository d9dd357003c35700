"""`orgsync extras`: the optional parts (pyproject extras) this repository's manifests need, for an installer."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import click

from orgsync.manifest.loader import load_project
from orgsync.sources.extras import needed, requirements


def run_extras(root: Path, as_requirements: bool = False, env: Mapping[str, str] | None = None) -> int:
    """Print each extra the sources need (xlsx, postgresql, ...), or with `as_requirements` their pip
    requirements, one a line; nothing when none is needed."""
    env = os.environ if env is None else env
    extras = needed(load_project(root, env), env)
    for line in requirements(extras) if as_requirements else extras:
        click.echo(line)
    return 0
