"""Benchmark helpers: run the emulator as its own process, read its peak RSS, parse `--rows` lists."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def parse_rows(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size of a live process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class EmulatorProcess:
    """`orgsync emulator` in a child process on a free port, stopped on exit."""

    def __init__(
        self,
        db: Path | None = None,
        *,
        token: str | None = None,
        start_seconds: float = 30,
        quiet: bool = False,
    ) -> None:
        """`start_seconds` bounds the start: a kept `--db` of millions of items loads before the port opens."""
        self.port = free_port()
        cmd = [sys.executable, "-m", "orgsync", "emulator", "--host", "127.0.0.1", "--port", str(self.port)]
        if db is not None:
            cmd += ["--db", str(db)]
        if token is not None:
            cmd += ["--token", token]
        out = subprocess.DEVNULL if quiet else None
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=out)
        self.base_url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + start_seconds
        while True:
            try:
                httpx.get(f"{self.base_url}/openapi.json", timeout=1)
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the emulator did not start") from None
                time.sleep(0.1)

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.proc.pid)

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
