"""The optional parts a manifest may need (pyproject's extras): which extra each source needs, the error that
names a missing one, and the requirements `orgsync extras` hands to pip (the Action installs exactly those)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from orgsync.errors import Location, Problem, SourceError
from orgsync.manifest.models import DatabaseSource, FileSource, Project
from orgsync.repository import install_command
from orgsync.secrets import resolve_secret
from orgsync.sources.parse import detect_format

# extra -> the modules it provides (the last is the one `load` returns); a connection scheme -> its extra.
# A database extra brings pyarrow too: the bounded read of a result (database.py) goes batch by batch.
MODULES = {
    "xlsx": ("fastexcel",),
    "parquet": ("pyarrow.parquet",),
    "postgresql": ("pyarrow", "adbc_driver_postgresql.dbapi"),
    "sqlite": ("pyarrow", "adbc_driver_sqlite.dbapi"),
    "snowflake": ("pyarrow", "adbc_driver_snowflake.dbapi"),
    "bigquery": ("pyarrow", "adbc_driver_bigquery.dbapi"),
}
SCHEMES = {"postgresql": "postgresql", "postgres": "postgresql", "sqlite": "sqlite"} | {
    name: name for name in ("snowflake", "bigquery")
}


class MissingExtra(ImportError):
    """An extra a manifest needs is not installed; the message says which and how to install it."""

    def __init__(self, extra: str, what: str) -> None:
        super().__init__(
            f"{what} needs the `{extra}` extra, which is not installed: {install_command(extras=extra)} "
            "(the orgsync Action installs the extras the manifests need by itself)"
        )
        self.extra = extra


def load(extra: str, what: str) -> object:
    """The module of `extra` (e.g. the PostgreSQL driver's dbapi); raises `MissingExtra` naming it."""
    try:
        return [importlib.import_module(name) for name in MODULES[extra]][-1]
    except ImportError:
        raise MissingExtra(extra, what) from None


def require(extra: str, what: str, shown: str, field: str | None = None) -> None:
    """Raise a `SourceError` at `shown` when `extra` is not installed."""
    try:
        load(extra, what)
    except MissingExtra as err:
        raise SourceError(Problem(Location(shown), str(err), field)) from None


def needed(project: Project, env: Mapping[str, str]) -> list[str]:
    """The extras the project's sources need, sorted: xlsx and Parquet readers, and the drivers of database connections (a
    connection's scheme is read from its variable when set, never shown; unset, validate reports it)."""
    found: set[str] = set()
    for manifest in project.manifests:
        items = manifest.items
        if items is None:
            continue
        inputs = list((items.sources or {}).values()) if items.sources is not None else [items.source]
        for spec in inputs:
            if isinstance(spec, DatabaseSource):
                try:
                    url = resolve_secret(spec.connection.env, env).value
                except Exception:  # unset or invalid: validate says so
                    continue
                scheme = re.split(r":", url, maxsplit=1)[0].lower()
                if scheme in SCHEMES:
                    found.add(SCHEMES[scheme])
                continue
            override = spec.format if isinstance(spec, FileSource) else items.format
            paths = spec.path if isinstance(spec, FileSource) else spec
            for path in [paths] if isinstance(paths, str) else paths or []:
                try:
                    fmt = override or detect_format(Path(path))[0]
                except ValueError:
                    continue
                if fmt in ("xlsx", "parquet"):
                    found.add(fmt)
    return sorted(found)


def requirements(extras: list[str]) -> list[str]:
    """The pip requirements of `extras`, from orgsync's installed metadata (`adbc-driver-sqlite>=1.0`, ...)."""
    wanted = set(extras)
    lines = []
    for requirement in metadata.requires("orgsync") or []:
        spec, _, marker = requirement.partition(";")
        extra = re.search(r"""extra\s*==\s*["']([\w-]+)["']""", marker)
        if extra and extra[1] in wanted and not spec.strip().startswith("orgsync"):
            lines.append(spec.strip())
    return sorted(dict.fromkeys(lines))
