"""The notification (orgsync/notify.py) over real loopback sockets: pinned like the endpoint, never follows a
redirect, a failure is one warning naming only the origin, the text is inert in Slack."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse

from orgsync.notify import NOTIFY_VAR, payload, send, text, url_problem
from orgsync.runlog import RunRecord
from tests.support.emulator_api import Receiver
from tests.support.serving import serve_app

RECORD = RunRecord(
    time="2026-12-06T05:00:00Z",
    command="sync",
    tenant="ACME",
    status="blocked",
    exit_code=3,
    datasets={"People": {"create": 1, "update": 2, "delete": 15}},
    requests=12,
    seconds=3.25,
    directory="hr",
    blocked_by=(
        "dataset.People: 15 item deletes are 75 % of 20 existing items, above maxDeletePercent 10 %",
    ),
    run_url="https://github.com/acme/people/actions/runs/9",
    issue_url="https://github.com/acme/people/issues/4",
)
SECRET_PATH = "/services/T000/B000/XXXXsecretXXXX"


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://hooks.slack.com/services/T/B/x", None),
        ("http://127.0.0.1:9/hook", None),
        ("http://[::1]:9/hook", None),
        ("http://hooks.example.com/x", "expected https:// (plain http only to loopback, for tests)"),
        ("ftp://hooks.example.com/x", "expected an https:// URL"),
        ("hooks.example.com/x", "expected an https:// URL"),
        ("https://user:pw@hooks.example.com/x", "expected no user or password in the URL"),
        ("https://hooks.example.com:99999/x", "expected an https:// URL"),
    ],
)
def test_the_url_is_held_to_the_endpoint_rules(url: str, problem: str | None) -> None:
    assert url_problem(url) == problem


def test_the_receiver_gets_the_runs_fields_and_a_slack_text(webhook: Receiver) -> None:
    warn = io.StringIO()
    assert send(RECORD, {NOTIFY_VAR: webhook.url + "/hook"}, warn=warn) is True
    got = webhook.next()
    assert (got.method, got.path) == ("POST", "/hook") and warn.getvalue() == ""
    body = json.loads(got.body)
    assert body == payload(RECORD)
    assert body["totals"] == {"create": 1, "update": 2, "delete": 15} and body["status"] == "blocked"
    assert body["text"] == (
        "orgsync sync · tenant ACME (hr): *blocked* (exit 3) · 1 to create, 2 to update, 15 to delete in "
        "1 dataset(s) · 12 requests, 3.2 s · blocked: dataset.People: 15 item deletes are 75 % of 20 existing "
        "items, above maxDeletePercent 10 % · <https://github.com/acme/people/issues/4|approval issue> · "
        "<https://github.com/acme/people/actions/runs/9|workflow run>"
    )


def test_no_url_sends_nothing(webhook: Receiver) -> None:
    assert send(RECORD, {}) is False and webhook.got.empty()


def test_a_redirect_is_not_followed_and_is_a_warning_naming_only_the_origin(webhook: Receiver) -> None:
    app = FastAPI()

    @app.post("/{path:path}")
    async def moved(path: str) -> RedirectResponse:
        return RedirectResponse(webhook.url + "/stolen", status_code=307)

    served = serve_app(app)
    try:
        warn = io.StringIO()
        assert send(RECORD, {NOTIFY_VAR: served.base_url + SECRET_PATH}, warn=warn) is False
    finally:
        served.stop()
    port = served.base_url.rsplit(":", 1)[1]
    assert warn.getvalue() == (
        f"warning: the notification to http://127.0.0.1:{port} answered 307 (a redirect: not followed); "
        "the run's outcome is unchanged\n"
    )
    assert webhook.got.empty()  # the redirect's target never got the run


def test_a_failing_or_unreachable_receiver_is_a_warning(webhook: Receiver) -> None:
    app = FastAPI()

    @app.post("/{path:path}")
    async def broken(path: str) -> JSONResponse:
        return JSONResponse({"error": "down"}, status_code=500)

    served = serve_app(app)
    warn = io.StringIO()
    try:
        assert send(RECORD, {NOTIFY_VAR: served.base_url + SECRET_PATH}, warn=warn) is False
    finally:
        served.stop()
    assert "answered 500; the run's outcome is unchanged" in warn.getvalue()
    closed = webhook.url
    webhook.close()  # nothing listens there any more
    warn = io.StringIO()
    assert send(RECORD, {NOTIFY_VAR: closed + SECRET_PATH}, warn=warn) is False
    assert warn.getvalue().startswith(f"warning: the notification to {closed} failed (ConnectError)")
    assert "secret" not in warn.getvalue()


def test_a_refused_url_is_a_warning_and_never_contacted() -> None:
    warn = io.StringIO()
    assert send(RECORD, {NOTIFY_VAR: "http://hooks.example.com" + SECRET_PATH}, warn=warn) is False
    assert warn.getvalue() == (
        "warning: ORGSYNC_NOTIFY_URL is refused (expected https:// (plain http only to loopback, for tests)); "
        "no notification was sent\n"
    )


def test_hostile_names_are_inert_in_the_slack_text() -> None:
    hostile = RunRecord(
        time="t",
        command="sync",
        tenant="<!channel> <@U123> <https://evil.example|click>",
        status="blocked",
        exit_code=3,
        directory="x & y",
        blocked_by=("dataset.<!here>: 3 item deletes",),
        run_url="https://github.com/a/b/actions/runs/1|<evil>",  # never shown: not a plain URL
    )
    line = text(hostile)
    assert "<!" not in line and "<@" not in line and "<https://evil" not in line and "<evil>" not in line
    assert "&lt;!channel&gt;" in line and "x &amp; y" in line and "&lt;!here&gt;" in line
    assert "workflow run" not in line
