"""One apply at a time per repository on a machine: `.orgsync/apply.lock` holds the owner's pid.

Two applies planned against the same tenant state would both create the missing dataset (two "People").
The lock is taken before the plan is read, created atomically (O_EXCL); a lock whose pid is no longer running
is stale (a killed run) and is taken over with a note. CI runners are serialised by the workflow's
concurrency group instead (one runner cannot see another's lock file).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orgsync.errors import OrgsyncError

LOCK_DIR = ".orgsync"
LOCK_FILE = "apply.lock"


class ApplyLocked(OrgsyncError):
    """Another orgsync apply on this machine holds the repository's lock."""


def lock_path(root: Path) -> Path:
    """`<root>/.orgsync/apply.lock`, refusing a `.orgsync` that leads out of the repository (a planted symlink)."""
    folder = Path(root) / LOCK_DIR
    if folder.is_symlink() or (folder.exists() and not folder.resolve().is_relative_to(Path(root).resolve())):
        raise OrgsyncError(f"{LOCK_DIR} in the repository is a link (to {folder.resolve()}); orgsync keeps its "
                           "state there and writes only inside the repository",
                           hint=f"remove the link: `rm {folder}` (it is not part of a repository)")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / LOCK_FILE


def _running(pid: int) -> bool:
    """Whether a process with this pid exists (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def _owner(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


@contextmanager
def apply_lock(root: Path, pid: int | None = None) -> Iterator[Path]:
    """Hold the repository's apply lock for the block; `ApplyLocked` (exit 1) when a live process has it.

    Without an orgsync.yaml there is no repository to lock (the command fails on that with its own message).
    """
    if not (Path(root) / "orgsync.yaml").is_file():
        yield Path(root) / LOCK_DIR / LOCK_FILE
        return
    path = lock_path(root)
    me = os.getpid() if pid is None else pid
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            owner = _owner(path)
            if owner is not None and owner != me and _running(owner):
                raise ApplyLocked(f"another orgsync apply (pid {owner}) is running on this repository "
                                  f"({path}); two applies at once could create a dataset twice",
                                  hint="wait for it to finish; if it is not orgsync, remove the lock file") from None
            print(f"note: removing a stale apply lock ({path}, pid {owner or 'unknown'} is not running)",
                  file=sys.stderr)
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as out:
            out.write(f"{me}\n")
        break
    else:
        raise ApplyLocked(f"cannot take the apply lock {path}: another run keeps re-creating it")
    try:
        yield path
    finally:
        if _owner(path) == me:
            path.unlink(missing_ok=True)
