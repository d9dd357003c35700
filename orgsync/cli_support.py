"""What the command line needs besides parsing: usage errors exit 1, the repository root found upwards, JSON errors.

Exit 2 means only "the plan has changes" (CI reads it so), so click's usage code 2 is turned into 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from orgsync.errors import ConfigError, ExitCode, OrgsyncError

CONFIG_FILE = "orgsync.yaml"


def find_root(start: Path | None = None) -> Path:
    """The nearest folder from `start` (the current directory) upwards that holds orgsync.yaml, else `start`.

    The path is given relative to the current directory when it is one of its parents (`..`), so messages stay short.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            if folder == here:
                return Path(".")
            return Path(*[".."] * (len(here.parts) - len(folder.parts)))
    return Path(".")


def error_document(err: OrgsyncError) -> str:
    """The JSON printed on stdout for `--format json` when a command fails (documented in docs/plan-json.md)."""
    body: dict[str, Any] = {
        "error": {
            "exit_code": int(err.exit_code),
            "type": type(err).__name__,
            "message": err.message,
            "hint": err.hint,
        }
    }
    if isinstance(err, ConfigError):
        body["error"]["problems"] = [
            {
                "file": str(p.location.file),
                "line": p.location.line,
                "column": p.location.column,
                "field": p.field,
                "message": p.message,
                "severity": p.severity,
            }
            for p in err.problems
        ]
    return json.dumps(body, indent=2)


def _wants_json(args: Sequence[str]) -> bool:
    for index, arg in enumerate(args):
        if arg == "--format=json" or (
            arg == "--format" and index + 1 < len(args) and args[index + 1] == "json"
        ):
            return True
    return False


class OrgsyncGroup(click.Group):
    """A click group whose usage errors (unknown option or command, bad value, missing file) exit 1, not 2."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        try:
            return super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.ClickException as err:
            err.show()
            if _wants_json(argv):
                click.echo(
                    json.dumps(
                        {
                            "error": {
                                "exit_code": int(ExitCode.ERROR),
                                "type": "UsageError",
                                "message": err.format_message(),
                                "hint": None,
                            }
                        },
                        indent=2,
                    )
                )
            sys.exit(int(ExitCode.ERROR))
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(int(ExitCode.ERROR))


ROOT_OPTION = click.option(
    "--root",
    "-C",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Repository root holding orgsync.yaml (default: the -C given before the command, else the nearest "
    "folder upwards from here that holds orgsync.yaml, as git finds .git).",
)
