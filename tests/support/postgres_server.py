"""A real PostgreSQL server for the database-source tests: initdb in a temporary directory, a free loopback port.

Root cannot run postgres, so as root the server runs as the `postgres` (or `nobody`) system user, owning the
data directory. `.ci/run` installs the Debian `postgresql` package when `initdb` is missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER, PASSWORD, DATABASE = "orgsync", "s3cret-pw", "hr"


def _bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(dirs[-1]).parent if dirs else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server; `url()` gives a connection URL for the test user."""

    bin: Path
    data: Path
    port: int
    run_as: str | None

    def url(self, password: str = PASSWORD, port: int | None = None) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{port or self.port}/{DATABASE}"

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def run(self, *args: str, stdin: str | None = None) -> None:
        subprocess.run(
            self._cmd(*args), check=True, input=stdin, text=True, capture_output=True, cwd=self.data
        )

    def psql(self, sql: str) -> None:
        """Run `sql` as the superuser through the server's socket directory."""
        self.run(
            str(self.bin / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.data / "sock"),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            DATABASE,
            stdin=sql,
        )

    def stop(self) -> None:
        subprocess.run(
            self._cmd(str(self.bin / "pg_ctl"), "-D", str(self.data / "db"), "-m", "fast", "-w", "stop"),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.data, ignore_errors=True)


def start() -> PostgresServer:
    """initdb, start on a free loopback port (pg_ctl -w waits until it accepts connections), create the test db."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL is not installed (no initdb); install it: apt-get install -y postgresql"
        )
    run_as = None
    if os.geteuid() == 0:
        run_as = next(u for u in ("postgres", "nobody") if _user_exists(u))
    data = Path(tempfile.mkdtemp(prefix="orgsync-pg-"))
    (data / "sock").mkdir()
    (data / "pw").write_text("super-pw\n")
    if run_as:
        entry = pwd.getpwnam(run_as)
        for path in (data, data / "sock", data / "pw"):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(bin_dir, data, _free_port(), run_as)
    server.run(
        str(bin_dir / "initdb"),
        "-D",
        str(data / "db"),
        "-U",
        "postgres",
        "--pwfile",
        str(data / "pw"),
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "-E",
        "UTF8",
        "--locale=C",
    )
    server.run(
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data / "db"),
        "-w",
        "-t",
        "60",
        "-l",
        str(data / "log"),
        "-o",
        f"-p {server.port} -c listen_addresses=127.0.0.1 -k {data / 'sock'} -c fsync=off",
        "start",
    )
    server.run(
        str(bin_dir / "createdb"),
        "-h",
        str(data / "sock"),
        "-p",
        str(server.port),
        "-U",
        "postgres",
        DATABASE,
    )
    server.psql(f"CREATE USER {USER} PASSWORD '{PASSWORD}'; GRANT ALL ON SCHEMA public TO {USER};")
    return server


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
