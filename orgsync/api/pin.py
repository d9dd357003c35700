"""Where the token may go: the repository's endpoint and tenant must be ones the environment vouches for.

A pull request can edit `endpoint:` and `tenant:` in orgsync.yaml, so what it names is not trusted on its own:
when `ORGVUE_URL` is set (CI pins it), the endpoint must have the same origin and may not be `local`;
otherwise only https origins of Orgvue's documented region hosts, loopback, and hosts listed in
`ORGSYNC_ALLOWED_HOSTS` are accepted. When `ORGVUE_TENANT` is set, `tenant:` must be exactly it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from orgsync.errors import ConfigError, Location, Problem

PIN_VAR = "ORGVUE_URL"
TENANT_VAR = "ORGVUE_TENANT"
LOCAL = "local"
ALLOWED_VAR = "ORGSYNC_ALLOWED_HOSTS"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2")  # ENDPOINTS.md, hosts per region (D/guide/)
ORGVUE_HOSTS = frozenset(
    f"{name}.{region}.concentra.io" for region in REGIONS for name in ("orgvue", "orgvue-staging")
)
_DEFAULT_PORTS = {"https": 443, "http": 80}

Origin = tuple[str, str, int]


def origin(url: str) -> Origin | None:
    """(scheme, lower-case host, port) of `url`, or None when it has no host or a bad port."""
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host or parts.scheme not in _DEFAULT_PORTS:
        return None
    return parts.scheme, host.lower().rstrip("."), port or _DEFAULT_PORTS[parts.scheme]


def check_environment_pins(
    tenant: str, endpoint: str, config_file: object, env: Mapping[str, str] | None = None
) -> None:
    """The tenant and target the environment pins, checked before anything is opened or any token read.

    `ORGVUE_TENANT` set: `tenant:` must equal it. `ORGVUE_URL` set: `endpoint: local` is refused (a tenant the
    repository made up in `.orgsync/` would stand in for the pinned one, and a drift check would say it matches).
    """
    env = os.environ if env is None else env
    where = Location(str(config_file))
    pinned_tenant = (env.get(TENANT_VAR) or "").strip()
    if pinned_tenant and tenant.strip() != pinned_tenant:
        raise ConfigError(
            Problem(
                where,
                f"tenant {tenant.strip()} is not the tenant {TENANT_VAR} pins ({pinned_tenant}); the token "
                "is used only for that tenant",
                "tenant",
            ),
            hint=f'set `tenant: "{{{{ env.{TENANT_VAR} }}}}"` in orgsync.yaml, or change {TENANT_VAR} in '
            "the CI environment",
        )
    if endpoint.strip() == LOCAL and (env.get(PIN_VAR) or "").strip():
        raise ConfigError(
            Problem(
                where,
                f"endpoint local (the embedded emulator) is refused while {PIN_VAR} pins the endpoint; "
                "expected the pinned tenant",
                "endpoint",
            ),
            hint=f'set `endpoint: "{{{{ env.{PIN_VAR} }}}}"` in orgsync.yaml, or unset {PIN_VAR} to use '
            "the local emulator",
        )


def check_pinned(endpoint: str, config_file: object, env: Mapping[str, str] | None = None) -> None:
    """Return when the token may be sent to `endpoint`; `ConfigError` (before any request) when not."""
    env = os.environ if env is None else env
    where = Location(str(config_file))
    target = origin(endpoint)
    if target is None:
        raise ConfigError(Problem(where, f"expected an https:// URL, got {endpoint!r}", "endpoint"))
    pin = (env.get(PIN_VAR) or "").strip()
    if pin:
        pinned = origin(pin)
        if target != pinned:
            raise ConfigError(
                Problem(
                    where,
                    f"endpoint {_shown(target)} is not the origin {PIN_VAR} pins "
                    f"({_shown(pinned) if pinned else 'not an http(s) URL'}); the token is sent only there",
                    "endpoint",
                ),
                hint=f'set `endpoint: "{{{{ env.{PIN_VAR} }}}}"` in orgsync.yaml, or change '
                f"{PIN_VAR} in the CI environment",
            )
        return
    scheme, host, port = target
    if host in LOOPBACK:
        return
    allowed = {h.strip().lower().rstrip(".") for h in (env.get(ALLOWED_VAR) or "").split(",") if h.strip()}
    if scheme == "https" and (
        (host in ORGVUE_HOSTS and port == 443) or host in allowed or f"{host}:{port}" in allowed
    ):
        return
    raise ConfigError(
        Problem(
            where,
            f"endpoint {_shown(target)} is not an Orgvue region host "
            f"({', '.join(sorted(h for h in ORGVUE_HOSTS if 'staging' not in h))}, or their "
            "orgvue-staging variants) nor loopback; the token is not sent there",
            "endpoint",
        ),
        hint=f"pin the endpoint with {PIN_VAR} in the CI environment, or list the host in "
        f"{ALLOWED_VAR} (comma-separated; the repository cannot set either)",
    )


def _shown(o: Origin) -> str:
    scheme, host, port = o
    return f"{scheme}://{host}" + ("" if port == _DEFAULT_PORTS[scheme] else f":{port}")
