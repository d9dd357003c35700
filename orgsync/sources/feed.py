"""Which datasets are fed from outside the repository: a database source, or files git does not hold as committed.

A difference in such a dataset's items is the daily feed (`sync` applies it), not drift. git is asked, never
guessed: a file is committed when `git ls-files --error-unmatch` knows it and `git status` sees no change to
it; a file written before the run (downloaded by CI, or overwriting a committed one) is the feed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from orgsync.errors import ConfigError, SourceError
from orgsync.manifest.models import DatabaseSource, FileSource, Project
from orgsync.sources.inputs import Manifest, resolve_paths

GIT_TIMEOUT = 60.0


def feed_datasets(project: Project) -> dict[str, str]:
    """Dataset (and links dataset) name -> why it is a feed ("a database source", "data/x.csv is not
    committed"), for every manifest whose items come, in whole or in part, from outside git."""
    root = project.root.resolve()
    _git(root, ["rev-parse", "--is-inside-work-tree"])  # a clear error outside a checkout
    out: dict[str, str] = {}
    for manifest in project.manifests:
        why = _why_feed(manifest, project, root)
        if why:
            out[manifest.name] = why
    return out


def _why_feed(manifest: Manifest, project: Project, root: Path) -> str | None:
    items = manifest.items
    if items is None:
        return None
    specs = [items.source] if items.source is not None else list((items.sources or {}).values())
    patterns: list[str] = []
    for spec in specs:
        if isinstance(spec, DatabaseSource):
            return "a database source"
        if isinstance(spec, FileSource):
            spec = spec.path
        patterns.extend([spec] if isinstance(spec, str) else spec)
    try:
        paths = resolve_paths(manifest, project, patterns, manifest.locate("items"), "items.source")
    except SourceError:
        return None  # validation reports it; the plan never gets this far
    relative = [str(p.relative_to(root)) for p in paths]
    if not relative:
        return None
    tracked = _git(root, ["ls-files", "-z", "--", *relative]).split("\0")
    for name in relative:
        if name not in tracked:
            return f"{name} is not committed"
    changed = _git(root, ["status", "--porcelain=v1", "-z", "--untracked-files=no", "--", *relative])
    if changed.strip("\0"):
        first = changed.split("\0")[0][3:]
        return f"{first} differs from the commit"
    return None


def _git(root: Path, args: list[str]) -> str:
    """`git ARGS` in `root` (no shell; file names after `--`); a ConfigError when git cannot answer."""
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotePath=off", *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ConfigError(
            f"git could not tell which sources are committed ({type(err).__name__})",
            hint="install git, or run without --skip-feed",
        ) from None
    if done.returncode != 0:
        raise ConfigError(
            f"{root}: git could not tell which sources are committed: {done.stderr.strip()[:300]}",
            hint="run in a git checkout (actions/checkout), or without --skip-feed",
        )
    return done.stdout
