"""Secrets a source needs (a database connection string): named in a manifest, read from the environment.

A manifest says `connection: {env: ORGSYNC_SECRET_HR_DB}`; only `ORGSYNC_SECRET_` names are accepted, the value
never reaches templates (see `manifest.templating`), and every message built near it goes through `redact`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from orgsync.errors import ConfigError

SECRET_PREFIX = "ORGSYNC_SECRET_"
_NAME = re.compile(r"ORGSYNC_SECRET_[A-Z0-9_]+")
MASK = "***"
_MIN_PART = 4  # password/user parts shorter than this are not searched for (they would mask ordinary words)


@dataclass(frozen=True)
class Secret:
    """A named secret value; its repr and str show only the name."""

    name: str
    value: str = field(repr=False)

    def __str__(self) -> str:
        return f"<secret {self.name}>"

    def redact(self, text: str) -> str:
        """`text` without the value, nor the password or user inside a URL-style value (drivers quote those)."""
        return redact(text, [self])

    def parts(self) -> list[str]:
        """The whole value and the pieces a driver may quote on their own (password, user, both URL-decoded)."""
        found = {self.value, unquote(self.value), quote(self.value, safe="")}
        creds = re.match(r"^[a-zA-Z][\w+.-]*://([^@/]*)@", self.value)
        if creds:
            user, _, password = creds.group(1).partition(":")
            for part in (user, password):
                found |= {part, unquote(part)}
        if (
            "://" not in self.value
        ):  # not a URL (`user:password`, a bare token): any piece may be quoted alone
            found |= {p for p in re.split(r"[:@/;=\s]+", self.value) if p}
        else:  # the host, the database path and query values of a URL: a driver quotes these too
            rest = self.value.split("://", 1)[1].rpartition("@")[2]
            found |= {p for p in re.split(r"[:/?&=;,\s]+", rest) if p}
        for kv in re.finditer(r"(?i)\b(?:password|pwd|user|uid|user id|username)\s*=\s*([^;]+)", self.value):
            found.add(kv.group(1).strip())
        return sorted((p for p in found if len(p) >= _MIN_PART), key=len, reverse=True)


def check_secret_name(name: str) -> str:
    """`name` when it is an `ORGSYNC_SECRET_…` variable name, else `ConfigError` stating the rule."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(
            f"connection names the environment variable {name!r}; only names starting with "
            f"{SECRET_PREFIX} (upper case, digits, _) are accepted, e.g. {SECRET_PREFIX}HR_DB",
            hint="CI sets that variable from its secret store; the repository only names it",
        )
    return name


def resolve_secret(name: str, env: Mapping[str, str] | None = None) -> Secret:
    """The secret named `name` from the environment; `ConfigError` (naming it, never a value) when unset."""
    check_secret_name(name)
    env = os.environ if env is None else env
    value = env.get(name)
    if not value:
        raise ConfigError(
            f"the environment variable {name} is not set; expected the connection string in it",
            hint="set it in the CI job's secrets (it is never read from the repository)",
        )
    return Secret(name, value)


def redact(text: str, secrets: Iterable[Secret]) -> str:
    """`text` with every secret value (and its password/user parts) replaced by `***`."""
    for secret in secrets:
        for part in secret.parts():
            text = text.replace(part, MASK)
    return text


def shown_url(url: str) -> str:
    """`url` for a message: without the user, password, query and fragment it may carry (an endpoint can come
    from `ORGVUE_URL` through a template, and a URL's credentials are a secret like any other)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(a value that is not a URL)"
    if not parts.scheme or not host:
        return url if not any(c in url for c in ":@?") else "(a value that is not a URL)"
    netloc = (f"[{host}]" if ":" in host else host) + port
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
