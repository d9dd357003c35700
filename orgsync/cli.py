"""The `orgsync` command line: parses options and calls one `orgsync.commands` function, nothing more.

Every command returns an exit code; an `OrgsyncError` becomes its message and code, never a traceback.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, ParamSpec

import click

from orgsync import __version__
from orgsync.cli_draft import draft_group
from orgsync.cli_support import ROOT_OPTION, OrgsyncGroup, error_document, find_root
from orgsync.errors import ExitCode, OrgsyncError
from orgsync.escape import terminal_lines

P = ParamSpec("P")
LOG_RUNS_OPTION = click.option(
    "--log-runs",
    "log_runs",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append one JSON line about this run (time, status, counts, requests, trace ids; no item data).",
)
VERBOSE_OPTION = click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Print each API call to stderr as it completes: method, path, status, ms, bytes (never the token or values).",
)


def _run(fn: Callable[P, int], *args: P.args, **kwargs: P.kwargs) -> NoReturn:
    """Call a command implementation and exit with its code; user errors print cleanly.

    With `--format json`, an error is also a JSON document on stdout, so a bot always gets JSON."""
    try:
        code = fn(*args, **kwargs)
    except OrgsyncError as err:
        click.echo(terminal_lines(f"Error: {err}"), err=True)  # names and values are repository data
        if kwargs.get("fmt") == "json" or getattr(args[0] if args else None, "fmt", None) == "json":
            click.echo(error_document(err))
        sys.exit(int(err.exit_code))
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    sys.exit(int(code or 0))


@click.group(cls=OrgsyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orgsync")
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run as if started in DIR's repository: DIR holds orgsync.yaml. Paths given on the command "
    "line (--out, --report, a plan file) stay relative to the current directory.",
)
@click.pass_context
def cli(ctx: click.Context, directory: Path | None) -> None:
    """Manage an Orgvue tenant from a Git repository: validate, plan, apply."""
    ctx.obj = {"root": directory}


def _root(root: Path | None) -> Path:
    """The repository root: the command's -C, else the one before the command, else found upwards from here."""
    if root is not None:
        return root
    ctx = click.get_current_context(silent=True)
    given = (ctx.find_root().obj or {}).get("root") if ctx is not None else None
    return given if given is not None else find_root()


@cli.command()
@ROOT_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the result: for people, or one JSON document.",
)
def validate(root: Path | None, fmt: str) -> None:
    """Check orgsync.yaml, the manifests and the source files offline (no API call)."""
    from orgsync.commands.validate import run_validate

    _run(run_validate, _root(root), fmt=fmt)


LIST_LIMIT_OPTION = click.option(
    "--list-limit",
    type=click.IntRange(0, 1000),
    default=20,
    show_default=True,
    help="Markdown/JSON: rows per list of moves, spans and items (the rest is counted; the HTML report has all).",
)


@cli.command()
@ROOT_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "html"]),
    default="text",
    show_default=True,
    help="text: the terminal; json: the plan document (docs/plan-json.md); markdown: a pull-request comment; "
    "html: the report (docs/review.md)",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan for `orgsync apply FILE`.",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    help="Plan only this dataset (by name) and what it depends on. Repeatable.",
)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes.")
@click.option("--allow-destructive", is_flag=True, help="Do not block on the safety thresholds.")
@click.option("--show-all", is_flag=True, help="List every item change instead of the first rows.")
@click.option(
    "--show-values", is_flag=True, help="Markdown/HTML: include item values (never sensitive ones)."
)
@LIST_LIMIT_OPTION
@click.option(
    "--base",
    "base_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The reviewed base's repository root: its sensitive properties, thresholds and observed datasets "
    "are a floor the plan keeps (pull requests).",
)
@click.option(
    "--base-ref", help="As --base, read with git from this branch, tag or commit of the repository."
)
@click.option(
    "--skip-feed",
    is_flag=True,
    help="Drift: leave out item changes of datasets fed by a database or by files git does not hold committed.",
)
@click.option(
    "--notify", is_flag=True, help="POST the run's outcome to ORGSYNC_NOTIFY_URL (e.g. a drift job)."
)
@LOG_RUNS_OPTION
@VERBOSE_OPTION
def plan(
    root: Path | None,
    fmt: str,
    out: Path | None,
    targets: tuple[str, ...],
    detailed_exitcode: bool,
    allow_destructive: bool,
    show_all: bool,
    show_values: bool,
    list_limit: int,
    skip_feed: bool,
    notify: bool,
    log_runs: Path | None,
    base_dir: Path | None,
    base_ref: str | None,
    verbose: bool,
) -> None:
    """Show what apply would change in the tenant."""
    from orgsync.commands.plan import PlanOptions, run_plan
    from orgsync.manifest.base import BaseChoice

    _run(
        run_plan,
        PlanOptions(
            root=_root(root),
            fmt=fmt,
            out=out,
            targets=list(targets),
            detailed_exitcode=detailed_exitcode,
            allow_destructive=allow_destructive,
            show_all=show_all,
            show_values=show_values,
            list_limit=list_limit,
            verbose=verbose,
            skip_feed=skip_feed,
            notify=notify,
            log_runs=log_runs,
            base=BaseChoice(base_dir, base_ref),
        ),
    )


