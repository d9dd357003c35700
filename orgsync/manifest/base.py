"""The reviewed base of a pull request: its manifests set the floor of what protects the data.

A pull request can edit every manifest, so on its own it could drop `sensitive: true`, raise a threshold or lift
`manage: observe` and have that take effect in its own plan (and saved plan artifact) before anyone reviews it.
With a base (`plan --base DIR`, or `--base-ref REF` read with git from the repository's history, never checked
out), the pull request's manifests are combined with the base's so that the stricter wins, dataset by dataset:
a property sensitive in either is sensitive; each safety threshold is the stricter of the two effective policies
(orgsync.yaml's `safety` laid under the manifest's); a dataset observed in the base stays observed. Each
loosening is reported, for the top of the plan: it takes effect after merge, once the base says so.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from orgsync.errors import ConfigError, Location, Problem
from orgsync.manifest.loader import CONFIG_FILE, MANIFEST_SUFFIXES, load_project
from orgsync.manifest.models import (
    DatasetManifest,
    LinksDatasetManifest,
    Project,
    SafetyOverride,
    SafetyPolicy,
)

Manifest = DatasetManifest | LinksDatasetManifest
THRESHOLDS = ("maxDeletePercent", "maxUpdatePercent", "minExistingItems")  # each: lower is stricter
GIT_TIMEOUT = 120.0


@dataclass(frozen=True)
class BaseChoice:
    """Where the base comes from: a folder holding its orgsync.yaml, or a git revision of the repository."""

    folder: Path | None = None
    ref: str | None = None

    def __bool__(self) -> bool:
        return self.folder is not None or self.ref is not None


@dataclass(frozen=True)
class Floored:
    """The pull request's project with the base's floor laid in, and what the pull request loosens."""

    project: Project
    loosened: list[str]


def layered_policy(project: Project, manifest: Manifest) -> SafetyPolicy:
    """orgsync.yaml's `safety` with the manifest's set fields laid over it (the one layering rule)."""
    policy = project.config.safety.model_dump()
    if manifest.safety is not None:
        policy.update(manifest.safety.model_dump(exclude_none=True))
    return SafetyPolicy.model_validate(policy)


def load_base(root: Path, choice: BaseChoice, env: Mapping[str, str] | None = None) -> Project | None:
    """The base project (None without a choice); `ConfigError` naming the base when it cannot be loaded."""
    if choice.folder is not None and choice.ref is not None:
        raise ConfigError(_said("--base and --base-ref name two bases; expected one of them"))
    if choice.folder is not None:
        return _loaded(Path(choice.folder), f"--base {choice.folder}", env)
    if choice.ref is not None:
        with _revision(Path(root), choice.ref) as folder:
            return _loaded(folder, f"--base-ref {choice.ref}", env)
    return None


def _loaded(folder: Path, what: str, env: Mapping[str, str] | None) -> Project:
    if not (folder / CONFIG_FILE).is_file():
        raise ConfigError(
            _said(f"{what}: no {CONFIG_FILE} there; expected the base branch's repository root"),
            hint="pass the folder (or git revision) holding the reviewed orgsync.yaml and manifests",
        )
    try:
        return load_project(folder, env)
    except ConfigError as err:
        raise ConfigError(
            [*err.problems],
            hint=f"{what}: the base cannot be loaded, so nothing protects against this pull request loosening "
            "it; fix the base branch first",
        ) from None


def _said(message: str) -> Problem:
    """A problem with the command line's base options."""
    return Problem(Location("command line"), message)


def floor(project: Project, base: Project | None) -> Floored:
    """`project` made at least as careful as `base`, and the lines saying what the pull request loosens."""
    if base is None:
        return Floored(project, [])
    loosened: list[str] = []
    manifests = []
    for manifest in project.manifests:
        before = _counterpart(manifest, base)
        merged, lines = _floored(manifest, project, before, base)
        manifests.append(merged)
        loosened += lines
    return Floored(project.model_copy(update={"manifests": manifests}), loosened)


def _counterpart(manifest: Manifest, base: Project) -> Manifest | None:
    """The base's manifest of the same dataset: same name, or an earlier name the manifest renames from."""
    for name in (manifest.name, *manifest.renamedFrom):
        found = base.by_name(name)
        if found is not None and found.kind == manifest.kind:
            return found
    return None


