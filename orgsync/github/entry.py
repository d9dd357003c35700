"""`python -m orgsync.github.entry` (action.yml's step): every command of the Action, `sync` included."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

from orgsync.github import action
from orgsync.github.sync import run_sync_step

STEPS = {**action.STEPS, "sync": run_sync_step}


def main(
    argv: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    orgsync: action.Runner | None = None,
) -> int:
    """The step named by ORGSYNC_COMMAND, as `orgsync.github.action.main` runs it."""
    return action.main(argv, env, orgsync, steps=STEPS)


if __name__ == "__main__":
    sys.exit(main())
