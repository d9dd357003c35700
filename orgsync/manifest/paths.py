"""Paths inside the repository: everything a manifest names must stay under the repository root.

A manifest comes from a pull request, so `../../etc/passwd` or a symlink pointing out of the
repository must be refused before anything is read.
"""

from __future__ import annotations

import os
from pathlib import Path


class EscapesRoot(ValueError):
    """A path resolves (after following symlinks) outside the repository root."""


class HiddenPath(EscapesRoot):
    """A path inside the repository that names `.git/` or a dot-file/folder: never a data file, often a secret."""


def refuse_hidden(path: Path, root: Path) -> Path:
    """`path` (already confined) unless a part of it below `root`, as written or resolved, starts with a dot.

    actions/checkout keeps its credential in `.git/config`; `.env`, `.npmrc`, `.netrc` hold others.
    """
    for candidate in (Path(os.path.normpath(path.absolute())), path.resolve()):
        for base in (Path(os.path.normpath(root.absolute())), root.resolve()):
            if candidate.is_relative_to(base):
                hidden = [part for part in candidate.relative_to(base).parts if part.startswith(".")]
                if hidden:
                    raise HiddenPath(f"{hidden[0]!r} is a hidden file or folder")
    return path


def confine(path: Path, root: Path) -> Path:
    """The resolved `path` (symlinks followed), or `EscapesRoot` when it lies outside `root`."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise EscapesRoot(f"{path} resolves to {resolved}, outside the repository {root.resolve()}")
    return resolved


def shown(path: Path, root: Path) -> str:
    """`path` as users see it in messages: relative to the repository root when inside it.

    The path as written is tried before the resolved one, so a symlink is named by where it sits.
    """
    lexical = (Path(os.path.normpath(root.absolute())), Path(os.path.normpath(path.absolute())))
    for base, target in (lexical, (root.resolve(), path.resolve())):
        if target.is_relative_to(base):
            return target.relative_to(base).as_posix()
    return str(path)
