"""The `orgsync` command line: parses options and calls one `orgsync.commands` function, nothing more.

Every command returns an exit code; an `OrgsyncError` becomes its message and code, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from orgsync import __version__
from orgsync.errors import ExitCode, OrgsyncError
from orgsync.escape import terminal_lines

ROOT_OPTION = click.option(
    "--root", "-C", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="Repository root holding orgsync.yaml.",
)
VERBOSE_OPTION = click.option(
    "--verbose", "-v", is_flag=True,
    help="Print each API call to stderr as it completes: method, path, status, ms, bytes (never the token or values).",
)


def _run(fn, *args, **kwargs) -> None:
    """Call a command implementation and exit with its code; user errors print cleanly."""
    try:
        code = fn(*args, **kwargs)
    except OrgsyncError as err:
        click.echo(terminal_lines(f"Error: {err}"), err=True)  # names and values are repository data
        sys.exit(int(err.exit_code))
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    sys.exit(int(code or 0))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orgsync")
def cli() -> None:
    """Manage an Orgvue tenant from a Git repository: validate, plan, apply."""


@cli.command()
@ROOT_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def validate(root: Path, fmt: str) -> None:
    """Check orgsync.yaml, the manifests and the source files offline (no API call)."""
    from orgsync.commands.validate import run_validate

    _run(run_validate, root, fmt=fmt)


@cli.command()
@ROOT_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan for `orgsync apply FILE`.")
@click.option("--target", "targets", multiple=True, help="Plan only this dataset (by name) and what it depends on. Repeatable.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes.")
@click.option("--allow-destructive", is_flag=True, help="Do not block on the safety thresholds.")
@click.option("--show-all", is_flag=True, help="List every item change instead of the first rows.")
@click.option("--show-values", is_flag=True, help="Markdown: include item values (never sensitive ones).")
@VERBOSE_OPTION
def plan(root: Path, fmt: str, out: Path | None, targets: tuple[str, ...], detailed_exitcode: bool,
         allow_destructive: bool, show_all: bool, show_values: bool, verbose: bool) -> None:
    """Show what apply would change in the tenant."""
    from orgsync.commands.plan import PlanOptions, run_plan

    _run(run_plan, PlanOptions(root=root, fmt=fmt, out=out, targets=list(targets), detailed_exitcode=detailed_exitcode,
                               allow_destructive=allow_destructive, show_all=show_all, show_values=show_values,
                               verbose=verbose))


@cli.command()
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--show-all", is_flag=True)
@click.option("--show-values", is_flag=True)
def show(plan_file: Path, fmt: str, show_all: bool, show_values: bool) -> None:
    """Render a plan saved with `plan --out`."""
    from orgsync.commands.show import run_show

    _run(run_show, plan_file, fmt=fmt, show_all=show_all, show_values=show_values)


@cli.command()
@ROOT_OPTION
@click.argument("plan_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (CI).")
@click.option("--allow-destructive", is_flag=True, help="Do not block on the safety thresholds.")
@click.option("--target", "targets", multiple=True, help="Apply only this dataset and what it depends on.")
@click.option("--parallelism", type=click.IntRange(1, 32), default=4, show_default=True)
@click.option("--max-rps", type=click.FloatRange(min=0.1), default=None, help="Request-rate limit across all workers.")
@click.option("--report", "report", type=click.Path(dir_okay=False, path_type=Path), help="Write a JSON record of the run.")
@VERBOSE_OPTION
def apply(root: Path, plan_file: Path | None, auto_approve: bool, allow_destructive: bool, targets: tuple[str, ...],
          parallelism: int, max_rps: float | None, report: Path | None, verbose: bool) -> None:
    """Carry out a plan (fresh, or saved with `plan --out`)."""
    from orgsync.commands.apply import ApplyOptions, run_apply

    _run(run_apply, ApplyOptions(root=root, plan_file=plan_file, auto_approve=auto_approve,
                                 allow_destructive=allow_destructive, targets=list(targets), parallelism=parallelism,
                                 max_rps=max_rps, report=report, verbose=verbose))


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the manifest format."""
    from orgsync.commands.schema import run_schema

    _run(run_schema)


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path), default=Path("."))
def init(directory: Path) -> None:
    """Write a working starter repository (local target, sample data, CI workflow)."""
    from orgsync.commands.init import run_init

    _run(run_init, directory)


@cli.command(name="import")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--tenant", help="Tenant id to import (when DIRECTORY has no orgsync.yaml).")
@click.option("--endpoint", help="https base URL of the tenant, or `local` (when DIRECTORY has no orgsync.yaml).")
@click.option("--dataset", "datasets", multiple=True, help="Import only datasets of this name or glob. Repeatable.")
@click.option("--with-items", is_flag=True, help="Also write each dataset's items to data/<slug>.csv (HR data!).")
@click.option("--include-sensitive", is_flag=True, help="With --with-items: also write sensitive columns.")
@click.option("--sensitive", "sensitive", multiple=True, help="Mark this property key sensitive. Repeatable.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def import_(directory: Path, tenant: str | None, endpoint: str | None, datasets: tuple[str, ...], with_items: bool,
            include_sensitive: bool, sensitive: tuple[str, ...], force: bool) -> None:
    """Write manifests from an existing tenant (schema only unless --with-items); the next plan shows no changes."""
    from orgsync.commands.import_tenant import ImportOptions, run_import

    _run(run_import, ImportOptions(directory=directory, tenant=tenant, endpoint=endpoint, datasets=datasets,
                                   with_items=with_items, include_sensitive=include_sensitive,
                                   sensitive=sensitive, force=force))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="Persist all state in this file.")
@click.option("--token", default=None, help="Require this bearer token.")
@click.option("--allow-remote-callbacks", is_flag=True,
              help="Let async jobs call back hosts other than loopback (off: the emulator must not be a relay).")
def emulator(host: str, port: int, db: Path | None, token: str | None, allow_remote_callbacks: bool) -> None:
    """Serve the Orgvue API emulator (for offline trials and tests)."""
    from orgsync.commands.emulator import run_emulator

    _run(run_emulator, host=host, port=port, db=db, token=token, allow_remote_callbacks=allow_remote_callbacks)


def main() -> None:
    cli(prog_name="orgsync")


if __name__ == "__main__":
    main()

__all__ = ["cli", "main", "ExitCode"]
