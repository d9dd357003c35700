"""The saved plan's signature: HMAC-SHA256 with `ORGSYNC_PLAN_KEY`, so apply refuses a plan file someone edited.

The key comes only from the environment (a CI secret given to the plan and apply jobs). With a key, `plan --out`
adds `"signature"` over the document's other fields (JSON with sorted keys), and `apply FILE` refuses a file
without one or whose signature does not match. Without a key nothing is signed or checked (a local run).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson

from orgsync.errors import PlanFileError

KEY_VAR = "ORGSYNC_PLAN_KEY"
FIELD = "signature"
ALGORITHM = "HMAC-SHA256"


def plan_key(env: Mapping[str, str]) -> bytes | None:
    """The signing key from the environment, or None when none is set."""
    key = (env.get(KEY_VAR) or "").strip()
    return key.encode() if key else None


def _digest(doc: Mapping[str, Any], key: bytes) -> str:
    body = {k: v for k, v in doc.items() if k != FIELD}
    return hmac.new(key, orjson.dumps(body, option=orjson.OPT_SORT_KEYS), hashlib.sha256).hexdigest()


def signed(doc: dict[str, Any], key: bytes | None) -> dict[str, Any]:
    """`doc` with its signature (unchanged without a key)."""
    if key is None:
        return doc
    return {**doc, FIELD: {"algorithm": ALGORITHM, "value": _digest(doc, key)}}


def verify(doc: Mapping[str, Any], key: bytes | None, path: object) -> None:
    """Return when there is no key or the signature matches; `PlanFileError` (nothing written) otherwise."""
    if key is None:
        return
    sig = doc.get(FIELD)
    value = sig.get("value") if isinstance(sig, dict) and sig.get("algorithm") == ALGORITHM else None
    if not isinstance(value, str):
        raise PlanFileError(
            f"{path}: the saved plan is not signed, and {KEY_VAR} is set: only a plan signed with that key "
            "is applied; nothing was written",
            hint=f"make the plan with `orgsync plan --out FILE` where {KEY_VAR} is set to the same key",
        )
    if not hmac.compare_digest(value, _digest(doc, key)):
        raise PlanFileError(
            f"{path}: the saved plan's signature does not match: the file was changed after it was made, or "
            f"signed with another {KEY_VAR}; nothing was written",
            hint="make the plan again with `orgsync plan --out FILE` and apply that file unchanged",
        )
