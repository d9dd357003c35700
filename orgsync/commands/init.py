"""`orgsync init [DIR]`: write a working starter repository; existing files are never overwritten."""

from __future__ import annotations

from pathlib import Path

import click

from orgsync.errors import ConfigError, Location, Problem
from orgsync.manifest.init import starter_files


def run_init(directory: Path) -> int:
    """Write the starter repository into `directory`; refuse if any of its files already exist."""
    files = starter_files()
    existing = [name for name in files if (directory / name).exists()]
    if existing:
        raise ConfigError([Problem(Location(str(directory / name)), "already exists; init never overwrites files")
                           for name in existing], hint="run `orgsync init` in an empty folder")
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    click.echo(f"Wrote a starter repository in {directory} ({len(files)} files). Next:\n"
               f"  orgsync validate -C {directory}\n  orgsync plan -C {directory}")
    return 0
