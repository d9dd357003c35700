"""The `importLocation` and `resultLocation` objects of async request bodies (D/items/drafts/).

`importLocation: {"method": "GET", "url"}` says where an import reads its file; `resultLocation:
{"method": "PUT", "url"}` where a job also writes its result. Both are checked when the job is requested.
"""

from __future__ import annotations

from typing import Any

from orgsync.emulator.errors import bad_body


def _location(body: dict[str, Any], field: str, method: str) -> str:
    spec = body[field]
    if not isinstance(spec, dict):
        raise bad_body(
            f'{field} must be an object {{"method": "{method}", "url": "https://…"}}', f"$.{field}"
        )
    if spec.get("method") != method:
        raise bad_body(f"{field}.method must be {method!r}", f"$.{field}.method")
    url = spec.get("url")
    if not isinstance(url, str) or not url:
        raise bad_body(f"{field}.url must be a non-empty URL string", f"$.{field}.url")
    return url


def import_url(body: Any) -> str:
    """The read URL of an async import (`importLocation`, required); the first edition's `location` is refused."""
    if not isinstance(body, dict) or body.get("importLocation") is None:
        hint = (
            " (not location: the documented field is importLocation)"
            if isinstance(body, dict) and "location" in body
            else ""
        )
        raise bad_body(
            'the body needs importLocation: {"method": "GET", "url": <the temporary file\'s read URL>}'
            + hint,
            "$.importLocation",
        )
    return _location(body, "importLocation", "GET")


def result_url(body: Any) -> str | None:
    """Where an async job should also deliver its result (`resultLocation`, optional)."""
    if not isinstance(body, dict) or body.get("resultLocation") is None:
        return None
    return _location(body, "resultLocation", "PUT")
