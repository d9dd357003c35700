"""Plain words for the documented error codes (D/errors/list/, D/guide/, D/rate-limit-quota/): what went wrong
and what to do about it. Built from the code, the token's own dates and the region's pages: never from the
token itself or an item value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from orgsync.api import token as tokens
from orgsync.api.regions import SUPPORT_EMAIL, settings_page, tokens_page

TOKEN_VARS = "ORGVUE_TOKEN (or the file named by ORGVUE_TOKEN_FILE)"


@dataclass(frozen=True)
class Context:
    """What an explanation may draw on: the base URL (for the region's pages), the token's dates, the entry."""

    base_url: str
    token: str | None
    entry: dict[str, object]

    @property
    def tokens(self) -> str:
        return f"the Tokens page ({tokens_page(self.base_url)})"

    def date(self, read: Callable[[str | None], datetime | None]) -> str | None:
        moment = read(self.token)
        return tokens.when(moment) if moment else None


def _expired(c: Context) -> str:
    on = c.date(tokens.expires_at)
    when = f"the token expired on {on}" if on else "the token has expired"
    return f"{when}: make a new one on {c.tokens} and put it in {TOKEN_VARS}"


def _not_yet(c: Context) -> str:
    on = c.date(tokens.starts_at)
    when = f"the token only starts working on {on}" if on else "the token's start date is still to come"
    return f"{when}: wait until then, or make one that starts today on {c.tokens}"


def _query_parameter(c: Context) -> str:
    name = c.entry.get("queryParameter")
    which = f" ({name})" if isinstance(name, str) and name.isprintable() and len(name) < 60 else ""
    return (
        f"a query parameter{which} was sent twice and Orgvue takes each only once: orgsync sends each once, so "
        "a proxy between here and Orgvue may be adding it; if not, report it with the X-Amzn-Trace-Id"
    )


_CODES: dict[str, Callable[[Context], str]] = {
    "40101": lambda c: f"no token was sent: set {TOKEN_VARS} to a token made on {c.tokens}",
    "40102": lambda c: (
        f"Orgvue does not know this token (mistyped, cut short or revoked): copy it again into "
        f"{TOKEN_VARS}, or make a new one on {c.tokens}"
    ),
    "40103": lambda c: (
        f"the Authorization header is not `Bearer <token>`: {TOKEN_VARS} must hold the token alone, "
        "without the word Bearer or quotes"
    ),
    "40301": _not_yet,
    "40302": _expired,
    "40303": lambda c: (
        f"the token may not be used from this machine's IP address: add this network (the Tokens page "
        f"shows your address; CI runners may need a CIDR range) to the token's subnets on {c.tokens}, "
        "or make a new token for it"
    ),
    "40321": lambda c: (
        f"Orgvue found several accounts for the token's user: ask {SUPPORT_EMAIL} to resolve it"
    ),
    "40322": lambda c: (
        f"the account the token was made for is disabled: use a token of an active account ({c.tokens})"
    ),
    "40323": lambda c: (
        "the account the token was made for has expired: ask a tenant admin to extend it, or use a "
        f"token of an active account ({c.tokens})"
    ),
    "40324": lambda c: (
        "the account the token belongs to may not be used from this IP address: ask a tenant admin to "
        "allow this network for the account"
    ),
    "40345": lambda c: (
        f"this tenant is not enabled for the API: ask Orgvue support ({SUPPORT_EMAIL}) to enable it; "
        "the user also needs the TokenAccess property (Users list in the settings app, "
        f"{settings_page(c.base_url)})"
    ),
    "42901": lambda c: (
        "Orgvue throttled the requests (more than 100 a second or 50 at once for this tenant) and "
        "the retries ran out: run again later, or lower --max-rps / --parallelism; another program "
        "using the same tenant shares the limit"
    ),
    "42902": lambda c: (
        "the tenant's daily request quota (500,000 requests unless agreed otherwise) is used up; it "
        "resets daily, so nothing more can be sent today: run again tomorrow, or ask "
        f"{SUPPORT_EMAIL} for a larger quota"
    ),
    "415001": lambda c: (
        "Orgvue refused the request's content type: orgsync sends application/json, so a proxy "
        "between here and Orgvue may be changing it; if not, report it with the X-Amzn-Trace-Id"
    ),
    "400020": _query_parameter,
    "400603": lambda c: (
        "an id in the request is not a UUID: check any `datasetId:` in the manifests (Orgvue ids "
        "look like 0b6f0c9e-2a1d-4c1e-9a51-3f1c2d4e5f60)"
    ),
    "50001": lambda c: (
        f"Orgvue failed internally: try again later; if it keeps failing, send the X-Amzn-Trace-Id "
        f"to {SUPPORT_EMAIL}"
    ),
}


def explain(entries: list[dict[str, object]], *, base_url: str, token: str | None) -> str | None:
    """What to do, in plain words, for the first documented code among `entries` that orgsync knows."""
    for entry in entries:
        fn = _CODES.get(str(entry.get("code")))
        if fn is not None:
            return fn(Context(base_url, token, entry))
    return None