@cli.command()
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "html"]),
    default="text",
    show_default=True,
    help="text: the terminal; json: the plan document (docs/plan-json.md); markdown: a pull-request comment; "
    "html: the report (docs/review.md)",
)
@click.option("--show-all", is_flag=True, help="List every item change instead of the first rows.")
@click.option(
    "--show-values", is_flag=True, help="Markdown/HTML: include item values (never sensitive ones)."
)
@LIST_LIMIT_OPTION
def show(plan_file: Path, fmt: str, show_all: bool, show_values: bool, list_limit: int) -> None:
    """Render a plan saved with `plan --out`."""
    from orgsync.commands.show import run_show

    _run(run_show, plan_file, fmt=fmt, show_all=show_all, show_values=show_values, list_limit=list_limit)


@cli.command()
@ROOT_OPTION
@click.argument("plan_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (CI).")
@click.option("--allow-destructive", is_flag=True, help="Do not block on the safety thresholds.")
@click.option("--target", "targets", multiple=True, help="Apply only this dataset and what it depends on.")
@click.option(
    "--parallelism",
    type=click.IntRange(1),
    default=4,
    show_default=True,
    help="Steps run at once (at most 50: Orgvue's requests in flight per tenant).",
)
@click.option(
    "--max-rps",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Request-rate limit across all workers (at most Orgvue's 100 a second per tenant).",
)
@click.option(
    "--report",
    "report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a JSON record of the run.",
)
@LOG_RUNS_OPTION
@VERBOSE_OPTION
def apply(
    root: Path | None,
    plan_file: Path | None,
    auto_approve: bool,
    allow_destructive: bool,
    targets: tuple[str, ...],
    parallelism: int,
    max_rps: float | None,
    report: Path | None,
    log_runs: Path | None,
    verbose: bool,
) -> None:
    """Carry out a plan (fresh, or saved with `plan --out`)."""
    from orgsync.commands.apply import ApplyOptions, run_apply

    _run(
        run_apply,
        ApplyOptions(
            root=_root(root),
            plan_file=plan_file,
            auto_approve=auto_approve,
            allow_destructive=allow_destructive,
            targets=list(targets),
            parallelism=parallelism,
            max_rps=max_rps,
            report=report,
            verbose=verbose,
            log_runs=log_runs,
        ),
    )


@cli.command()
@ROOT_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the result: for people, or one JSON document.",
)
@click.option(
    "--record", type=click.Path(dir_okay=False, path_type=Path), help="Also write a transcript of probes."
)
@click.option("--names", is_flag=True, help="Let the transcript name the probed datasets.")
@click.option(
    "--probe-writes", metavar="DATASET", help="Add write probes (noop actions only) on this dataset."
)
def doctor(root: Path | None, fmt: str, record: Path | None, names: bool, probe_writes: str | None) -> None:
    """Check, read-only, that orgsync and the tenant agree (endpoint, TLS, token, access, files, limits, clock)."""
    from orgsync.commands.doctor import run_doctor

    if (names or probe_writes) and record is None:
        raise click.UsageError("--names and --probe-writes go with --record FILE")
    _run(run_doctor, _root(root), fmt=fmt, record=record, names=names, probe_writes=probe_writes)


