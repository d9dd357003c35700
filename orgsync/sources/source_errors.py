"""The `SourceError`s every source parser raises alike (one place, so CSV and JSON messages read the same)."""

from __future__ import annotations

from orgsync.errors import Location, Problem, SourceError

MAX_LISTED = 20  # per kind of problem: more are counted, not listed


def source_error(shown: str, line: int | None, message: str, field: str | None = None) -> SourceError:
    """One problem in file `shown` at `line` (None: the whole file)."""
    return SourceError(Problem(Location(shown, line), message, field))


def undecodable(data: bytes, shown: str) -> SourceError:
    """The error for the first byte that is not UTF-8, with its line."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return source_error(
            shown,
            line,
            f"byte 0x{data[err.start]:02x} at line {line} is not valid UTF-8; "
            "expected UTF-8 text (re-export the file as UTF-8)",
        )
    return source_error(shown, None, "the file could not be decoded as UTF-8")
