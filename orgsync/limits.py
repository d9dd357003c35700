"""Bounds on the work a hostile repository or answer can cause; raised only from the environment.

The repository (manifests, sources, orgsync.yaml) is attacker-controlled in CI, so no limit is read from it.
Each default fits a 2M-row tenant; `ORGSYNC_LIMIT_<NAME>` (e.g. `ORGSYNC_LIMIT_GZIP_BYTES=8GiB`) raises it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields

from orgsync.errors import ConfigError

ENV_PREFIX = "ORGSYNC_LIMIT_"
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")
MiB = 1024**2
GiB = 1024**3


@dataclass(frozen=True)
class ResourceLimits:
    """Every bound, with its default; the field name upper-cased is its environment suffix."""

    manifest_bytes: int = 4 * MiB  # one manifest or orgsync.yaml file
    yaml_aliases: int = 100  # alias uses per YAML file (anchors are for small reuse, not bombs)
    yaml_nodes: int = 200_000  # nodes composed per YAML file, aliases expanded
    yaml_depth: int = 64  # nesting of mappings/lists
    gzip_bytes: int = 8 * GiB  # decompressed size of one .gz source (2M rows × wide HR rows fit)
    gzip_ratio: int = 200  # decompressed / compressed; CSV compresses 5-20×, bombs 1000×
    answer_bytes: int = 256 * MiB  # one JSON API answer held in memory
    download_bytes: int = 16 * GiB  # one export/result file, streamed to disk
    request_seconds: float = 900.0  # overall deadline of one request (connect + send + whole answer)
    source_rows: int = 10_000_000  # rows of one source: a file, a database result, a query output
    source_columns: int = 2_000  # columns of one source (CSV header, JSON keys, xlsx, Parquet, database)
    source_cells: int = 400_000_000  # rows × columns of one source (2M rows × 200 columns)
    json_sparsity: int = 64  # JSON cells (records × distinct keys) per value present, past 10M cells
    source_bytes: int = 4 * GiB  # decoded size of one Parquet file or database result in memory
    xlsx_cells: int = 64 * MiB  # cells a sheet spans (calamine allocates its whole area: ~40 B per cell)
    query_bytes: int = 8 * GiB  # address space of the process that runs one `items.query`
    template_value_chars: int = 64 * 1024  # what one templated manifest value may render to
    template_file_chars: int = 4 * MiB  # all templated values of one manifest file (aliases counted)
    template_total_chars: int = 64 * MiB  # all templated values of the repository
    plan_bytes: int = 4 * GiB  # one saved plan file (`plan --out`), read whole: a 2M-row first load fits

    def describe(self, name: str) -> str:
        """How a message names the limit and the way to raise it."""
        return f"{ENV_PREFIX}{name.upper()}={getattr(self, name)}"


def limits_from(env: Mapping[str, str] | None = None) -> ResourceLimits:
    """The limits, each default replaced by `ORGSYNC_LIMIT_<NAME>` when set (sizes take KiB/MiB/GiB/KB...)."""
    env = os.environ if env is None else env
    values: dict[str, int | float] = {}
    for f in fields(ResourceLimits):
        raw = env.get(ENV_PREFIX + f.name.upper())
        if raw is None or not raw.strip():
            continue
        values[f.name] = _parse(f.name, raw, float if f.type in ("float", float) else int)
    return ResourceLimits(**values)  # type: ignore[arg-type]


def _parse(name: str, raw: str, kind: type) -> int | float:
    match = _SIZE.fullmatch(raw)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise ConfigError(
            f"{ENV_PREFIX}{name.upper()}={raw!r} is not a number; expected e.g. 1000, 512MiB or 2GiB"
        )
    value = float(match.group(1)) * _UNITS[unit]
    if value <= 0:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be positive, got {raw!r}")
    return value if kind is float else int(value)
