"""Transcripts of API answers that carry no secret, value or name, and where two transcripts differ.

`orgsync doctor --record FILE` writes one from a real tenant; `orgsync emulator --compare FILE` compares it with the
emulator's. An entry keeps: the probe's name, the method, the path with ids and the tenant as placeholders (storage
URLs as `{presigned}`), the query parameter names, the status, the answer's header names (values only for
X-Amzn-Trace-Id, Retry-After and rate-limit headers), and the body's shape: object keys and value types, never a
value. Error answers also keep their documented `code`/`name` (enumerations of the API, not tenant data).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

FORMAT = "orgsync-transcript/1"
VALUE_HEADERS = (
    "x-amzn-trace-id",
    "retry-after",
)  # their values say something about the service, not the data
_RATE = re.compile(r"rate-?limit|quota", re.IGNORECASE)
_UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
_API = re.compile(r"^(?:/.*)?/api/v1/[^/]+(/.*)?$")
_ID_AFTER = {"datasets": "{datasetId}", "links": "{linksDatasetId}", "drafts": "{draftId}", "jobs": "{jobId}"}
_KEY = re.compile(
    r"^[A-Za-z_$][A-Za-z0-9_:$.\-]{0,63}$"
)  # an API field name; anything else is shown as <key>
_CODE = re.compile(r"^[0-9]{3,8}$")
_NAME = re.compile(r"^[A-Za-z]{1,60}$")
# keys a dataset resource has only when its configuration uses them: not compared (the emulator's seed differs)
DATA_DEPENDENT = frozenset({"tags", "treeId", "treeParentId", "description", "formula", "onDemand"})


def value_header(name: str) -> bool:
    """Whether a response header's value may be written to a transcript."""
    lower = name.lower()
    return lower in VALUE_HEADERS or bool(_RATE.search(lower))


def placeholder_path(url: str) -> str:
    """The URL's path with the tenant and ids as placeholders; a URL outside the API (storage) is `{presigned}`."""
    path = urlsplit(url).path
    match = _API.match(path)
    if not match:
        return "{presigned}"
    parts = [p for p in (match.group(1) or "").split("/") if p]
    out = []
    for i, part in enumerate(parts):
        previous = parts[i - 1] if i else ""
        if previous in _ID_AFTER and _UUID.match(part):
            out.append(_ID_AFTER[previous])
        elif _UUID.match(part):
            out.append("{id}")
        else:
            out.append(part if _KEY.match(part) else "{segment}")
    return "/api/v1/{tenantId}" + "".join(f"/{p}" for p in out)


def shape(value: Any) -> Any:
    """Keys and value types of a JSON value, never a value: an array's elements merged into one shape."""
    if isinstance(value, dict):
        return {(k if _KEY.match(k) else "<key>"): shape(v) for k, v in value.items()}
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            merged = _merge(merged, shape(item))
        return [] if merged is None else [merged]
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return "string"


