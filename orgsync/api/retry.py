"""When and how long to wait before repeating a request: capped exponential backoff with full jitter.

Retry-After (seconds or an HTTP date) wins over the computed backoff, capped so a hostile or broken
header cannot park a CI job for hours.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# delta-seconds (RFC 9110: digits), plus a decimal fraction some gateways send; float() alone would take nan/inf
_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts a request gets and how long to wait between them (seconds)."""

    attempts: int = 5  # total tries, including the first
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 120.0
    statuses: frozenset[int] = RETRY_STATUSES
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff(self, retry: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(retry-1))] for the `retry`-th retry (1-based)."""
        ceiling = min(self.cap, self.base * (2 ** max(retry - 1, 0)))
        return self.rng.uniform(0.0, ceiling)

    def delay(self, retry: int, retry_after: str | None) -> float:
        """The wait before the `retry`-th retry: the server's Retry-After when given, else the backoff."""
        asked = parse_retry_after(retry_after)
        if asked is not None:
            return min(asked, self.max_retry_after)
        return self.backoff(retry)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)
