"""A delimited file cut into blocks of whole records, each behind the file's header line, a few MiB at a time.

A block ends at a line break outside quotes: RFC 4180 writes a quote inside a field as two, so a line break
ends a record exactly when an even number of quote characters comes before it. The parity is counted once per
segment between line breaks, so finding the cut is linear in the block; a record longer than a block makes the
block grow until it ends, up to `max_record` bytes. Each block starts with the header line (BOM removed): a
parser takes the field count from a block's first line, so a block that began with a blank line or a short row
would otherwise fail, or shift. Used for the tenant's exports (`state.csv_chunks`) and large sources
(`sources.parse`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO

BOM = b"\xef\xbb\xbf"


class RecordTooLong(Exception):
    """A record (or a quote that never closes) runs past the record limit; the caller says what that means."""


def header_line(handle: IO[bytes], max_record: int) -> bytes:
    """The first line (BOM removed), read under the record limit: a file without a line break is not gathered."""
    first = handle.readline(max_record + 1)
    if len(first) > max_record:
        raise RecordTooLong
    return first.removeprefix(BOM)


def record_blocks(path: Path, block_bytes: int, max_record: int, quote: bytes = b'"') -> Iterator[bytes]:
    """The bytes after the header line, cut into blocks that each end at a record boundary, each block preceded
    by the header line."""
    with path.open("rb") as handle:
        head = header_line(handle, max_record)
        rest = b""
        while True:
            block = handle.read(block_bytes)
            data = rest + block if rest else block
            if not block:
                if data.strip():
                    yield head + data
                return
            cut = last_record_end(data, quote)
            if not cut and len(data) > max_record:
                raise RecordTooLong
            rest = data[cut:]
            if cut:
                yield b"".join((head, memoryview(data)[:cut]))  # one copy, not two


def last_record_end(data: bytes, quote: bytes = b'"') -> int:
    """The offset just after the last line break of `data` that lies outside quotes (0: none does)."""
    quotes_before = data.count(quote)
    end = len(data)
    while (at := data.rfind(b"\n", 0, end)) >= 0:
        quotes_before -= data.count(quote, at, end)  # quotes in the segment from this break to the last one
        if quotes_before % 2 == 0:
            return at + 1
        end = at
    return 0