def _merge(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if isinstance(a, dict) and isinstance(b, dict):
        return {
            k: _merge(a.get(k), b.get(k)) if k in a and k in b else a.get(k, b.get(k)) for k in {**a, **b}
        }
    if isinstance(a, list) and isinstance(b, list):
        return [_merge(a[0] if a else None, b[0] if b else None)] if a or b else []
    if a == b:
        return a
    kinds = sorted(
        {
            *(a.split("|") if isinstance(a, str) else ["object"]),
            *(b.split("|") if isinstance(b, str) else ["object"]),
        }
    )
    return "|".join(kinds)


def entry(probe: str, response: httpx.Response) -> dict[str, Any]:
    """One transcript entry from a raw answer (its request included)."""
    request = response.request
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower() or None
    body: Any = None
    codes: list[str] = []
    if response.content:
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = {"<not JSON>": kind or "unknown"}
        else:
            body = shape(data)
            codes = _error_codes(data)
    out: dict[str, Any] = {
        "probe": probe,
        "method": request.method,
        "path": placeholder_path(str(request.url)),
        "query": sorted({k if _KEY.match(k) else "<key>" for k, _ in request.url.params.multi_items()}),
        "requestContentType": "Content-Type" in request.headers or "content-type" in request.headers,
        "status": response.status_code,
        "headers": {
            name.lower(): (value if value_header(name) else None)
            for name, value in sorted(response.headers.items())
        },
        "contentType": kind,
        "body": body,
    }
    if codes:
        out["errorCodes"] = codes
    return out


def _error_codes(data: Any) -> list[str]:
    """`code name` of each documented error entry (API enumerations: no tenant data)."""
    entries = data.get("errors") if isinstance(data, dict) else None
    out = []
    for e in entries if isinstance(entries, list) else []:
        if isinstance(e, dict):
            code, name = str(e.get("code", "")), str(e.get("name", ""))
            out.append(
                " ".join(
                    x for x in (code if _CODE.match(code) else "", name if _NAME.match(name) else "") if x
                )
            )
    return out


def compare(recorded: dict[str, Any], emulated: dict[str, Any]) -> list[str]:
    """Where the emulator's transcript differs from a recorded one, one line each (empty: none)."""
    ours = {e["probe"]: e for e in emulated.get("probes", [])}
    lines: list[str] = []
    for theirs in recorded.get("probes", []):
        name = theirs.get("probe")
        mine = ours.get(name)
        if mine is None:
            lines.append(f"{name}: recorded, but the emulator was not probed so")
            continue
        if theirs.get("status") != mine.get("status"):
            lines.append(
                f"{name}: status {theirs.get('status')} recorded, {mine.get('status')} from the emulator"
            )
        if (theirs.get("errorCodes") or []) != (mine.get("errorCodes") or []):
            lines.append(
                f"{name}: error codes {theirs.get('errorCodes') or 'none'} recorded, "
                f"{mine.get('errorCodes') or 'none'} from the emulator"
            )
        for header in sorted(_notable(theirs) ^ _notable(mine)):
            side = (
                "recorded, not sent by the emulator"
                if header in _notable(theirs)
                else "sent by the emulator only"
            )
            lines.append(f"{name}: header {header}: {side}")
        if theirs.get("contentType") != mine.get("contentType"):
            lines.append(
                f"{name}: content type {theirs.get('contentType')} recorded, {mine.get('contentType')} from the emulator"
            )
        lines.extend(f"{name}: {d}" for d in _shape_diff(theirs.get("body"), mine.get("body"), "body"))
    return lines


def _notable(e: dict[str, Any]) -> set[str]:
    return {h for h in e.get("headers", {}) if value_header(h)}


def _shape_diff(theirs: Any, mine: Any, where: str) -> list[str]:
    if isinstance(theirs, dict) and isinstance(mine, dict):
        out = []
        for key in sorted(set(theirs) | set(mine)):
            if key in DATA_DEPENDENT:
                continue
            if key not in mine:
                out.append(f"{where}.{key}: recorded ({_kind(theirs[key])}), missing from the emulator")
            elif key not in theirs:
                out.append(f"{where}.{key}: sent by the emulator ({_kind(mine[key])}), not recorded")
            else:
                out.extend(_shape_diff(theirs[key], mine[key], f"{where}.{key}"))
        return out
    if isinstance(theirs, list) and isinstance(mine, list):
        if theirs and mine:
            return _shape_diff(theirs[0], mine[0], f"{where}[]")
        return []
    if "null" in (theirs, mine) or theirs is None or mine is None:
        return []  # an empty value (an empty dataset's dates) fits any type
    if _kind(theirs) != _kind(mine):
        return [f"{where}: {_kind(theirs)} recorded, {_kind(mine)} from the emulator"]
    return []


def _kind(s: Any) -> str:
    if isinstance(s, dict):
        return "object"
    if isinstance(s, list):
        return "array"
    return str(s)
