"""The documented usage limits of a tenant (D/rate-limit-quota/, D/items/general-usage/), enforced per tenant.

- more than `rps` requests in any one second, or more than `in_flight` at once: 429 `42901 Throttled`;
- more than `daily_quota` requests in one UTC day: 429 `42902 QuotaExceeded`;
- a sync item PUT body over `sync_put_max_bytes`: 413 with the gateway's body (not Orgvue's error JSON).

Time is the emulator's admin clock (`Emulator.now`), so a test that freezes or advances it is deterministic.
A limit of 0 (or None) is off. Refused requests count against nothing.
"""

from __future__ import annotations

import math
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from orgsync.emulator.errors import ApiError

DEFAULT_RPS = 100
DEFAULT_IN_FLIGHT = 50
DEFAULT_DAILY_QUOTA = 500_000
DEFAULT_SYNC_PUT_MAX_BYTES = 6_000_000  # "6 MB": decimal megabytes, the stricter reading
DAY = 86_400.0
SYNC_PUT = re.compile(r"^/api/v1/[^/]+/(datasets|links)/[^/]+/items$")


@dataclass(frozen=True)
class Limits:
    """The limits of every tenant of one emulator; 0 turns a limit off."""

    rps: int = DEFAULT_RPS
    in_flight: int = DEFAULT_IN_FLIGHT
    daily_quota: int = DEFAULT_DAILY_QUOTA
    sync_put_max_bytes: int = DEFAULT_SYNC_PUT_MAX_BYTES

    @classmethod
    def off(cls) -> Limits:
        """No limit at all (benchmarks that measure the engine alone)."""
        return cls(0, 0, 0, 0)

    def describe(self) -> dict[str, int]:
        return {
            "rps": self.rps,
            "inFlight": self.in_flight,
            "dailyQuota": self.daily_quota,
            "syncPutMaxBytes": self.sync_put_max_bytes,
        }


@dataclass
class _Usage:
    """One tenant's counters: accepted request times of the last second, in flight now, today's count."""

    recent: deque[float] = field(default_factory=deque)
    in_flight: int = 0
    peak_in_flight: int = 0
    day: int = -1
    today: int = 0
    throttled: int = 0
    refused_quota: int = 0

    def describe(self) -> dict[str, int]:
        return {
            "inFlight": self.in_flight,
            "peakInFlight": self.peak_in_flight,
            "today": self.today,
            "throttled": self.throttled,
            "quotaRefused": self.refused_quota,
        }


def throttled(message: str) -> ApiError:
    return ApiError(429, "42901", "Throttled", message)


def quota_exceeded(quota: int) -> ApiError:
    return ApiError(
        429,
        "42902",
        "QuotaExceeded",
        f"The daily request quota of this tenant ({quota:,} requests) is used up.",
    )


class GatewayRefusal(Exception):
    """An answer of the gateway in front of Orgvue, not of Orgvue: its own body, not the `errors` JSON."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        super().__init__(body.decode(errors="replace"))
        self.status, self.body, self.headers = status, body, headers


def too_large(size: int, limit: int) -> GatewayRefusal:
    """A sync body over the limit, refused as API Gateway in front of a Lambda refuses it: 413 with the
    gateway's `{"message": ...}` (no documented Orgvue code exists for it; the trace header, the "usage plan"
    errors and the S3-shaped `errorContent` on the pages point to API Gateway + Lambda)."""
    return GatewayRefusal(
        413,
        b'{"message":"Request Too Long"}',
        {"x-amzn-ErrorType": "RequestEntityTooLargeException"},
    )


class LimitBook:
    """Admits or refuses each API request of a tenant; `release` must follow every admitted one."""

    def __init__(self, limits: Limits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._usage: dict[str, _Usage] = {}

    def admit(self, tenant: str) -> None:
        """Count the request in, or raise the documented 429 (nothing is counted then)."""
        limits, now = self.limits, self._clock()
        with self._lock:
            usage = self._usage.setdefault(tenant, _Usage())
            day = math.floor(now / DAY)
            if day != usage.day:
                usage.day, usage.today = day, 0
            if limits.daily_quota and usage.today >= limits.daily_quota:
                usage.refused_quota += 1
                raise quota_exceeded(limits.daily_quota)
            while usage.recent and usage.recent[0] <= now - 1.0:
                usage.recent.popleft()
            if limits.rps and len(usage.recent) >= limits.rps:
                usage.throttled += 1
                raise throttled(
                    f"Rate limit exceeded: more than {limits.rps} requests in one second for this tenant."
                )
            if limits.in_flight and usage.in_flight >= limits.in_flight:
                usage.throttled += 1
                raise throttled(
                    f"Concurrency limit exceeded: more than {limits.in_flight} requests at once "
                    "for this tenant."
                )
            usage.recent.append(now)
            usage.today += 1
            usage.in_flight += 1
            usage.peak_in_flight = max(usage.peak_in_flight, usage.in_flight)

    def release(self, tenant: str) -> None:
        with self._lock:
            usage = self._usage.get(tenant)
            if usage is not None and usage.in_flight > 0:
                usage.in_flight -= 1

    def check_body(self, method: str, path: str, size: int | None) -> None:
        """Refuse a sync item PUT whose body is over the limit (413)."""
        limit = self.limits.sync_put_max_bytes
        if limit and size is not None and size > limit and method == "PUT" and SYNC_PUT.match(path):
            raise too_large(size, limit)

    def configure(self, body: Any) -> Limits:
        """Admin: change some limits (`{"rps": 10, "inFlight": 2, "dailyQuota": 5, "syncPutMaxBytes": n}`)."""
        from orgsync.emulator.errors import bad_body

        if not isinstance(body, dict):
            raise bad_body("the body must be an object of limits")
        names = {
            "rps": "rps",
            "inFlight": "in_flight",
            "dailyQuota": "daily_quota",
            "syncPutMaxBytes": "sync_put_max_bytes",
        }
        changes: dict[str, int] = {}
        for key, value in body.items():
            if key not in names:
                raise bad_body(f"unknown limit {key!r}; expected one of {', '.join(names)}", f"$.{key}")
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise bad_body(f"{key} must be a non-negative integer (0 turns it off)", f"$.{key}")
            changes[names[key]] = value
        with self._lock:
            self.limits = replace(self.limits, **changes)
            return self.limits

    def reset(self, tenant: str | None = None) -> None:
        """Forget the counters of one tenant (or all)."""
        with self._lock:
            if tenant is None:
                self._usage.clear()
            else:
                self._usage.pop(tenant, None)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "limits": self.limits.describe(),
                "tenants": {t: u.describe() for t, u in sorted(self._usage.items())},
            }
