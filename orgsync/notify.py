"""The notification of a run: a JSON POST to `ORGSYNC_NOTIFY_URL` (environment only), Slack-compatible.

The URL is a secret of the CI (a Slack webhook holds its key in the path): it is read from the process
environment, never from orgsync.yaml or a manifest, and is never printed (a warning names its origin only).
It is held to the endpoint's pinning rules (`orgsync.api.pin.origin`): https, plain http only to loopback
(tests), no credentials in it, redirects not followed. The body holds counts per dataset, never an item's key
or value. A notification that fails is one warning line: the run's exit code is unchanged.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO
from urllib.parse import urlsplit

import httpx

from orgsync import escape
from orgsync.api.pin import LOOPBACK, origin
from orgsync.runlog import BLOCKED, RunRecord

NOTIFY_VAR = "ORGSYNC_NOTIFY_URL"
TIMEOUT = 10.0
_LINK_SAFE = re.compile(r"^https?://[^\s<>|&]+$")  # a URL Slack can show as <url|label> without breaking out


def url_problem(url: str) -> str | None:
    """Why `url` may not receive notifications, or None when it may (the endpoint's rules: https, or http to
    loopback; no user:password)."""
    target = origin(url)
    if target is None:
        return "expected an https:// URL"
    scheme, host, _ = target
    if scheme != "https" and host not in LOOPBACK:
        return "expected https:// (plain http only to loopback, for tests)"
    if urlsplit(url.strip()).username is not None:
        return "expected no user or password in the URL"
    return None


def shown(url: str) -> str:
    """The origin of `url` only (its path may hold a webhook's key)."""
    target = origin(url)
    if target is None:
        return "(not a URL)"
    scheme, host, port = target
    return f"{scheme}://{host}:{port}"


def payload(record: RunRecord) -> dict[str, Any]:
    """The JSON body: `text` for Slack-compatible receivers, and the run's fields for everything else."""
    body = record.to_dict()
    body["totals"] = record.totals
    body["text"] = text(record)
    return body


def text(record: RunRecord) -> str:
    """One line for a chat: what ran where, how it ended, the totals, the links. Every name is made inert."""
    where = f"tenant {record.tenant}" + (f" ({record.directory})" if record.directory else "")
    t = record.totals
    parts = [
        f"orgsync {escape.slack(record.command)} · {escape.slack(where)}: *{escape.slack(record.status)}*"
        f" (exit {record.exit_code})",
        f"{t['create']} to create, {t['update']} to update, {t['delete']} to delete in "
        f"{len(record.datasets)} dataset(s)",
        f"{record.requests} requests, {record.seconds:.1f} s",
    ]
    if record.status == BLOCKED and record.blocked_by:
        parts.append(f"blocked: {escape.slack(record.blocked_by[0])}")
    for url, label in ((record.issue_url, "approval issue"), (record.run_url, "workflow run")):
        if url and _LINK_SAFE.match(url):
            parts.append(f"<{url}|{label}>")
    return " · ".join(parts)


def send(
    record: RunRecord,
    env: Mapping[str, str] | None = None,
    *,
    warn: TextIO | None = None,
    transport: httpx.BaseTransport | None = None,
) -> bool:
    """POST the notification when ORGSYNC_NOTIFY_URL is set; True when the receiver answered 2xx."""
    env = os.environ if env is None else env
    url = (env.get(NOTIFY_VAR) or "").strip()
    if not url:
        return False
    err = warn or sys.stderr
    problem = url_problem(url)
    if problem is not None:
        print(f"warning: {NOTIFY_VAR} is refused ({problem}); no notification was sent", file=err)
        return False
    try:
        with httpx.Client(
            timeout=TIMEOUT, follow_redirects=False, trust_env=False, transport=transport
        ) as client:
            response = client.post(url, json=payload(record), headers={"User-Agent": "orgsync-notify"})
    except httpx.HTTPError as problem_:
        print(
            f"warning: the notification to {shown(url)} failed ({type(problem_).__name__}); "
            "the run's outcome is unchanged",
            file=err,
        )
        return False
    if not response.is_success:
        why = " (a redirect: not followed)" if response.is_redirect else ""
        print(
            f"warning: the notification to {shown(url)} answered {response.status_code}{why}; "
            "the run's outcome is unchanged",
            file=err,
        )
        return False
    return True
