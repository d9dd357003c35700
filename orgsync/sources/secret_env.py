"""Secrets named by the manifest: `{env: ORGSYNC_SECRET_...}` read from the environment, and redaction.

The rule (shared with the security work): a secret comes only from an `ORGSYNC_SECRET_` variable the
manifest names, is never templated or printed, and is cut out of any driver message shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from orgsync.errors import Location, Problem, SourceError
from orgsync.manifest.models import SECRET_ENV_PATTERN, SecretRef

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s]*)(?P<at>@)", re.I)
_KEYWORD_PASSWORD = re.compile(r"(?P<head>password\s*=\s*)(?P<password>'[^']*'|\"[^\"]*\"|\S+)", re.I)


def resolve_secret(ref: SecretRef, env: Mapping[str, str], where: Location, field: str) -> str:
    """The value of the variable `ref` names; raises `SourceError` (naming the variable, never a value)."""
    if not re.match(SECRET_ENV_PATTERN, ref.env):
        raise SourceError(Problem(where, f"{ref.env!r} is not an ORGSYNC_SECRET_ variable; expected a name "
                                  "matching ORGSYNC_SECRET_[A-Z0-9_]+", field))
    value = env.get(ref.env, "")
    if not value.strip():
        raise SourceError(Problem(where, f"the environment variable {ref.env} is not set (or empty); expected "
                                  "it to hold the connection URL, e.g. from your CI's secret store", field))
    return value


def redact(text: str, *secrets: str) -> str:
    """`text` with every secret, and any URL or keyword password in it, replaced by `***`."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
        password = _URL_PASSWORD.search(secret)
        if password and password["password"]:
            text = text.replace(password["password"], "***")
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}***{m['at']}", text)
    return _KEYWORD_PASSWORD.sub(lambda m: f"{m['head']}***", text)
