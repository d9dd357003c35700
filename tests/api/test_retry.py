"""Backoff with full jitter, and Retry-After parsing."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from orgsync.api.retry import RetryPolicy, parse_retry_after


def test_backoff_is_within_the_capped_exponential_ceiling():
    policy = RetryPolicy(base=0.5, cap=4.0, rng=random.Random(7))
    for retry, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (12, 4.0)]:
        samples = [policy.backoff(retry) for _ in range(200)]
        assert all(0.0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8  # full jitter spreads over the whole range


def test_backoff_is_reproducible_with_a_seeded_rng():
    a = RetryPolicy(rng=random.Random(1))
    b = RetryPolicy(rng=random.Random(1))
    assert [a.backoff(i) for i in range(1, 6)] == [b.backoff(i) for i in range(1, 6)]


def test_retry_after_seconds_wins_over_backoff_and_is_capped():
    policy = RetryPolicy(base=100.0, cap=100.0, max_retry_after=10.0)
    assert policy.delay(1, "3") == 3.0
    assert policy.delay(1, "3600") == 10.0
    assert policy.delay(1, "0") == 0.0


def test_retry_after_http_date():
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:05 GMT", now) == 5.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now) == 0.0


def test_unreadable_retry_after_falls_back_to_backoff():
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    policy = RetryPolicy(base=0.25, cap=0.25)
    assert 0.0 <= policy.delay(1, "soon") <= 0.25


def test_retry_after_that_is_not_delta_seconds_is_unreadable():
    # float() would take these: "nan" made the wait NaN (asyncio sleeps 0 s for it), "-5" or "1_0" are not RFC 9110
    for value in ("nan", "NaN", "inf", "-5", "1_0", "1e3", "+3"):
        assert parse_retry_after(value) is None, value
    assert parse_retry_after(" 7 ") == 7.0
    assert parse_retry_after("2.5") == 2.5  # not RFC, but some gateways send it and its meaning is plain
    policy = RetryPolicy(base=0.25, cap=0.25)
    assert 0.0 <= policy.delay(1, "nan") <= 0.25
