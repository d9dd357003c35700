"""Run `orgsync` in-process the way a user does, and read back (exit code, stdout, stderr)."""

from __future__ import annotations

from collections.abc import Mapping

from click.testing import CliRunner

from orgsync.cli import cli


def orgsync(
    *args: str, token: str | None = None, env: Mapping[str, str] | None = None
) -> tuple[int, str, str]:
    """The CLI run on `args` with NO_COLOR, `ORGVUE_TOKEN=token` when given, then `env` on top.

    A traceback is never a result: it fails the test (`catch_exceptions=False`).
    """
    environment = {"NO_COLOR": "1", **({"ORGVUE_TOKEN": token} if token is not None else {}), **(env or {})}
    result = CliRunner().invoke(cli, list(args), env=environment, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr
