"""`orgsync emulator`: serve the Orgvue API emulator over HTTP (for offline trials and tests).

It says where it listens and where it keeps its data; a port already in use is one line and exit 1.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import click

from orgsync.emulator import server
from orgsync.emulator.limits import Limits
from orgsync.errors import PortInUseError


def check_port(host: str, port: int) -> None:
    """Bind and release host:port once, so a port in use is a clear error before the server starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            why = "address already in use" if err.errno == errno.EADDRINUSE else (err.strerror or str(err))
            raise PortInUseError(
                f"cannot listen on {host}:{port}: {why}", hint="stop the other server, or pass another --port"
            ) from None


def run_emulator(
    host: str,
    port: int,
    db: Path | None,
    token: str | None,
    allow_remote_callbacks: bool = False,
    limits: Limits | None = None,
    temp_file_links: bool | None = None,
) -> int:
    """Run the emulator until interrupted (with the documented usage limits unless `limits`); returns the exit code."""
    check_port(host, port)
    data = (
        f"data in {db.resolve()}"
        if db is not None
        else "data in memory (lost when it stops; --db FILE keeps it)"
    )
    click.echo(f"Orgvue API emulator listening on http://{host}:{port} ({data}). Ctrl-C stops it.", err=True)
    return server.serve(
        host=host,
        port=port,
        db=db,
        token=token,
        allow_remote_callbacks=allow_remote_callbacks,
        limits=limits,
        temp_file_links=temp_file_links,
    )
