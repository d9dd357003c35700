"""An ASGI app served by uvicorn on a loopback socket in a background thread, for tests that need a real socket.

The socket is bound and listening before `serve_app` returns, so a client may connect at once (the connection
waits in the backlog until uvicorn accepts it): no readiness poll, no sleep, and no window in which another
process could take a port picked free and then released.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from typing import Any

import uvicorn


@dataclass
class Served:
    """A running server: `base_url`, and `stop()` to end it."""

    base_url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve_app(app: Any, host: str = "127.0.0.1") -> Served:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    return Served(f"http://{host}:{sock.getsockname()[1]}", server, thread)
