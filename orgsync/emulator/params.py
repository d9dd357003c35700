"""The query parameters of the items, export and async endpoints, parsed into plain values."""

from __future__ import annotations

from orgsync.emulator.errors import bad_query
from orgsync.emulator.model import Dataset
from orgsync.emulator.transaction import ImportOptions
from orgsync.emulator.values import ImportTokens


def import_options(q: dict[str, str], ds: Dataset, *, links: bool) -> ImportOptions:
    """The items query parameters (`items-query-parameters.txt`) of one request."""
    tokens = ImportTokens.from_query(q.get("dateFormat"), q.get("clearToken"), q.get("noopToken"))
    mode, keys = ("links", ()) if links else id_mode(q, ds)
    return ImportOptions(
        mode=mode,
        keys=keys,
        fail_on_invalid=choice(q, "onActionValidationFailure", ("failTransaction", "skipAction"))
        == "failTransaction",
        fail_on_denied=choice(q, "onItemAccessDenied", ("failTransaction", "skipAction"))
        == "failTransaction",
        skip_denied_property=choice(q, "onPropertyAccessDenied", ("denyItemAccess", "skipProperty"))
        == "skipProperty",
        implicit_delete=flag(q, "implicitDelete"),
        tokens=tokens,
    )


def flag(q: dict[str, str], name: str, default: bool = False) -> bool:
    """A boolean query parameter: true/false (any case), absent or empty = the default."""
    value = q.get(name)
    if value is None or value == "":
        return default
    if value.lower() not in ("true", "false"):
        raise bad_query(name, f"{name} must be true or false, got {value!r}")
    return value.lower() == "true"


def choice(q: dict[str, str], name: str, options: tuple[str, str]) -> str:
    """An enum query parameter; the first option is the default."""
    value = q.get(name) or options[0]
    if value not in options:
        raise bad_query(name, f"{name} must be one of {', '.join(options)}, got {value!r}")
    return value


def line_endings(q: dict[str, str]) -> bool:
    """Whether `lineEndings=unix` was asked for (the documented default is windows)."""
    return choice(q, "lineEndings", ("windows", "unix")) == "unix"


def id_mode(q: dict[str, str], ds: Dataset) -> tuple[str, tuple[str, ...]]:
    """Which identification mode the query asks for; only one of autoId, idKey, mergeKey."""
    auto = flag(q, "autoId")
    chosen = [
        name
        for name, on in (
            ("autoId", auto),
            ("idKey", bool(q.get("idKey"))),
            ("mergeKey", bool(q.get("mergeKey"))),
        )
        if on
    ]
    if len(chosen) > 1:
        raise bad_query(chosen[1], f"use only one of autoId, idKey and mergeKey (got {', '.join(chosen)})")
    if not chosen:
        return "_id", ()
    if chosen[0] == "autoId":
        return "autoId", (ds.config["autoId"],)
    keys = tuple(k.strip() for k in q[chosen[0]].split(",") if k.strip())
    unknown = [k for k in keys if k not in ds.types()]
    if not keys or unknown:
        raise bad_query(
            chosen[0],
            f"{chosen[0]} must name properties of the dataset (unknown: {', '.join(unknown) or 'none given'})",
        )
    return chosen[0], keys
