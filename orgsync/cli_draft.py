"""`orgsync draft list|pull|clear`: option parsing only (the work is in orgsync.commands.draft).

`cli.py` adds the group made by `draft_group`, handing it its `run` (exit codes, clean errors) and `root`
(the repository root) helpers, so this module never imports `cli`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from orgsync.cli_support import ROOT_OPTION

Run = Callable[..., NoReturn]
Root = Callable[[Path | None], Path]
DATASET_OPTION = click.option(
    "--dataset", default=None, help="Only the drafts of this managed dataset (its name)."
)
FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def draft_group(run: Run, root_of: Root) -> click.Group:
    """The `draft` command group."""

    @click.group()
    def draft() -> None:
        """Orgvue drafts (scenarios) as repository changes: list, pull into the sources, clear once live."""

    @draft.command(name="list")
    @ROOT_OPTION
    @DATASET_OPTION
    @FORMAT_OPTION
    def list_(root: Path | None, dataset: str | None, fmt: str) -> None:
        """The drafts of the managed datasets: name, dataset, created by, number of edits."""
        from orgsync.commands.draft import DraftOptions, run_draft_list

        run(run_draft_list, DraftOptions(root=root_of(root), dataset=dataset, fmt=fmt))

    @draft.command()
    @click.argument("name")
    @ROOT_OPTION
    @DATASET_OPTION
    @FORMAT_OPTION
    @click.option(
        "--include-sensitive",
        is_flag=True,
        help="Write sensitive values into a change file too (masked by default; keep such a file out of Git).",
    )
    def pull(root: Path | None, name: str, dataset: str | None, fmt: str, include_sensitive: bool) -> None:
        """Write the draft's edits into the source files (a change file where they cannot be written back)."""
        from orgsync.commands.draft import DraftOptions, run_draft_pull

        options: dict[str, Any] = {"dataset": dataset, "fmt": fmt, "include_sensitive": include_sensitive}
        run(run_draft_pull, DraftOptions(root=root_of(root), name=name, **options))

    @draft.command()
    @click.argument("name")
    @ROOT_OPTION
    @DATASET_OPTION
    @click.option(
        "--all", "all_", is_flag=True, help="Clear every edit of the draft, live or not (asks first)."
    )
    @click.option("--yes", is_flag=True, help="With --all: do not ask.")
    def clear(root: Path | None, name: str, dataset: str | None, all_: bool, yes: bool) -> None:
        """Clear from the draft the edits the tenant now holds; list those not live yet, which stay."""
        from orgsync.commands.draft import DraftOptions, run_draft_clear

        run(run_draft_clear, DraftOptions(root=root_of(root), name=name, dataset=dataset, all=all_, yes=yes))

    return draft
