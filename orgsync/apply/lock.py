"""One apply at a time per repository on a machine: a lock file holding the owner's pid.

Two applies planned against the same tenant state would both create the missing dataset (two "People").
The lock is taken before the plan is read, created atomically (O_EXCL); a lock whose pid is no longer running
is stale (a killed run) and is taken over with a note. It lives in a private folder of the user's temporary
directory, named by the repository's resolved path, so a refused run writes nothing into the repository and no
file of the repository (a planted link) can move it. CI runners are serialised by the workflow's concurrency
group instead (one runner cannot see another's lock file).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orgsync.errors import OrgsyncError


class ApplyLocked(OrgsyncError):
    """Another orgsync apply on this machine holds the repository's lock."""


def lock_path(root: Path) -> Path:
    """`$TMPDIR/orgsync-<uid>/<hash of the resolved repository path>.lock` (the folder private to this user)."""
    folder = Path(tempfile.gettempdir()) / f"orgsync-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.is_symlink() or folder.stat().st_uid != os.getuid():
        raise OrgsyncError(
            f"{folder} is not a private folder of this user; orgsync keeps its apply locks there",
            hint=f"remove it (`rm -r {folder}`) and run again",
        )
    digest = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:24]
    return folder / f"{digest}.lock"


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
    """Hold the repository's apply lock for the block; `ApplyLocked` (exit 1) when a live process has it."""
    path = lock_path(root)
    me = os.getpid() if pid is None else pid
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            owner = _owner(path)
            if owner is not None and owner != me and _running(owner):
                raise ApplyLocked(
                    f"another orgsync apply (pid {owner}) is running on this repository "
                    f"({path}); two applies at once could create a dataset twice",
                    hint="wait for it to finish; if it is not orgsync, remove the lock file",
                ) from None
            print(
                f"note: removing a stale apply lock ({path}, pid {owner or 'unknown'} is not running)",
                file=sys.stderr,
            )
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
