"""The `SourceError`s every source parser raises alike (one place, so CSV and JSON messages read the same)."""

from __future__ import annotations

from orgsync.errors import Location, Problem, SourceError

MAX_LISTED = 20  # per kind of problem: more are counted, not listed


def source_error(shown: str, line: int | None, message: str, field: str | None = None) -> SourceError:
    """One problem in file `shown` at `line` (None: the whole file)."""
    return SourceError(Problem(Location(shown, line), message, field))
