"""Shared fixtures: repository paths, the emulator in-process and over a real uvicorn socket, the fake GitHub
API, a PostgreSQL server for the session, the acme tenant of apply tests. Helpers live in tests/support/."""

from __future__ import annotations

import functools
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from orgsync.emulator.app import create_app
from tests.support.fake_github import FakeGitHub, serve
from tests.support.postgres_server import PostgresServer, start
from tests.support.repo import make_repo
from tests.support.serving import Served, serve_app

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
SHARED_API_DOCS = REPO.parent / "shared" / "orgvue-api"


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio: mark them `@pytest.mark.anyio` (the anyio plugin is installed)."""
    return "asyncio"


@pytest.fixture
def emulator_app() -> Any:
    """A fresh in-process emulator (state in memory, no token, seed 0)."""
    return create_app()


@pytest.fixture
async def asgi_client(emulator_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client driving `emulator_app` in-process (no socket) at http://emulator."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator_app), base_url="http://emulator"
    ) as client:
        yield client


@dataclass
class RunningEmulator:
    """An emulator served by uvicorn on 127.0.0.1 in a background thread."""

    base_url: str
    app: Any
    served: Served

    def stop(self) -> None:
        self.served.stop()


def start_emulator(
    db_path: Path | None = None, token: str | None = None, seed: int = 0, **options: Any
) -> RunningEmulator:
    """Serve a new emulator on a loopback socket, listening before this returns; call `.stop()` when done.
    `options` go to `create_app` (e.g. `temp_file_links=True`)."""
    app = create_app(db_path=db_path, token=token, seed=seed, **options)
    served = serve_app(app)
    return RunningEmulator(served.base_url, app, served)


@pytest.fixture
def emulator_server() -> Iterator[RunningEmulator]:
    """The emulator over a real socket (in memory); `.base_url`, `.app`."""
    running = start_emulator()
    yield running
    running.stop()


@pytest.fixture
def emulator_factory() -> Iterator[Any]:
    """Start emulators with options (`db_path=`, `token=`, `seed=`); all are stopped at the end.

    Restart with `--db`: `first = factory(db_path=p); first.stop(); second = factory(db_path=p)`.
    """
    started: list[RunningEmulator] = []

    def factory(**kwargs: Any) -> RunningEmulator:
        running = start_emulator(**kwargs)
        started.append(running)
        return running

    yield factory
    for running in started:
        running.stop()


@pytest.fixture
def calls_of(monkeypatch: pytest.MonkeyPatch) -> Any:
    """`calls_of(function)`: a list that records the positional arguments of every call of `function` from then on,
    wherever orgsync imported it (each orgsync module's name for it is wrapped); the real function still runs."""

    def watch(real: Any) -> list[tuple[Any, ...]]:
        calls: list[tuple[Any, ...]] = []

        @functools.wraps(real)
        def counted(*args: Any, **kwargs: Any) -> Any:
            calls.append(args)
            return real(*args, **kwargs)

        for module in list(sys.modules.values()):
            if getattr(module, "__name__", "").startswith("orgsync"):
                for name, value in list(vars(module).items()):
                    if value is real:
                        monkeypatch.setattr(module, name, counted)
        return calls

    return watch


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """The fake GitHub API over a real loopback socket, one per test."""
    served = serve(FakeGitHub())
    yield served.state
    served.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server started for this test session and stopped (its data removed) at the end."""
    server = start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A copy of examples/acme on an in-process emulator (state in tmp_path) whose requests are recorded."""
    from tests.support.apply_tenant import (  # the engine's commands: loaded when asked
        RecordingTransport,
        Tenant,
    )

    root = make_repo(tmp_path / "acme", example="acme")
    app = create_app(db_path=tmp_path / "tenant.db")
    transport = RecordingTransport(httpx.ASGITransport(app=app))
    monkeypatch.setattr("orgsync.api.target._local_transport", lambda project: transport)
    return Tenant(root, app, transport)
