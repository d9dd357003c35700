"""Which tenant a command talks to: `local` (the embedded emulator under `.orgsync/`) or an https URL.

`target_label` is the first line of every output, so nobody mistakes the local emulator for production.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from orgsync.api.client import OrgvueClient
from orgsync.api.http import CallListener
from orgsync.api.pin import check_environment_pins, check_pinned
from orgsync.api.retry import RetryPolicy
from orgsync.errors import ConfigError, Location, Problem
from orgsync.manifest.loader import resolve_token
from orgsync.manifest.models import Project
from orgsync.secrets import shown_url

LOCAL = "local"
LOCAL_DIR = ".orgsync"
LOCAL_DB = "tenant.db"
LOCAL_BASE_URL = "http://orgsync.local"  # never resolved: requests go to the in-process ASGI app
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_local(project: Project) -> bool:
    return project.config.endpoint.strip() == LOCAL


def local_db_path(project: Project) -> Path:
    """Where the embedded tenant keeps its state between runs."""
    return Path(project.root) / LOCAL_DIR / LOCAL_DB


def target_label(project: Project) -> str:
    """'Target: local (embedded emulator, .orgsync/tenant.db) · tenant ACME' or 'Target: https://… · tenant X'."""
    tenant = project.config.tenant
    if is_local(project):
        return f"Target: local (embedded emulator, {LOCAL_DIR}/{LOCAL_DB}) · tenant {tenant}"
    return f"Target: {check_endpoint(project)} · tenant {tenant}"


def check_endpoint(project: Project) -> str:
    """The endpoint URL without a trailing slash; https only, except plain http to this machine."""
    url = project.config.endpoint.strip().rstrip("/")
    parts = urlsplit(url)
    loopback_http = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or loopback_http):
        raise ConfigError(
            Problem(
                Location(project.config_file),
                f"expected `local` or an https:// URL, got {shown_url(url)!r}",
                "endpoint",
            ),
            hint="use https:// for a real tenant; http:// is accepted only for 127.0.0.1/localhost (emulator)",
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(
            Problem(
                Location(project.config_file),
                "expected a base URL without credentials, query or fragment",
                "endpoint",
            ),
            hint="put the token in ORGVUE_TOKEN, never in the URL",
        )
    if parts.path.rstrip("/").endswith("/api/v1"):
        raise ConfigError(
            Problem(
                Location(project.config_file),
                f"expected the base URL without /api/v1 (orgsync adds it), got {url!r}",
                "endpoint",
            ),
            hint=f"write `endpoint: {url[: -len('/api/v1')]}`",
        )
    return url


def open_client(
    project: Project,
    env: Mapping[str, str] | None = None,
    *,
    retry: RetryPolicy | None = None,
    max_rps: float | None = None,
    on_call: CallListener | None = None,
) -> OrgvueClient:
    """A client for the project's target; `local` runs the emulator in-process with state in `.orgsync/`.

    `on_call` is told of every API call as it completes (see `orgsync.api.calllog`)."""
    check_environment_pins(
        project.config.tenant, project.config.endpoint, Path(project.config_file).name, env
    )
    label = target_label(project)
    tenant = project.config.tenant
    if is_local(project):
        return OrgvueClient(
            LOCAL_BASE_URL,
            tenant,
            None,
            transport=_local_transport(project),
            retry=retry,
            max_rps=max_rps,
            target_label=label,
            on_call=on_call,
        )
    check_pinned(
        check_endpoint(project), Path(project.config_file).name, env
    )  # before the token is even read
    token = resolve_token(env, Path(project.root))
    if not token:
        raise ConfigError(
            Problem(Location(project.config_file), f"no API token for {check_endpoint(project)}", "endpoint"),
            hint="set ORGVUE_TOKEN, or ORGVUE_TOKEN_FILE naming a file that holds it",
        )
    return OrgvueClient(
        check_endpoint(project),
        tenant,
        token,
        retry=retry,
        max_rps=max_rps,
        target_label=label,
        on_call=on_call,
    )


def _refuse_linked_state(folder: Path, root: Path) -> None:
    """A `.orgsync` that is a link (planted by a PR) would make the local tenant write outside the repository;
    so would a link inside it (`tenant.db`, or the `-journal` / `-wal` files SQLite writes beside it)."""
    if folder.is_symlink() or (folder.exists() and not folder.resolve().is_relative_to(root.resolve())):
        raise ConfigError(
            f"{LOCAL_DIR} in the repository is a link (to {folder.resolve()}); the local target keeps "
            "its state there and writes only inside the repository",
            hint=f"remove the link: `rm {folder}` (it is not part of a repository)",
        )
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink():
            raise ConfigError(
                Problem(
                    Location(f"{LOCAL_DIR}/{entry.name}"),
                    f"is a link (to {entry.resolve()}); the local target writes its state only to files "
                    f"of its own in {LOCAL_DIR}/, never through a link",
                ),
                hint=f"remove the link: `rm {entry}` (it is not part of a repository)",
            )


def _local_transport(project: Project) -> httpx.AsyncBaseTransport:
    """The emulator app over ASGI, persisting in `<root>/.orgsync/tenant.db` (created on first use)."""
    from orgsync.emulator.app import create_app  # the only engine import of emulator code, by design

    db = local_db_path(project)
    _refuse_linked_state(db.parent, Path(project.root))
    db.parent.mkdir(parents=True, exist_ok=True)
    # The tenant outlives this process: a fixed seed would hand out the previous run's ids again.
    return httpx.ASGITransport(app=create_app(db_path=db, seed=secrets.randbits(63)))
