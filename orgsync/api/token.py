"""What a token says about itself: the JWT `exp` / `nbf` claims, read without verifying the signature.

Only dates are taken from it (to say when a token expired or will); the token itself is never shown.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

import orjson


def claims(token: str | None) -> dict[str, object]:
    """The JWT payload claims of `token`, or {} when it is not a readable JWT (no verification: dates only)."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[1]:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        data = orjson.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _instant(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def expires_at(token: str | None) -> datetime | None:
    """When the token stops working (JWT `exp`), or None when it does not say."""
    return _instant(claims(token).get("exp"))


def starts_at(token: str | None) -> datetime | None:
    """When the token starts working (JWT `nbf`), or None when it does not say."""
    return _instant(claims(token).get("nbf"))


def when(moment: datetime) -> str:
    """A date for messages: `2026-11-30 14:02 UTC`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
