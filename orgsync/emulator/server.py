"""`orgsync emulator`: serve the emulator over HTTP with uvicorn."""

from __future__ import annotations

from pathlib import Path

import uvicorn

from orgsync.emulator.app import create_app


def serve(host: str, port: int, db: Path | None, token: str | None) -> int:
    """Run until interrupted; returns the process exit code."""
    app = create_app(db_path=db, token=token)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
