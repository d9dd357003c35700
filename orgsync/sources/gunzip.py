"""Decompress a `.gz` source in bounded chunks: a 2 MB bomb must not become 2 GiB in memory.

Stops at the decompressed-size limit, and at the ratio limit (output so far / input read so far) once the output is past `RATIO_FLOOR` (small
files of repeated values compress very well and are harmless). ResourceLimits come from `orgsync.limits` (environment).
"""

from __future__ import annotations

import zlib

from orgsync.limits import MiB, ResourceLimits, limits_from
from orgsync.sources.source_errors import source_error

CHUNK = 8 * MiB
RATIO_FLOOR = 64 * MiB  # below this output size the ratio is not checked


def gunzip_bounded(data: bytes, shown: str, limits: ResourceLimits | None = None) -> bytes:
    """The decompressed bytes of every gzip member of `data`, or `SourceError` when a limit is passed."""
    limits = limits or limits_from()
    out = bytearray()
    rest = data
    while rest:
        inflater = zlib.decompressobj(wbits=31)
        pending = rest
        while not inflater.eof:
            try:
                chunk = inflater.decompress(pending, CHUNK)
            except zlib.error as err:
                raise source_error(
                    shown, None, f"not a readable gzip file ({err}); re-compress it with gzip"
                ) from None
            out += chunk
            pending = inflater.unconsumed_tail
            consumed = len(data) - len(pending) - len(inflater.unused_data)  # input bytes read so far
            _check(len(out), consumed, shown, limits)
            if not chunk and not pending and not inflater.eof:
                raise source_error(
                    shown,
                    None,
                    "not a readable gzip file (truncated: the stream ends early); re-compress it with gzip",
                )
        rest = inflater.unused_data.lstrip(b"\x00")
    return bytes(out)


def _check(size: int, compressed: int, shown: str, limits: ResourceLimits) -> None:
    if size > limits.gzip_bytes:
        raise source_error(
            shown,
            None,
            f"decompresses to more than {limits.gzip_bytes} bytes (the limit "
            f"{limits.describe('gzip_bytes')}); raise it in the CI environment if "
            "the file is genuine",
        )
    if size > RATIO_FLOOR and size > limits.gzip_ratio * max(compressed, 1):
        raise source_error(
            shown,
            None,
            f"decompresses more than {limits.gzip_ratio}× its compressed size "
            f"(the limit {limits.describe('gzip_ratio')}), like a decompression bomb; "
            "raise it in the CI environment if the file is genuine",
        )
