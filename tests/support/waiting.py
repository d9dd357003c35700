"""Waiting for a condition in tests: a bound turns a hang into a failure, never decides an outcome."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], what: str, bound: float = 60.0) -> T:
    """Poll `condition` until it returns something truthy, and return that. Past `bound` seconds it fails
    naming `what`: how long anything takes never changes what a test asserts."""
    deadline = time.monotonic() + bound
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)
    return result
