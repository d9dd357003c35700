"""The tenant-wide request budget and the plain-words errors (D/rate-limit-quota/, D/errors/list/, D/guide/)."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime

import httpx
import orjson
import pytest

from orgsync.api.budget import TenantBudget
from orgsync.api.client import OrgvueClient
from orgsync.api.ratelimit import SlidingWindow
from orgsync.api.retry import RetryPolicy
from orgsync.api.token import expires_at
from orgsync.errors import (
    AuthError,
    QuotaExceededError,
    TenantNotEnabledError,
    ThrottledError,
    UnexpectedAnswerError,
)
from tests.support.fake_api import API, BASE, TENANT, TOKEN, json_reply

DS = {"datasetId": "D1", "name": "People", "type": "PEOPLE"}
TRACE = "Root=1-62bcb5d3-3b211f8616879dea3bde593f"


def run(coro):
    return asyncio.run(coro)


def jwt(**claims: object) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def error(status: int, code: str, name: str, message: str = "m", **extra: object) -> httpx.Response:
    return json_reply(
        {"errors": [{"code": code, "name": name, "message": message, **extra}]},
        status,
        headers={"X-Amzn-Trace-Id": TRACE},
    )


class Gate(httpx.AsyncBaseTransport):
    """Holds every request until released, counting how many are inside at once (no timing involved)."""

    def __init__(self) -> None:
        self.inside = 0
        self.peak = 0
        self.release = asyncio.Event()
        self.full = asyncio.Event()
        self.limit = 50

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.inside += 1
        self.peak = max(self.peak, self.inside)
        if self.inside == self.limit:
            self.full.set()
        await self.release.wait()
        self.inside -= 1
        return httpx.Response(200, content=orjson.dumps([DS]), headers={"Content-Type": "application/json"})


def test_sixty_workers_never_have_more_than_fifty_requests_in_flight():
    async def scenario() -> tuple[int, int, int, int]:
        gate = Gate()
        async with OrgvueClient(BASE, TENANT, TOKEN, transport=gate) as client:
            workers = [asyncio.create_task(client.list_datasets()) for _ in range(60)]
            await gate.full.wait()  # 50 are inside the transport
            for _ in range(1000):  # let every other worker run up to where it waits
                if client.budget.waiting == 10:
                    break
                await asyncio.sleep(0)
            inside, waiting = gate.inside, client.budget.waiting
            gate.release.set()
            results = await asyncio.gather(*workers)
            return inside, waiting, gate.peak, len(results)

    inside, waiting, peak, done = run(scenario())
    assert (inside, waiting) == (50, 10)  # the other ten wait for a slot, unsent
    assert (peak, done) == (50, 60)


def test_the_rate_window_lets_a_burst_of_100_through_and_holds_the_101st_for_the_rest_of_the_second():
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    async def scenario() -> None:
        window = SlidingWindow(100, 1.0, clock=lambda: now[0], sleep=sleep)
        for _ in range(100):
            await window.acquire()
        assert waits == []
        now[0] = 0.25
        await window.acquire()
        assert waits == [0.75]  # the first request leaves the window at t=1.0

    run(scenario())


def test_max_rps_above_the_tenant_limit_is_lowered_to_100():
    assert TenantBudget(max_rps=500).max_rps == 100
    assert TenantBudget(max_rps=7.5).max_rps == 7.5
    assert TenantBudget().max_rps is None and TenantBudget().rps == 100 and TenantBudget().max_in_flight == 50


def test_42901_is_retried_after_the_retry_after_and_counts_as_a_retry(fake, make_client, sleeps):
    fake.on(
        "GET",
        "/api/v1/ACME/datasets",
        json_reply(
            {"errors": [{"code": "42901", "name": "Throttled", "message": "slow down"}]},
            429,
            headers={"Retry-After": "2"},
        ),
        json_reply([DS]),
    )

    async def scenario(client):
        async with client:
            return await client.list_datasets(), client.stats.retries

    listed, retries = run(scenario(make_client()))
    assert ([d.fields for d in listed], retries) == ([DS], 1)
    assert sleeps.waits == [2.0]


def test_42901_after_the_last_attempt_says_what_to_do(fake, make_client):
    fake.on("GET", "/api/v1/ACME/datasets", error(429, "42901", "Throttled"))

    async def scenario(client):
        async with client:
            await client.list_datasets()

    with pytest.raises(ThrottledError) as info:
        run(scenario(make_client(retry=RetryPolicy(attempts=2, base=0.001, cap=0.001))))
    assert len(fake.requests) == 2
    assert f"(trace id {TRACE})" in info.value.message
    assert "lower --max-rps / --parallelism" in (info.value.hint or "")


def test_42902_is_not_retried_and_every_later_request_fails_unsent(fake, make_client, sleeps):
    fake.on("GET", "/api/v1/ACME/datasets", error(429, "42902", "QuotaExceeded", "quota"))
    fake.on("GET", "/api/v1/ACME/datasets/D1", json_reply(DS))

    async def scenario(client):
        async with client:
            with pytest.raises(QuotaExceededError) as first:
                await client.list_datasets()
            with pytest.raises(QuotaExceededError) as second:
                await client.get_dataset("D1")
            return first.value, second.value

    first, second = run(scenario(make_client()))
    assert len(fake.requests) == 1 and sleeps.waits == []  # one request, no retry, nothing sent after it
    assert first.message == (
        f"GET /api/v1/ACME/datasets: 429 Too Many Requests — QuotaExceeded (42902): quota (trace id {TRACE})"
    )
    assert "resets daily" in (first.hint or "") and "run again tomorrow" in (first.hint or "")
    assert second.trace_id == TRACE


def test_an_expired_token_says_when_it_expired_and_where_to_make_a_new_one(fake):
    token = jwt(sub="jane@acme.example", exp=int(datetime(2026, 11, 30, 14, 2, tzinfo=UTC).timestamp()))
    fake.on(
        "GET", "/api/v1/ACME/datasets", error(403, "40302", "ApiTokenExpired", "The API Token has expired.")
    )

    async def scenario():
        async with OrgvueClient(
            "https://orgvue.eu-west-1.concentra.io",
            TENANT,
            token,
            transport=httpx.MockTransport(fake.handler),
        ) as client:
            await client.list_datasets()

    with pytest.raises(AuthError) as info:
        run(scenario())
    text = str(info.value)
    assert (
        "hint: the token expired on 2026-11-30 14:02 UTC: make a new one on the Tokens page "
        "(https://orgvue.eu-west-1.concentra.io/tokens)"
    ) in text
    assert TRACE in text
    assert token not in text and token.split(".")[1] not in text


def test_a_tenant_without_the_api_enabled_says_to_ask_support_and_names_token_access(fake, make_client):
    fake.on("GET", "/api/v1/ACME/datasets", error(403, "40345", "TenantUsagePlanNotConfigured"))

    async def scenario(client):
        async with client:
            await client.list_datasets()

    with pytest.raises(TenantNotEnabledError) as info:
        run(scenario(make_client()))
    assert info.value.hint == (
        "this tenant is not enabled for the API: ask Orgvue support (support@orgvue.com) to enable it; the user also "
        "needs the TokenAccess property (Users list in the settings app, /app/configui of your Orgvue region "
        "(e.g. https://orgvue.eu-west-1.concentra.io/app/configui))"
    )


@pytest.mark.parametrize(
    ("code", "name", "words"),
    [
        ("415001", "ContentTypeIsNotImplemented", "a proxy between here and Orgvue may be changing it"),
        ("400020", "FieldMustNotBeMultivalued", "a query parameter (dateFormat) was sent twice"),
        ("40101", "AuthorizationHeaderEmpty", "no token was sent: set ORGVUE_TOKEN"),
        ("40303", "ApiTokenSubnetViolation", "may not be used from this machine's IP address"),
        ("40324", "UserAccountSubnetViolation", "ask a tenant admin to allow this network"),
    ],
)
def test_documented_codes_are_explained_in_plain_words(fake, make_client, code, name, words):
    status = int(code[:3])
    fake.on("GET", "/api/v1/ACME/datasets", error(status, code, name, queryParameter="dateFormat"))

    async def scenario(client):
        async with client:
            await client.list_datasets()

    with pytest.raises(Exception) as info:
        run(scenario(make_client()))
    assert words in (info.value.hint or "")
    assert TRACE in info.value.message and TOKEN not in str(info.value)


def test_item_write_errors_leave_out_the_services_message_which_may_quote_a_value(fake, make_client):
    fake.on(
        "PUT",
        "/api/v1/ACME/datasets/D1/items",
        error(400, "400000", "TransactionFailed", "salary 91234 is not allowed"),
    )

    async def scenario(client):
        async with client:
            await client.put_items("D1", [{"_action": "update", "salary": 91234}], retry_safe=True)

    with pytest.raises(Exception) as info:
        run(scenario(make_client()))
    assert info.value.message == (
        f"PUT /api/v1/ACME/datasets/D1/items: 400 Bad Request — TransactionFailed (400000) (trace id {TRACE})"
    )


def test_a_temporary_file_answer_with_other_field_names_lists_the_names_never_the_urls(fake, make_client):
    signed = "https://bucket.example/f1?X-Amz-Signature=SECRETSIG"
    fake.on(
        "POST",
        "/api/v1/ACME/resources/temporary",
        json_reply(
            {"readUrl": signed, "putUrl": signed, "expiresAt": "2026-12-01T23:00:00Z"},
            201,
            headers={"X-Amzn-Trace-Id": TRACE},
        ),
    )
    fake.on(
        "POST",
        "/api/v1/ACME/files/generate",
        json_reply(
            {"readUrl": signed, "putUrl": signed, "expiresAt": "2026-12-01T23:00:00Z"},
            201,
            headers={"X-Amzn-Trace-Id": TRACE},
        ),
    )

    async def scenario(client):
        async with client:
            await client.import_items("D1", [{"_action": "update", "x": 1}], retry_safe=True)

    with pytest.raises(UnexpectedAnswerError) as info:
        run(scenario(make_client()))
    text = str(info.value)
    assert "the temporary-file answer lacks getUrl (it has: readUrl, putUrl, expiresAt)" in text
    assert TRACE in text and "SECRETSIG" not in text and "bucket.example" not in text
    assert "F_TEMP_GET_URL" in text


def test_the_expiry_is_read_from_the_jwt_without_verifying_and_nothing_else_is_a_date():
    assert expires_at(jwt(exp=1_800_000_000)) == datetime.fromtimestamp(1_800_000_000, UTC)
    assert expires_at("not-a-jwt") is None
    assert expires_at("a.b.c") is None
    assert expires_at(jwt(exp="tomorrow")) is None
    assert expires_at(jwt(sub="x")) is None


def test_verbose_records_carry_the_trace_id(fake, make_client):
    fake.on("GET", "/api/v1/ACME/datasets", json_reply([DS], headers={"X-Amzn-Trace-Id": TRACE}))

    async def scenario(client):
        async with client:
            with client.collect_trace_ids() as ids:
                await client.list_datasets()
            return ids, client.log[-1].trace_id

    assert run(scenario(make_client())) == ([TRACE], TRACE)
    assert API.endswith("/ACME")


def test_a_failed_job_names_the_trace_id_of_its_ticket(fake, make_client):
    from orgsync.errors import JobFailedError
    from tests.support.fake_api import ticket

    failed = {
        **ticket("failed", errors=[{"code": "50001", "name": "InternalServerError", "message": "boom"}]),
        "X-Amzn-Trace-Id": TRACE,
    }
    fake.on("POST", "/api/v1/ACME/datasets/D1/ondemand", json_reply(ticket("created"), 202))
    fake.on("GET", "/api/v1/ACME/jobs/J1", json_reply(failed))

    async def scenario(client):
        async with client:
            await client.run_ondemand("D1", ["bonus"])

    with pytest.raises(JobFailedError) as info:
        run(scenario(make_client()))
    assert info.value.trace_id == TRACE
    assert info.value.message.endswith(
        f"InternalServerError (50001) (trace id {TRACE})"
    )  # no message: it may quote values
