"""OrgvueClient mechanics against a scripted API: retries, create guard, jobs, files, errors, secrecy."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest

from orgsync.api.answers import DatasetSummary
from orgsync.errors import (
    ApiError,
    AuthError,
    JobFailedError,
    MaybeAppliedError,
    NotFoundError,
    TransportError,
)
from tests.support.fake_api import API, BASE, TOKEN, gz, json_reply, ticket

DS = {"datasetId": "D1", "name": "People", "type": "PEOPLE"}


def run(coro):
    return asyncio.run(coro)


async def _use(client, fn):
    async with client as c:
        return await fn(c)


def test_list_datasets_sends_bearer_token_and_gzip(fake, make_client):
    fake.on("GET", "/api/v1/ACME/datasets", json_reply([DS]))
    assert [d.fields for d in run(_use(make_client(), lambda c: c.list_datasets()))] == [DS]
    request = fake.requests[0]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "gzip" in request.headers["Accept-Encoding"]


def test_retries_429_honouring_retry_after(fake, make_client, sleeps):
    fake.on(
        "GET",
        "/api/v1/ACME/datasets",
        json_reply({}, 429, {"Retry-After": "0.03"}),
        json_reply({}, 503),
        json_reply([DS]),
    )
    client = make_client()
    assert [d.fields for d in run(_use(client, lambda c: c.list_datasets()))] == [DS]
    assert sleeps.waits[0] == 0.03  # the server's wait, not the backoff
    assert 0 <= sleeps.waits[1] <= 0.002  # second retry: base * 2
    assert client.stats.requests == 3 and client.stats.retries == 2
    assert [r.status for r in client.log] == [429, 503, 200]
    assert [r.path for r in client.log] == ["/api/v1/ACME/datasets"] * 3


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_every_transient_status_is_retried(fake, make_client, status):
    fake.on("GET", "/api/v1/ACME/datasets", json_reply({}, status), json_reply([DS]))
    client = make_client()
    assert [d.fields for d in run(_use(client, lambda c: c.list_datasets()))] == [DS]
    assert [r.status for r in client.log] == [status, 200]


@pytest.mark.parametrize("status", [400, 409, 500, 501])
def test_other_errors_are_not_retried(fake, make_client, status):
    fake.on("GET", "/api/v1/ACME/datasets", json_reply({}, status), json_reply([DS]))
    with pytest.raises(ApiError) as info:
        run(_use(make_client(), lambda c: c.list_datasets()))
    assert info.value.status == status and len(fake.requests) == 1


def test_gives_up_after_the_attempts_with_the_last_error(fake, make_client):
    fake.on(
        "GET",
        "/api/v1/ACME/datasets/D1",
        json_reply({"errors": [{"code": "50001", "name": "Boom", "message": "down"}]}, 503),
    )
    with pytest.raises(ApiError) as info:
        run(_use(make_client(), lambda c: c.get_dataset("D1")))
    assert info.value.status == 503
    assert info.value.errors == [{"code": "50001", "name": "Boom", "message": "down"}]
    assert "Boom (50001): down" in str(info.value)
    assert len(fake.requests) == 4


def test_connection_errors_are_retried_then_a_clean_transport_error(fake, make_client):
    fake.on("GET", "/api/v1/ACME/datasets", httpx.ConnectError("refused"))
    with pytest.raises(TransportError) as info:
        run(_use(make_client(), lambda c: c.list_datasets()))
    assert type(info.value) is TransportError
    assert BASE in str(info.value) and "after 4 attempts" in str(info.value)
    assert "endpoint" in info.value.hint
    assert len(fake.requests) == 4


def test_non_idempotent_put_is_not_retried_on_503(fake, make_client):
    fake.on("PUT", "/api/v1/ACME/datasets/D1/items", json_reply({}, 503), json_reply([]))
    with pytest.raises(ApiError):
        run(_use(make_client(), lambda c: c.put_items("D1", [{"_action": "create", "id": "1"}])))
    assert len(fake.requests) == 1


def test_idempotent_put_is_retried_and_params_are_spelled_as_the_api_wants(fake, make_client):
    results = [{"_id": "X", "_action": "createOrUpdate", "_status": "success"}]
    fake.on("PUT", "/api/v1/ACME/datasets/D1/items", json_reply({}, 502), json_reply(results))
    actions = [{"_action": "createOrUpdate", "id": "1", "salary": 5}]
    got = run(
        _use(
            make_client(),
            lambda c: c.put_items("D1", actions, params={"autoId": True, "dateFormat": "YYYY-MM-DD"}),
        )
    )
    assert got == results
    last = fake.requests[-1]
    assert last.url.params["autoId"] == "true" and last.url.params["dateFormat"] == "YYYY-MM-DD"
    assert orjson.loads(last.content) == actions
    assert len(fake.requests) == 2


def test_explicit_retry_safe_flag_overrides_the_inference(fake, make_client):
    fake.on("PUT", "/api/v1/ACME/links/L1/items", json_reply({}, 504), json_reply([]))
    with pytest.raises(ApiError):
        run(
            _use(
                make_client(),
                lambda c: c.put_items("L1", [{"_action": "update"}], links=True, retry_safe=False),
            )
        )
    assert len(fake.requests) == 1


def test_create_with_lost_answer_adopts_the_dataset_found_by_name(fake, make_client):
    fake.on("POST", "/api/v1/ACME/datasets", httpx.ReadTimeout("slow"))
    fake.on("GET", "/api/v1/ACME/datasets", json_reply([DS]))
    fake.on("GET", "/api/v1/ACME/datasets/D1", json_reply({**DS, "properties": []}))
    got = run(_use(make_client(), lambda c: c.create_dataset({"name": "People", "type": "PEOPLE"})))
    assert got.datasetId == "D1"
    assert len(fake.calls("POST", "/api/v1/ACME/datasets")) == 1  # never posted twice


def test_create_with_lost_answer_and_no_dataset_posts_again(fake, make_client):
    fake.on("POST", "/api/v1/ACME/datasets", json_reply({}, 502), json_reply({**DS, "properties": []}))
    fake.on("GET", "/api/v1/ACME/datasets", json_reply([]))
    got = run(_use(make_client(), lambda c: c.create_dataset({"name": "People", "type": "PEOPLE"})))
    assert got.datasetId == "D1"
    assert len(fake.calls("POST", "/api/v1/ACME/datasets")) == 2
    assert len(fake.calls("GET", "/api/v1/ACME/datasets")) == 1


def test_create_that_keeps_failing_raises_maybe_applied(fake, make_client):
    fake.on("POST", "/api/v1/ACME/links", httpx.ReadTimeout("slow"))
    fake.on("GET", "/api/v1/ACME/datasets", json_reply([]))
    with pytest.raises(MaybeAppliedError) as info:
        run(_use(make_client(), lambda c: c.create_links({"name": "P2P"})))
    assert "may have taken effect" in str(info.value)
    assert len(fake.calls("POST", "/api/v1/ACME/links")) == 4


def test_create_rejected_with_400_is_not_retried(fake, make_client):
    fake.on(
        "POST",
        "/api/v1/ACME/datasets",
        json_reply({"errors": [{"code": "400001", "name": "Invalid", "message": "bad autoId"}]}, 400),
    )
    with pytest.raises(ApiError) as info:
        run(_use(make_client(), lambda c: c.create_dataset({"name": "People"})))
    assert info.value.status == 400 and "bad autoId" in str(info.value)
    assert len(fake.requests) == 1


def test_401_is_an_auth_error_that_never_shows_the_token(fake, make_client):
    fake.on(
        "GET",
        "/api/v1/ACME/datasets",
        json_reply(
            {"errors": [{"code": "401", "name": "Unauthorized", "message": f"bad token {TOKEN}"}]}, 401
        ),
    )
    client = make_client()
    with pytest.raises(AuthError) as info:
        run(_use(client, lambda c: c.list_datasets()))
    text = f"{info.value} {info.value!r} {info.value.errors} {client!r} {client.log} {client.stats}"
    assert TOKEN not in text
    assert "ORGVUE_TOKEN" in str(info.value)
    assert len(fake.requests) == 1


def test_404_is_not_found(fake, make_client):
    with pytest.raises(NotFoundError) as info:
        run(_use(make_client(), lambda c: c.get_draft("nope")))
    assert info.value.status == 404 and "/api/v1/ACME/drafts/nope" in str(info.value)


def test_export_csv_polls_the_job_and_unpacks_the_gzip_result(fake, make_client):
    result_url = f"{BASE}/_files/R1?sig=abc"
    fake.on("POST", "/api/v1/ACME/datasets/D1/export", json_reply(ticket("created")))
    fake.on(
        "GET",
        "/api/v1/ACME/jobs/J1",
        json_reply(ticket("running")),
        json_reply(ticket("completed", result=result_url)),
    )
    fake.on("GET", "/_files/R1", httpx.Response(200, content=gz(b"id,name,_id\n1,Ana,X\n")))
    client = make_client()
    data = run(_use(client, lambda c: c.export_csv("D1", projection=["id", "name", "_id"])))
    assert data == b"id,name,_id\n1,Ana,X\n"
    export = fake.calls("POST", "/api/v1/ACME/datasets/D1/export")[0]
    assert export.url.params["exportFormat"] == "csv" and export.url.params["encoding"] == "gzip"
    # D/egress/column-manipulation/: `add` (the default) returns every property; `replace` with 1..n limits and orders
    assert orjson.loads(export.content) == {
        "query": {"output": {"projection": {"id": 1, "name": 2, "_id": 3}, "projectionMode": "replace"}}
    }
    download = fake.calls("GET", "/_files/R1")[0]
    assert "Authorization" not in download.headers  # presigned: the token goes only to the API
    assert all(r.path != "/_files/R1?sig=abc" for r in client.log)  # no presigned query in the log


def test_export_follows_the_hateoas_link_when_given(fake, make_client):
    other = f"{API}/exports/custom/D1"
    fake.on(
        "POST", "/api/v1/ACME/exports/custom/D1", json_reply(ticket("completed", result=f"{BASE}/_files/R"))
    )
    fake.on("GET", "/_files/R", httpx.Response(200, content=b"id\n"))
    resource = DatasetSummary.model_validate(
        {"datasetId": "D1", "_links": {"dataset:export:csv": {"url": other, "method": "POST"}}}
    )
    assert run(_use(make_client(), lambda c: c.export_csv("D1", resource=resource))) == b"id\n"


def test_failed_job_raises_with_the_documented_errors(fake, make_client):
    errors = [{"code": "50001", "name": "InternalServerError", "message": "it broke"}]
    fake.on("POST", "/api/v1/ACME/datasets/D1/ondemand", json_reply(ticket("created")))
    fake.on("GET", "/api/v1/ACME/jobs/J1", json_reply(ticket("failed", errors=errors)))
    with pytest.raises(JobFailedError) as info:
        run(_use(make_client(), lambda c: c.run_ondemand("D1", ["tenure"])))
    assert info.value.errors == errors and "InternalServerError (50001)" in str(info.value)
    assert "it broke" not in str(info.value)  # a job's message may quote item values: never shown
    body = orjson.loads(fake.calls("POST", "/api/v1/ACME/datasets/D1/ondemand")[0].content)
    assert body == {"executeOnDemand": ["tenure"]}


def test_job_that_never_finishes_times_out(fake, make_client):
    fake.on("POST", "/api/v1/ACME/links/L1/populate", json_reply(ticket("created")))
    fake.on("GET", "/api/v1/ACME/jobs/J1", json_reply(ticket("running")))
    with pytest.raises(JobFailedError) as info:
        run(_use(make_client(), lambda c: c.populate_links("L1", {"sourceDatasetId": "D1"}, timeout=0.05)))
    assert "did not finish within 0.05 s" in str(info.value) and "running" in str(info.value)


def test_import_items_uploads_gzip_to_the_temporary_file_and_returns_results(fake, make_client):
    put_url, get_url = f"{BASE}/_files/T1?sig=w", f"{BASE}/_files/T1?sig=r"
    results = [{"_id": "A", "_action": "createOrUpdate", "_status": "success"}]
    fake.on(
        "POST",
        "/api/v1/ACME/files/generate",
        json_reply({"getUrl": get_url, "putUrl": put_url, "expiresAt": "2030-01-01T00:00:00Z"}),
    )
    fake.on("PUT", "/_files/T1", httpx.Response(200))
    fake.on("PUT", "/api/v1/ACME/datasets/D1/items/import", json_reply(ticket("created"), 202))
    fake.on("GET", "/api/v1/ACME/jobs/J1", json_reply(ticket("completed", result=f"{BASE}/_files/RES")))
    fake.on("GET", "/_files/RES", httpx.Response(200, content=gz(orjson.dumps(results))))
    actions = [{"_action": "createOrUpdate", "id": str(i)} for i in range(100)]
    got = run(_use(make_client(), lambda c: c.import_items("D1", actions, params={"autoId": True})))
    assert got == results
    temp = orjson.loads(fake.calls("POST", "/api/v1/ACME/files/generate")[0].content)
    assert temp == {"targetType": "json", "targetEncoding": "gzip"}
    upload = fake.calls("PUT", "/_files/T1")[0]
    assert orjson.loads(__import__("gzip").decompress(upload.content)) == actions
    assert "Authorization" not in upload.headers
    start = fake.calls("PUT", "/api/v1/ACME/datasets/D1/items/import")[0]
    assert orjson.loads(start.content) == {"importLocation": {"method": "GET", "url": get_url}}
    assert start.url.params["autoId"] == "true"


def test_queries_send_filter_and_projection(fake, make_client):
    fake.on("POST", "/api/v1/ACME/datasets/D1/items/query", json_reply([{"id": "1"}]))
    fake.on("POST", "/api/v1/ACME/drafts/query", json_reply([{"draftId": "R1"}]))
    fake.on("GET", "/api/v1/ACME/datasets/D1/items", json_reply([{"id": "1", "_id": "X"}]))

    async def calls(c):
        return (
            await c.query_items("D1", {"dept": "Eng"}, ["id"]),
            await c.query_drafts({"name": "Q3"}),
            await c.list_items("D1"),
        )

    assert run(_use(make_client(), calls)) == ([{"id": "1"}], [{"draftId": "R1"}], [{"id": "1", "_id": "X"}])
    assert orjson.loads(fake.requests[0].content) == {"filter": {"dept": "Eng"}, "projection": {"id": 1}}
    assert orjson.loads(fake.requests[1].content) == {"filter": {"name": "Q3"}}


def test_update_dataset_is_a_patch_with_delete_omitted(fake, make_client):
    fake.on("PATCH", "/api/v1/ACME/datasets/D1", json_reply({}, 503), json_reply(DS))
    got = run(_use(make_client(), lambda c: c.update_dataset("D1", {"tags": ["hr"]}, delete_omitted=True)))
    assert got == DS
    assert fake.requests[-1].url.params["deleteOmittedProperties"] == "true"
    assert len(fake.requests) == 2


def test_stats_count_bytes_both_ways(fake, make_client):
    fake.on("PUT", "/api/v1/ACME/datasets/D1/items", json_reply([{"_status": "success"}]))
    client = make_client()
    actions = [{"_action": "update", "id": "1"}]
    run(_use(client, lambda c: c.put_items("D1", actions)))
    assert client.stats.bytes_sent == len(orjson.dumps(actions))
    assert client.stats.bytes_received == len(orjson.dumps([{"_status": "success"}]))


def test_token_is_in_no_repr(make_client):
    client = make_client()
    assert TOKEN not in repr(client) and TOKEN not in repr(client._core) and TOKEN not in str(vars(client))
    asyncio.run(client.aclose())


def test_relative_links_are_resolved_against_the_host(fake, make_client):
    relative = {"_links": {"self": {"url": "/api/v1/ACME/jobs/J9"}}, "jobStatus": "created"}
    done = {
        "_links": {"self": {"url": "/api/v1/ACME/jobs/J9"}, "result": {"url": "/_files/R9?sig=1"}},
        "jobStatus": "completed",
    }
    fake.on("POST", "/api/v1/ACME/datasets/D1/export", json_reply(relative))
    fake.on("GET", "/api/v1/ACME/jobs/J9", json_reply(done))
    fake.on("GET", "/_files/R9", httpx.Response(200, content=b"id\n1\n"))
    assert run(_use(make_client(), lambda c: c.export_csv("D1"))) == b"id\n1\n"
    job = fake.calls("GET", "/api/v1/ACME/jobs/J9")[0]
    assert str(job.url) == f"{API}/jobs/J9" and job.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "Authorization" not in fake.calls("GET", "/_files/R9")[0].headers


def test_max_rps_takes_one_token_per_attempt_including_retries(fake, make_client, monkeypatch):
    taken: list[float] = []

    class CountingBucket:
        def __init__(self, rate: float, **_: object) -> None:
            self.rate = rate

        async def acquire(self) -> None:
            taken.append(self.rate)

    monkeypatch.setattr("orgsync.api.budget.TokenBucket", CountingBucket)
    fake.on("GET", "/api/v1/ACME/datasets", json_reply({}, 503), json_reply([DS]))

    async def three_workers(c):
        return await asyncio.gather(*(c.list_datasets() for _ in range(3)))

    run(_use(make_client(max_rps=7.5), three_workers))
    assert taken == [7.5] * len(fake.requests) and len(fake.requests) == 4


def test_a_redirect_is_an_error_not_an_empty_success(fake, make_client):
    # Redirects are not followed (the token must not travel elsewhere). A 3xx with an empty body used to pass as
    # success: list_datasets read an empty tenant (plan would create everything) and put_items reported no failure.
    moved = httpx.Response(301, headers={"Location": "https://other.example/api/v1/ACME/datasets"})
    fake.on("GET", "/api/v1/ACME/datasets", moved)
    fake.on("PUT", "/api/v1/ACME/datasets/D1/items", httpx.Response(307, headers={"Location": "/elsewhere"}))
    with pytest.raises(ApiError) as info:
        run(_use(make_client(), lambda c: c.list_datasets()))
    assert info.value.status == 301
    assert "redirected to https://other.example/api/v1/ACME/datasets" in str(info.value)
    assert "endpoint" in info.value.hint
    with pytest.raises(ApiError) as info:
        run(_use(make_client(), lambda c: c.put_items("D1", [{"_action": "update", "id": "1"}])))
    assert info.value.status == 307
    assert len(fake.requests) == 2  # neither followed nor retried
