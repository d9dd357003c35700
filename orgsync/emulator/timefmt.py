"""Timestamps as the API writes them: ISO 8601 UTC with milliseconds (`2022-03-20T17:53:23.282Z`)."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(ts: float) -> str:
    """Epoch seconds as the API's timestamp text."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"
