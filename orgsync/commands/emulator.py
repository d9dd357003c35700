"""`orgsync emulator`: serve the Orgvue API emulator over HTTP (for offline trials and tests)."""

from __future__ import annotations

from pathlib import Path

from orgsync.emulator.limits import Limits
from orgsync.emulator.server import serve


def run_emulator(host: str, port: int, db: Path | None, token: str | None,
                 allow_remote_callbacks: bool = False, limits: Limits | None = None) -> int:
    """Run the emulator until interrupted (with the documented usage limits unless `limits`); returns the exit code."""
    return serve(host=host, port=port, db=db, token=token, allow_remote_callbacks=allow_remote_callbacks,
                 limits=limits)
