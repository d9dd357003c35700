"""`orgsync emulator` hands its options to the server unchanged."""

from __future__ import annotations

from pathlib import Path

from orgsync.emulator import server
from orgsync.emulator.limits import Limits
from tests.support.cli import orgsync


def test_emulator_options_reach_the_server(monkeypatch, tmp_path: Path) -> None:
    seen: list[dict] = []
    monkeypatch.setattr(server, "serve", lambda **kwargs: seen.append(kwargs) or 0)
    db = tmp_path / "t.db"
    code, out, err = orgsync(
        "emulator", "--port", "9001", "--db", str(db), "--token", "t0k", "--allow-remote-callbacks"
    )
    assert code == 0, out + err
    assert seen == [
        {
            "host": "127.0.0.1",
            "port": 9001,
            "db": db,
            "token": "t0k",
            "allow_remote_callbacks": True,
            "limits": Limits(),
            "temp_file_links": None,
        }
    ]
    code, out, err = orgsync("emulator")
    assert seen[-1] == {
        "host": "127.0.0.1",
        "port": 8765,
        "db": None,
        "token": None,
        "allow_remote_callbacks": False,
        "limits": Limits(rps=100, in_flight=50, daily_quota=500_000, sync_put_max_bytes=6_000_000),
        "temp_file_links": None,
    }
    code, out, err = orgsync(
        "emulator",
        "--max-rps",
        "5",
        "--max-in-flight",
        "2",
        "--daily-quota",
        "0",
        "--max-sync-body",
        "1000",
    )
    assert code == 0, out + err
    assert seen[-1]["limits"] == Limits(rps=5, in_flight=2, daily_quota=0, sync_put_max_bytes=1000)
    # D/recipes/import-integration-async/ names no temporary-file fields: the emulator serves either style
    for style, links in (("links", True), ("flat", False)):
        code, out, err = orgsync("emulator", "--temp-files", style)
        assert code == 0, out + err
        assert seen[-1]["temp_file_links"] is links


def test_emulator_says_where_it_listens_and_keeps_data(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(server, "serve", lambda **kwargs: 0)
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    code, out, err = orgsync("emulator", "--port", str(port), "--db", str(tmp_path / "t.db"))
    assert code == 0
    assert err == (
        f"Orgvue API emulator listening on http://127.0.0.1:{port} (data in "
        f"{(tmp_path / 't.db').resolve()}). Ctrl-C stops it.\n"
    )


def test_a_port_in_use_is_one_line_and_exit_1(monkeypatch) -> None:
    import socket

    monkeypatch.setattr(server, "serve", lambda **kwargs: 0)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, out, err = orgsync("emulator", "--port", str(port))
    assert code == 1
    assert err == (
        f"Error: cannot listen on 127.0.0.1:{port}: address already in use\n"
        "  hint: stop the other server, or pass another --port\n"
    )
