"""Watch which files the process opens (a Python audit hook), so a test can prove a file was never read."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_WATCHED: list[tuple[set[str], list[str]]] = []
_INSTALLED = False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or not _WATCHED or not args or not isinstance(args[0], str | bytes | os.PathLike):
        return
    try:
        opened = os.path.realpath(os.fsdecode(args[0]))
    except (TypeError, ValueError):
        return
    for paths, seen in _WATCHED:
        if opened in paths:
            seen.append(opened)


@contextmanager
def opens_of(*paths: Path) -> Iterator[list[str]]:
    """The list of opens of `paths` (resolved) made while the block runs, by this process's Python code."""
    global _INSTALLED
    if not _INSTALLED:
        sys.addaudithook(_hook)  # audit hooks cannot be removed: one, inactive outside these blocks
        _INSTALLED = True
    seen: list[str] = []
    entry = ({os.path.realpath(p) for p in paths}, seen)
    _WATCHED.append(entry)
    try:
        yield seen
    finally:
        _WATCHED.remove(entry)
