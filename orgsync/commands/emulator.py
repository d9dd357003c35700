"""`orgsync emulator`: serve the Orgvue API emulator over HTTP (for offline trials and tests)."""

from __future__ import annotations

from pathlib import Path

from orgsync.emulator.server import serve


def run_emulator(host: str, port: int, db: Path | None, token: str | None,
                 allow_remote_callbacks: bool = False) -> int:
    """Run the emulator until interrupted; returns the exit code."""
    return serve(host=host, port=port, db=db, token=token, allow_remote_callbacks=allow_remote_callbacks)
