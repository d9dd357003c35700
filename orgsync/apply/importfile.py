"""Build one async import file: the gzip JSON array of a batch's actions, streamed from the plan's rows.

Why streamed: a file of 100,000 actions at 30 properties is ~50 MB of JSON. Joining every body into one
string, encoding it and compressing it held that JSON two or three times over, plus a Python string per
action; here each chunk of bodies (`Encoded.chunks`) is joined by polars and written to the gzip stream, so
encoding a file holds one chunk's JSON (~10 MB) and the compressed output (~1/8 of the JSON) only.
The bytes on the wire are what `api.files.gzip_bytes` of the whole array gives once gunzipped (the
documented import format: a JSON array of actions, gzip), at the same compression level (ISA-L's).
"""

from __future__ import annotations

import io
from typing import Protocol

import polars as pl

from orgsync.api.files import gzip_writer
from orgsync.apply.actions import Encoded
from orgsync.apply.batching import Batch


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


def import_file(encoded: Encoded, batch: Batch) -> bytes:
    """The gzip JSON array of one async batch's actions, as the import uploads it (CPU work, run in a thread)."""
    out = io.BytesIO()
    with gzip_writer(out) as gz:
        write_json_array(encoded, batch.start, batch.stop, gz)
    return out.getvalue()


def write_json_array(encoded: Encoded, start: int, stop: int, out: Writable) -> int:
    """Write the JSON array of actions `start:stop` to `out`, chunk by chunk; returns the bytes written."""
    written = out.write(b"[")
    first = True
    for chunk in encoded.chunks(start, stop):
        if not chunk.len():
            continue
        if not first:
            written += out.write(b",")
        written += out.write(joined(chunk))
        first = False
    return written + out.write(b"]")


def joined(chunk: pl.Series) -> bytes:
    """The bodies of one chunk joined by commas, as UTF-8 bytes (polars joins; the Binary cast is a view)."""
    data = chunk.str.join(",").cast(pl.Binary).item()
    assert isinstance(data, bytes)
    return data
