"""`orgsync emulator` hands its options to the server unchanged."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from orgsync.cli import cli
from orgsync.emulator import server


def test_emulator_options_reach_the_server(monkeypatch, tmp_path: Path) -> None:
    seen: list[dict] = []
    monkeypatch.setattr(server, "serve", lambda **kwargs: seen.append(kwargs) or 0)
    db = tmp_path / "t.db"
    result = CliRunner().invoke(cli, ["emulator", "--port", "9001", "--db", str(db), "--token", "t0k",
                                      "--allow-remote-callbacks"])
    assert result.exit_code == 0, result.output
    assert seen == [{"host": "127.0.0.1", "port": 9001, "db": db, "token": "t0k", "allow_remote_callbacks": True}]
    result = CliRunner().invoke(cli, ["emulator"])
    assert seen[-1] == {"host": "127.0.0.1", "port": 8765, "db": None, "token": None, "allow_remote_callbacks": False}