@cli.command()
@ROOT_OPTION
@click.option(
    "--requirements",
    "as_requirements",
    is_flag=True,
    help="Print their pip requirements instead of their names.",
)
def extras(root: Path | None, as_requirements: bool) -> None:
    """Print the extras (optional drivers) this repository's manifests need, one a line."""
    from orgsync.commands.extras import run_extras

    _run(run_extras, _root(root), as_requirements)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the manifest format."""
    from orgsync.commands.schema import run_schema

    _run(run_schema)


@cli.command()
@click.argument(
    "directory", required=False, type=click.Path(file_okay=False, path_type=Path), default=Path(".")
)
@click.option("--tenant", default="STARTER", show_default=True, help="Tenant id written to orgsync.yaml.")
@click.option(
    "--endpoint",
    default="local",
    show_default=True,
    help="`local` (an emulated tenant in .orgsync/) or the API base URL, https://…, without /api/v1.",
)
@click.option("--no-ci", is_flag=True, help="Do not write .github/workflows/orgsync.yml.")
def init(directory: Path, tenant: str, endpoint: str, no_ci: bool) -> None:
    """Write a working starter repository (sample data, orgsync.yaml, a CI workflow using the orgsync Action)."""
    from orgsync.commands.init import run_init
    from orgsync.manifest.init import InitOptions

    _run(run_init, directory, InitOptions(tenant=tenant, endpoint=endpoint, ci=not no_ci))


@cli.command(name="import")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--tenant", help="Tenant id to import (when DIRECTORY has no orgsync.yaml).")
@click.option(
    "--endpoint", help="https base URL of the tenant, or `local` (when DIRECTORY has no orgsync.yaml)."
)
@click.option(
    "--dataset", "datasets", multiple=True, help="Import only datasets of this name or glob. Repeatable."
)
@click.option(
    "--with-items", is_flag=True, help="Also write each dataset's items to data/<slug>.csv (HR data!)."
)
@click.option("--include-sensitive", is_flag=True, help="With --with-items: also write sensitive columns.")
@click.option("--sensitive", "sensitive", multiple=True, help="Mark this property key sensitive. Repeatable.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def import_(
    directory: Path,
    tenant: str | None,
    endpoint: str | None,
    datasets: tuple[str, ...],
    with_items: bool,
    include_sensitive: bool,
    sensitive: tuple[str, ...],
    force: bool,
) -> None:
    """Write manifests from an existing tenant (schema only unless --with-items); the next plan shows no changes."""
    from orgsync.commands.import_tenant import ImportOptions, run_import

    _run(
        run_import,
        ImportOptions(
            directory=directory,
            tenant=tenant,
            endpoint=endpoint,
            datasets=datasets,
            with_items=with_items,
            include_sensitive=include_sensitive,
            sensitive=sensitive,
            force=force,
        ),
    )


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (loopback unless you mean it).",
)
@click.option("--port", default=8765, show_default=True, type=int, help="Port to listen on.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="Persist all state in this file.")
@click.option("--token", default=None, help="Require this bearer token.")
@click.option(
    "--allow-remote-callbacks",
    is_flag=True,
    help="Let async jobs call back hosts other than loopback (off: the emulator must not be a relay).",
)
@click.option(
    "--max-rps",
    "limit_rps",
    type=click.IntRange(0),
    default=100,
    show_default=True,
    help="Requests per second per tenant before 429 42901 (0: no limit).",
)
@click.option(
    "--max-in-flight",
    "limit_in_flight",
    type=click.IntRange(0),
    default=50,
    show_default=True,
    help="Concurrent requests per tenant before 429 42901 (0: no limit).",
)
@click.option(
    "--daily-quota",
    "limit_quota",
    type=click.IntRange(0),
    default=500_000,
    show_default=True,
    help="Requests per tenant and day before 429 42902 (0: no limit).",
)
@click.option(
    "--max-sync-body",
    "limit_body",
    type=click.IntRange(0),
    default=6_000_000,
    show_default=True,
    help="Bytes of a sync item PUT body before 413 (0: no limit).",
)
@click.option(
    "--temp-files",
    type=click.Choice(["flat", "links"]),
    default=None,
    help="How temporary-file answers name their URLs: flat getUrl/putUrl, or _links by type "
    "(default: ORGSYNC_EMULATOR_TEMP_FILES, else flat).",
)
@click.option(
    "--compare",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Do not serve: list where the emulator answers otherwise than this `doctor --record` transcript.",
)
def emulator(
    host: str,
    port: int,
    db: Path | None,
    token: str | None,
    allow_remote_callbacks: bool,
    limit_rps: int,
    limit_in_flight: int,
    limit_quota: int,
    limit_body: int,
    temp_files: str | None,
    compare: Path | None,
) -> None:
    """Serve the Orgvue API emulator (for offline trials and tests)."""
    from orgsync.commands.emulator import run_emulator
    from orgsync.emulator.limits import Limits

    if compare is not None:
        from orgsync.commands.emulator_compare import run_compare

        _run(run_compare, compare)

    _run(
        run_emulator,
        host=host,
        port=port,
        db=db,
        token=token,
        allow_remote_callbacks=allow_remote_callbacks,
        limits=Limits(limit_rps, limit_in_flight, limit_quota, limit_body),
        temp_file_links=None if temp_files is None else temp_files == "links",
    )


cli.add_command(draft_group(_run, _root))


def quiet_warnings() -> None:
    """No Python warning reaches a user (a library's is not theirs to act on); `-W` / PYTHONWARNINGS, which
    the tests set to `error`, still decide when given."""
    if not sys.warnoptions:
        warnings.simplefilter("ignore")


def main() -> None:
    quiet_warnings()
    cli(prog_name="orgsync")


if __name__ == "__main__":
    main()

__all__ = ["cli", "main", "ExitCode"]
