"""`orgsync draft list|pull|clear`: option parsing only (the work is in orgsync.commands.draft)."""

from __future__ import annotations

from pathlib import Path

import click

from orgsync.cli_support import ROOT_OPTION

DATASET_OPTION = click.option(
    "--dataset", default=None, help="Only the drafts of this managed dataset (its name)."
)


@click.group()
def draft() -> None:
    """Orgvue drafts (scenarios) as repository changes: list, pull into the sources, clear once live."""


@draft.command(name="list")
@ROOT_OPTION
@DATASET_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_(root: Path | None, dataset: str | None, fmt: str) -> None:
    """The drafts of the managed datasets: name, dataset, created by, number of edits."""
    from orgsync.cli import _root, _run
    from orgsync.commands.draft import DraftOptions, run_draft_list

    _run(run_draft_list, DraftOptions(root=_root(root), dataset=dataset, fmt=fmt))


@draft.command()
@click.argument("name")
@ROOT_OPTION
@DATASET_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--include-sensitive",
    is_flag=True,
    help="Write sensitive values into a change file too (masked by default; keep such a file out of Git).",
)
def pull(root: Path | None, name: str, dataset: str | None, fmt: str, include_sensitive: bool) -> None:
    """Write the draft's edits into the source files (a change file where they cannot be written back)."""
    from orgsync.cli import _root, _run
    from orgsync.commands.draft import DraftOptions, run_draft_pull

    opts = DraftOptions(
        root=_root(root), name=name, dataset=dataset, fmt=fmt, include_sensitive=include_sensitive
    )
    _run(run_draft_pull, opts)


@draft.command()
@click.argument("name")
@ROOT_OPTION
@DATASET_OPTION
@click.option("--all", "all_", is_flag=True, help="Clear every edit of the draft, live or not (asks first).")
@click.option("--yes", is_flag=True, help="With --all: do not ask.")
def clear(root: Path | None, name: str, dataset: str | None, all_: bool, yes: bool) -> None:
    """Clear from the draft the edits the tenant now holds; list those not live yet, which stay."""
    from orgsync.cli import _root, _run
    from orgsync.commands.draft import DraftOptions, run_draft_clear

    _run(run_draft_clear, DraftOptions(root=_root(root), name=name, dataset=dataset, all=all_, yes=yes))
