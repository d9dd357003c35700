"""`orgsync emulator`: serve the emulator over HTTP with uvicorn."""

from __future__ import annotations

from pathlib import Path

import uvicorn

from orgsync.emulator.app import create_app
from orgsync.emulator.limits import Limits


def serve(
    host: str,
    port: int,
    db: Path | None,
    token: str | None,
    allow_remote_callbacks: bool = False,
    limits: Limits | None = None,
    temp_file_links: bool | None = None,
) -> int:
    """Run until interrupted; returns the process exit code. Callbacks go to loopback hosts only unless allowed.

    `limits` defaults to the documented ones (100 requests/s, 50 in flight, 500,000 a day, 6 MB sync PUT)."""
    app = create_app(
        db_path=db,
        token=token,
        allow_remote_callbacks=allow_remote_callbacks,
        limits=limits,
        temp_file_links=temp_file_links,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
