"""`orgsync init [DIR]`: write a working starter repository; existing files are never overwritten."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import click

from orgsync.api.pin import check_pinned
from orgsync.errors import ConfigError, Location, Problem
from orgsync.manifest.init import (
    EXAMPLE_ENDPOINT,
    LOCAL,
    WORKFLOW,
    InitOptions,
    check_options,
    starter_files,
    workflow_name,
)


def git_root(directory: Path) -> Path | None:
    """The nearest folder from `directory` upwards holding `.git` (GitHub reads workflows only there)."""
    here = directory.resolve()
    return next((folder for folder in (here, *here.parents) if (folder / ".git").exists()), None)


def check_endpoint(endpoint: str, env: Mapping[str, str] | None = None) -> None:
    """Refuse now an endpoint that `plan` would refuse (not a region host, loopback, nor one the environment
    allows or pins), rather than in the first plan after the files are written."""
    endpoint = endpoint.rstrip("/")
    if endpoint == LOCAL:
        return
    try:
        check_pinned(endpoint, "--endpoint", env)
    except ConfigError as err:
        raise ConfigError(
            [Problem(Location("--endpoint"), p.message) for p in err.problems],
            hint=f"e.g. `orgsync init --endpoint {EXAMPLE_ENDPOINT} --tenant ACME`; {err.hint}",
        ) from None


def run_init(directory: Path, opts: InitOptions | None = None) -> int:
    """Write the starter repository into `directory`; refuse if any of its files already exist.

    In a subfolder of a Git repository (a monorepo), the workflow goes to the Git root's .github/workflows,
    named after the folder and with `working-directory` set to it, since GitHub reads workflows only there.
    """
    opts = opts or InitOptions()
    check_options(opts)
    check_endpoint(opts.endpoint)
    root = git_root(directory)
    workdir = directory.resolve().relative_to(root).as_posix() if root is not None else "."
    opts = replace(opts, workdir=workdir)
    files = {directory / name: text for name, text in starter_files(opts).items()}
    if opts.ci and root is not None and workdir != ".":
        files[root / workflow_name(workdir)] = files.pop(directory / WORKFLOW)
    existing = [path for path in files if path.exists()]
    if existing:
        raise ConfigError(
            [
                Problem(Location(str(path)), "already exists; init never overwrites files")
                for path in existing
            ],
            hint="run `orgsync init` in an empty folder",
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    click.echo(
        f"Wrote a starter repository in {directory} ({len(files)} files). Next:\n"
        f"  orgsync -C {directory} validate\n  orgsync -C {directory} plan"
    )
    return 0
