"""Run `orgsync` the way a user does: in-process (`orgsync`) or as the installed script in a directory
(`orgsync_process`), and read back what it printed and its exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

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


def orgsync_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed `orgsync` script run in `cwd` (no ORGVUE_ variable of this environment, NO_COLOR)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGVUE_")} | {"NO_COLOR": "1"}
    return subprocess.run(
        [str(Path(sys.executable).parent / "orgsync"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
