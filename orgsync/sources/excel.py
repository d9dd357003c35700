"""Excel `.xlsx` sources through polars' calamine reader (fastexcel, the `xlsx` extra): a sheet by name or number,
a header row.

Cells keep their Excel types (numbers, dates, booleans, text); `typed.text_frame` turns them into source
text. Row numbers are the sheet's, so a message points at the row a user sees in Excel.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from orgsync.sources.extras import require
from orgsync.sources.parse import RawSource
from orgsync.sources.settings import ReadSettings
from orgsync.sources.source_errors import source_error

_ROW = "__row"


def read_xlsx(path: Path, settings: ReadSettings, shown: str) -> RawSource:
    """The sheet as a typed frame with sheet row numbers; fully blank rows are dropped."""
    require("xlsx", "an .xlsx source", shown)
    header = settings.headerRow or 1
    sheet = settings.sheet
    where = {"sheet_name": sheet} if isinstance(sheet, str) else {"sheet_id": sheet or 1}
    try:
        frame = pl.read_excel(
            path,
            engine="calamine",
            read_options={"header_row": header - 1},
            infer_schema_length=None,
            drop_empty_rows=False,
            drop_empty_cols=False,
            raise_if_empty=False,
            **where,
        )
    except Exception as err:  # fastexcel raises its own classes (sheet not found, not a zip...)
        text = str(err).splitlines()[0] if str(err) else type(err).__name__
        if "not found" in text.lower() or "out of range" in text.lower() or "sheet" in text.lower():
            raise source_error(
                shown,
                None,
                f"cannot read sheet {sheet or 1!r}: {text}; expected an existing "
                "sheet name or 1-based number in `sheet:`",
                "items.sheet",
            ) from None
        raise source_error(shown, None, f"cannot be read as an xlsx workbook: {text}") from None
    if not frame.width:
        raise source_error(shown, header, "the sheet is empty; expected a header row with column names")
    frame = frame.with_row_index(_ROW, offset=header + 1)
    columns = [c for c in frame.columns if c != _ROW]
    blank = frame.select(pl.all_horizontal(pl.col(c).is_null() for c in columns)).to_series()
    frame = frame.filter(~blank)
    return RawSource(frame.select(columns), frame[_ROW].cast(pl.Int64), "row", excel=True)


def read_parquet(path: Path, shown: str) -> RawSource:
    """A Parquet file as a typed frame; records are numbered from 1."""
    try:
        frame = pl.read_parquet(path)
    except Exception as err:  # polars raises ComputeError / OSError variants for a damaged file
        raise source_error(shown, None, f"cannot be read as Parquet: {str(err).splitlines()[0]}") from None
    return RawSource(
        frame, pl.int_range(1, frame.height + 1, eager=True, dtype=pl.Int64).alias(_ROW), "record"
    )
