"""Fixtures over the scriptable fake API (tests/support/fake_api.py): the fake, its sleep recorder, a client on it."""

from __future__ import annotations

import httpx
import pytest

from orgsync.api.client import OrgvueClient
from orgsync.api.jobs import JobPolling
from orgsync.api.retry import RetryPolicy
from tests.support.fake_api import (
    BASE,
    TENANT,
    TOKEN,
    FakeApi,
    SleepRecorder,
)


@pytest.fixture
def fake() -> FakeApi:
    return FakeApi()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(fake: FakeApi, sleeps: SleepRecorder):
    """Build a client over the fake API with tiny backoff and job polling."""

    def build(**kwargs) -> OrgvueClient:
        kwargs.setdefault("retry", RetryPolicy(attempts=4, base=0.001, cap=0.004))
        kwargs.setdefault("polling", JobPolling(first=0.001, factor=2.0, cap=0.004, timeout=5.0))
        return OrgvueClient(
            BASE, TENANT, TOKEN, transport=httpx.MockTransport(fake.handler), sleep=sleeps, **kwargs
        )

    return build
