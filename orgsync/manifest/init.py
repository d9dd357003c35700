"""The starter repository `orgsync init` writes: its files, filled in from the init options.

The files live in `orgsync/manifest/starter/` (installed with the package). `--tenant` and `--endpoint` fill
orgsync.yaml; the CI workflow (unless `--no-ci`) uses the orgsync Action at the version being run, so the code
that gets the tokens is pinned. Writing them is `orgsync.commands.init`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from orgsync.errors import ConfigError, Location, Problem
from orgsync.manifest.models import TENANT_PATTERN
from orgsync.manifest.schema import schema_text
from orgsync.repository import action_reference

LOCAL = "local"
EXAMPLE_ENDPOINT = "https://orgvue.eu-west-1.concentra.io"  # a region host plan accepts (orgsync.api.pin)
WORKFLOW = ".github/workflows/orgsync.yml"

# target path in the new repository -> file in the packaged starter folder
STARTER_FILES = {
    "orgsync.yaml": "orgsync.yaml",
    "manifests/people.yaml": "manifests/people.yaml",
    "manifests/positions.yaml": "manifests/positions.yaml",
    "manifests/assignments.yaml": "manifests/assignments.yaml",
    "data/people.csv": "data/people.csv",
    "data/positions.csv": "data/positions.csv",
    "data/assignments.csv": "data/assignments.csv",
    WORKFLOW: "workflow.yaml",
}
GITIGNORE = ".orgsync/\nplan.bin\nplan.json\nplan.md\n"  # the local tenant, and the plans the docs save
LOCAL_COMMENT = """\
# `endpoint: local` plans and applies against an emulated tenant kept in .orgsync/ (no account needed).
# To switch to a real tenant: `endpoint: https://<host>` (the API base URL, without /api/v1) and its tenant id,
# or run `orgsync init --endpoint https://<host> --tenant <ID>` in an empty folder. In GitHub, set the
# repository variables ORGVUE_URL and ORGVUE_TENANT to the same values and the secret ORGVUE_TOKEN
# (.github/workflows/orgsync.yml reads exactly these; its jobs are skipped until ORGVUE_URL is set)."""
REMOTE_COMMENT = """\
# The API base URL (without /api/v1) and tenant id. In GitHub, set the repository variables ORGVUE_URL and
# ORGVUE_TENANT to the same values and the secret ORGVUE_TOKEN (.github/workflows/orgsync.yml reads exactly
# these); in CI orgsync refuses an orgsync.yaml that names another endpoint or tenant than those variables."""


@dataclass(frozen=True)
class InitOptions:
    """What `orgsync init` writes: the tenant id, the endpoint (`local` or an https base URL), the CI workflow."""

    tenant: str = "STARTER"
    endpoint: str = LOCAL
    ci: bool = True
    workdir: str = "."  # the repository folder relative to the Git root (a monorepo's subfolder)


def workflow_name(workdir: str) -> str:
    """The workflow file: `orgsync.yml` at the root, `orgsync-<folder>.yml` for a monorepo's subfolder."""
    if workdir in ("", "."):
        return WORKFLOW
    return f".github/workflows/orgsync-{re.sub(r'[^A-Za-z0-9_.-]+', '-', workdir).strip('-.')}.yml"


def check_options(opts: InitOptions) -> None:
    """Refuse a tenant id or endpoint that the starter's orgsync.yaml could not use (ConfigError)."""
    problems = []
    if not re.match(TENANT_PATTERN, opts.tenant):
        problems.append(
            Problem(
                Location("--tenant"),
                f"expected a tenant id matching {TENANT_PATTERN} (e.g. ACME), got {opts.tenant!r}",
            )
        )
    endpoint = opts.endpoint.rstrip("/")
    if endpoint != LOCAL:
        if endpoint.endswith("/api/v1"):
            problems.append(
                Problem(
                    Location("--endpoint"),
                    f"expected the base URL without /api/v1 (orgsync adds it), got {opts.endpoint!r}",
                )
            )
        elif not re.match(r"^https://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~/-]*)?$", endpoint):
            problems.append(
                Problem(
                    Location("--endpoint"), f"expected `local` or an https:// base URL, got {opts.endpoint!r}"
                )
            )
    if problems:
        raise ConfigError(problems, hint=f"e.g. `orgsync init --endpoint {EXAMPLE_ENDPOINT} --tenant ACME`")


def starter_files(opts: InitOptions | None = None) -> dict[str, str]:
    """Target path -> text of every file `init` writes."""
    opts = opts or InitOptions()
    starter = resources.files("orgsync.manifest") / "starter"
    files = {
        target: (starter / source).read_text(encoding="utf-8")
        for target, source in STARTER_FILES.items()
        if opts.ci or target != WORKFLOW
    }
    endpoint = opts.endpoint.rstrip("/")
    files["orgsync.yaml"] = (
        files["orgsync.yaml"]
        .replace("@ENDPOINT_COMMENT@", LOCAL_COMMENT if endpoint == LOCAL else REMOTE_COMMENT)
        .replace("@TENANT@", opts.tenant)
        .replace("@ENDPOINT@", endpoint)
    )
    if opts.ci:
        files[WORKFLOW] = (
            files[WORKFLOW]
            .replace("@ACTION@@v@VERSION@", action_reference())
            .replace("working-directory: .\n", f"working-directory: {opts.workdir}\n")
        )
    files[".gitignore"] = GITIGNORE
    files["orgsync.schema.json"] = schema_text()  # editors and pre-commit resolve `$schema=` to this copy
    return files
