"""Run one `items.query` in a child process whose address space is capped (`ORGSYNC_LIMIT_QUERY_BYTES`).

polars aborts the whole process when an allocation fails (`LPAD(id, 400000000)`, a join that multiplies
rows), so the query runs here, apart: `python -m orgsync.sources.query_worker DIR BYTES` reads `DIR/query.sql`
and one Arrow IPC file per named source (`DIR/<n>.arrow`, names in `DIR/names`), and writes `DIR/out.arrow`,
or the error's text to `DIR/error.txt` (exit 2). Killed by the cap, it exits by a signal or with an
allocation error, which the parent reports as the limit (never a traceback or an abort of orgsync itself).
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def main(folder: Path, budget: int, max_bytes: int) -> int:
    """Run the query of `folder` under an address-space cap of `budget` bytes; its output at most `max_bytes`."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
    except (
        ValueError,
        OSError,
    ):  # macOS refuses RLIMIT_AS below its reservation: the query runs uncapped there
        pass
    import polars as pl

    names = (folder / "names").read_text(encoding="utf-8").split("\n")
    frames = {name: pl.read_ipc(folder / f"{index}.arrow").lazy() for index, name in enumerate(names)}
    try:
        out = (
            pl.SQLContext(frames, register_globals=False)
            .execute((folder / "query.sql").read_text(encoding="utf-8"), eager=False)
            .collect()
        )
        if out.estimated_size() > max_bytes:
            (folder / "too_big").write_text(str(out.estimated_size()))
            return 3
        out.write_ipc(folder / "out.arrow")
    except MemoryError:
        return 4
    except Exception as err:  # noqa: BLE001 - any polars error is the query's, reported by the parent
        (folder / "error.txt").write_text(str(err) or type(err).__name__, encoding="utf-8")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
