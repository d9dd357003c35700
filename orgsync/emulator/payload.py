"""Reading item-operation payloads (JSON array, CSV or TSV, optionally gzip) in bounded chunks.

A million 30-property actions as Python dicts would take ~3 GB, so files are decoded one element at a
time and handed on in chunks; CSV/TSV go through polars with every cell kept as a string.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from typing import Any

import polars as pl

from orgsync.emulator.errors import ApiError

CHUNK = 20_000
_WS = " \t\r\n"


def payload_error(message: str) -> ApiError:
    return ApiError(400, "400011", "InvalidPayload", message)


def decompress(data: bytes) -> bytes:
    """Gunzip when the bytes are gzip (by their magic number); anything else is returned unchanged."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise payload_error(f"the file looks gzip-compressed but cannot be decompressed: {exc}") from None


def iter_actions(data: bytes, fmt: str | None = None) -> Iterator[list[Any]]:
    """Yield the file's item operations in chunks; `fmt` (json/csv/tsv) wins over sniffing."""
    data = decompress(data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    head = data.lstrip()[:1]
    if fmt == "json" or (fmt is None and head in (b"[", b"")):
        text = _decode(data)
        del data  # the decoded text is all that is needed; a 500 MB payload should not be held twice
        yield from _iter_json(text)
    else:
        sep = "\t" if fmt == "tsv" or (fmt is None and b"\t" in data.split(b"\n", 1)[0]) else ","
        yield from _iter_csv(data, sep)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise payload_error(f"the file is not UTF-8: {exc}") from None


def _iter_json(text: str) -> Iterator[list[Any]]:
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    if pos >= len(text) or text[pos] != "[":
        raise payload_error("a JSON payload must be an array of item operations")
    pos = _skip(text, pos + 1)
    chunk: list[Any] = []
    if pos < len(text) and text[pos] == "]":
        return
    while True:
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise payload_error(f"invalid JSON at character {exc.pos}: {exc.msg}") from None
        chunk.append(item)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "]" and _skip(text, pos + 1) == len(text):
            break
        raise payload_error(f"invalid JSON at character {pos}: expected ',' or ']' in the array")
    if chunk:
        yield chunk


def _skip(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in _WS:
        pos += 1
    return pos


def _iter_csv(data: bytes, sep: str) -> Iterator[list[Any]]:
    try:
        frame = pl.read_csv(data, separator=sep, infer_schema=False, truncate_ragged_lines=False)
    except pl.exceptions.PolarsError as exc:
        raise payload_error(f"the CSV payload cannot be read: {exc}") from None
    if "_action" not in frame.columns:
        raise payload_error("a CSV payload needs an _action column")
    for offset in range(0, frame.height, CHUNK):
        yield frame.slice(offset, CHUNK).to_dicts()
