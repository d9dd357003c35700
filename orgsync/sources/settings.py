"""How one input is read: the `items:` file settings, overridden by a `sources:` entry's own, as one value."""

from __future__ import annotations

from dataclasses import dataclass

from orgsync.manifest.models import FileSource, ItemsSpec

_FIELDS = (
    "format",
    "delimiter",
    "quote",
    "encoding",
    "decimalSeparator",
    "thousandsSeparator",
    "sheet",
    "headerRow",
)


@dataclass(frozen=True)
class ReadSettings:
    """Resolved file settings of one input (None: the format's default)."""

    format: str | None = None
    delimiter: str | None = None
    quote: str | None = None
    encoding: str | None = None
    decimalSeparator: str | None = None
    thousandsSeparator: str | None = None
    sheet: str | int | None = None
    headerRow: int | None = None


def settings_of(items: ItemsSpec, entry: FileSource | None = None) -> ReadSettings:
    """`items`' settings, each replaced by `entry`'s where the entry sets it."""
    values = {name: getattr(items, name) for name in _FIELDS}
    if entry is not None:
        values |= {name: getattr(entry, name) for name in _FIELDS if getattr(entry, name) is not None}
    return ReadSettings(**values)