def _floored(
    manifest: Manifest, project: Project, before: Manifest | None, base: Project
) -> tuple[Manifest, list[str]]:
    name = manifest.name
    lines: list[str] = []
    # A manifest the base does not know, or one that pins another dataset id than the base's, may point at any
    # live dataset (`datasetId:`): it is held to the strictest of the base's policies, and every key sensitive
    # anywhere in the base stays sensitive there.
    known = before is not None and (manifest.datasetId is None or manifest.datasetId == before.datasetId)
    mine = layered_policy(project, manifest)
    policies = (
        [layered_policy(base, before)]
        if known and before is not None
        else [base.config.safety, *(layered_policy(base, m) for m in base.manifests)]
    )
    strict = {}
    for knob in THRESHOLDS:
        now, was = getattr(mine, knob), min(getattr(p, knob) for p in policies)
        strict[knob] = min(now, was)
        if now > was:
            lines.append(
                f"this pull request raises {knob} of {name} from {_num(was)} to {_num(now)}; "
                "it takes effect after merge"
            )
    update: dict[str, object] = {"safety": SafetyOverride.model_validate(strict)}
    hidden = (
        {p.key for p in before.properties if p.sensitive}
        if known and before is not None
        else {p.key for m in base.manifests for p in m.properties if p.sensitive}
    )
    shown = [p.key for p in manifest.properties if p.key in hidden and not p.sensitive]
    lines += [
        f"this pull request removes `sensitive: true` from {key} of {name}; it takes effect after merge "
        "(until then its values stay hidden)"
        if known
        else f"this pull request declares {key} of {name} without `sensitive: true`, which the base marks "
        "sensitive; it takes effect after merge (until then its values stay hidden)"
        for key in shown
    ]
    if shown:
        update["properties"] = [
            p.model_copy(update={"sensitive": True}) if p.key in shown else p for p in manifest.properties
        ]
    if before is not None:
        if before.manage == "observe" and manifest.manage != "observe":
            lines.append(
                f"this pull request lifts `manage: observe` from {name}; it takes effect after merge "
                "(until then it is planned as observed)"
            )
            update["manage"] = "observe"
    return manifest.model_copy(update=update), lines


def _num(value: float) -> str:
    return f"{value:g}"


# ---------------------------------------------------------------- a revision, read with git


@contextmanager
def _revision(root: Path, ref: str) -> Iterator[Path]:
    """The manifests and orgsync.yaml of `ref` (the folder of `root` in it), in a private temporary folder.

    Read with `git ls-tree` and `git cat-file` from the object store: nothing is checked out, the work tree and
    index are untouched, and only YAML blobs are written (no links, no other files)."""
    if not ref or ref.startswith("-") or any(c in ref for c in "\0\n"):
        raise ConfigError(_said(f"--base-ref {ref!r}: expected a branch, tag or commit of the repository"))
    top = Path(_git(root, "rev-parse", "--show-toplevel", what=ref).strip())
    prefix = _git(root, "rev-parse", "--show-prefix", what=ref).strip()
    commit = _commit(root, ref)
    listing = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit, "--", prefix or ".", what=ref)
    wanted: list[tuple[str, str]] = []
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        mode, kind, sha = meta.split()
        if kind == "blob" and mode in ("100644", "100755") and path.endswith(MANIFEST_SUFFIXES):
            wanted.append((sha, path))
    with tempfile.TemporaryDirectory(prefix="orgsync-base-") as tmp:  # 0700, removed whatever happens
        for sha, path in wanted:
            relative = PurePosixPath(path)
            if relative.is_absolute() or ".." in relative.parts:
                continue
            target = Path(tmp, *relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_git_bytes(top, "cat-file", "blob", sha, what=ref))
        yield Path(tmp, *PurePosixPath(prefix).parts) if prefix else Path(tmp)


def _commit(root: Path, ref: str) -> str:
    try:
        return _git(
            root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", what=ref
        ).strip()
    except ConfigError:
        raise ConfigError(
            _said(f"--base-ref {ref}: no such branch, tag or commit in the repository at {root}"),
            hint="fetch it first (e.g. `git fetch origin main`, or actions/checkout with `fetch-depth: 0`), "
            "or pass --base DIR",
        ) from None


def _git(cwd: Path, *args: str, what: str) -> str:
    return _git_bytes(cwd, *args, what=what).decode("utf-8", "replace")


def _git_bytes(cwd: Path, *args: str, what: str) -> bytes:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}  # the repository's own git
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, env=env, timeout=GIT_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ConfigError(_said(f"--base-ref {what}: cannot run git ({err})"), hint="install git") from None
    if done.returncode != 0:
        first = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise ConfigError(
            _said(f"--base-ref {what}: git {args[0]} failed" + (f" ({first[0]})" if first else "")),
            hint=f"run orgsync in a git repository that holds {what}",
        )
    return done.stdout
