"""A transcript handed to `orgsync emulator --compare` (attached to an issue, sent by a colleague) is hostile
input: its probe names, header names, body keys and values cannot write escape sequences to the terminal, and a
malformed probe is a clear error naming the file, never a traceback."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest

from orgsync.api.transcript import FORMAT
from orgsync.commands.emulator_compare import run_compare
from orgsync.errors import ConfigError

OSC_LINK = "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07"


def _transcript(tmp_path: Path, probes: list[object]) -> Path:
    path = tmp_path / "real.json"
    path.write_bytes(orjson.dumps({"format": FORMAT, "probes": probes}))
    return path


def test_escape_sequences_in_a_transcript_reach_the_terminal_escaped(tmp_path: Path) -> None:
    path = _transcript(
        tmp_path,
        [
            {"probe": f"x{OSC_LINK}", "status": 200},
            {"probe": "datasets.list", "status": "\x1b[2J", "body": {f"k\x1b[31m{OSC_LINK}": "v"}},
        ],
    )
    out = io.StringIO()

    assert run_compare(path, stdout=out) == 1

    printed = out.getvalue()
    assert "\x1b" not in printed and "\x07" not in printed
    assert (
        "  x\\x1b]8;;https://evil.example\\x07click\\x1b]8;;\\x07: recorded, but the emulator was not probed so"
        in (printed.splitlines())
    )
    assert "  datasets.list: status \\x1b[2J recorded, 200 from the emulator" in printed.splitlines()


@pytest.mark.parametrize(
    "probe", [["a list"], {"probe": ["unhashable"]}, {"probe": "datasets.list", "headers": ["x"]}]
)
def test_a_malformed_probe_is_a_clear_error(tmp_path: Path, probe: object) -> None:
    path = _transcript(tmp_path, [probe])

    with pytest.raises(ConfigError) as err:
        run_compare(path, stdout=io.StringIO())

    assert "not an orgsync transcript" in str(err.value) and "real.json" in str(err.value)
