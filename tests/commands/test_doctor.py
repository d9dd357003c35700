"""`orgsync doctor` against the emulator over a socket, healthy and with faults injected (D/guide/, D/errors/list/)."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest

from orgsync.commands.doctor import run_doctor
from tests.support.cli import orgsync
from tests.support.repo import make_repo

pytestmark = pytest.mark.socket

REPO = Path(__file__).resolve().parents[2]
ACME = REPO / "examples" / "acme"
NOW = datetime.now(UTC)  # token dates are relative to this; the doctor reads the clock when it runs
TEMP_FILE_PATH = "/files/generate$"


def jwt(expires: datetime) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")

    return (
        f"{part({'alg': 'HS256'})}.{part({'sub': 'ci@acme.example', 'exp': int(expires.timestamp())})}.c2ln"
    )


def doctor(root: Path, token: str | None, now: datetime | None = None) -> tuple[int, dict]:
    """Run the doctor; its clock is this machine's, or `now` when given (a skewed clock)."""
    out = io.StringIO()
    env = {"ORGVUE_TOKEN": token} if token else {}
    code = run_doctor(root, "json", env, stdout=out, now=lambda: now or datetime.now(UTC))
    return code, orjson.loads(out.getvalue())


def rows(report: dict) -> dict[str, tuple[str, str, str]]:
    return {c["name"]: (c["status"], c["detail"], c["todo"]) for c in report["checks"]}


def fault(base_url: str, body: dict, token: str | None = None) -> None:
    """Inject a fault (the admin API takes the emulator's token when it has one)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    httpx.post(f"{base_url}/_emulator/faults", json=body, headers=headers).raise_for_status()


def people(base_url: str, token: str) -> None:
    r = httpx.post(
        f"{base_url}/api/v1/ACME/datasets",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "name": "People",
            "type": "PEOPLE",
            "autoId": "employee_id",
            "labelId": "employee_id",
            "properties": [{"key": "employee_id", "type": "text", "isRequired": True}],
        },
    )
    assert r.status_code == 201, r.text


def test_a_healthy_tenant_passes_and_nothing_is_written_to_datasets(tmp_path, emulator_factory):
    token = jwt(NOW + timedelta(days=90))
    server = emulator_factory(token=token)
    people(server.base_url, token)
    admin = {"Authorization": f"Bearer {token}"}
    httpx.delete(f"{server.base_url}/_emulator/requests", headers=admin)
    root = make_repo(tmp_path / "acme", example="acme", endpoint=server.base_url)
    code, report = doctor(root, token)
    checks = rows(report)
    assert code == 0 and report["ok"] is True
    assert checks["endpoint"][0] == "WARN" and "not a known Orgvue region host" in checks["endpoint"][1]
    assert checks["TLS"][0] == "SKIP"
    assert checks["token"][0] == "OK" and "in 90 days" in checks["token"][1]
    assert [checks[n][0] for n in ("authentication", "tenant", "datasets")] == ["OK"] * 3
    assert checks["dataset People"][:2] == ("OK", checks["dataset People"][1])
    assert checks["dataset People"][1].startswith("found (")
    assert checks["dataset Positions"][:2] == ("OK", "not in the tenant yet: apply will create it")
    assert checks["temporary file"][0] == "OK" and "getUrl" in checks["temporary file"][1]
    assert checks["clock"][0] == "OK"
    assert checks["rate-limit headers"][0] == "OK"
    log = httpx.get(f"{server.base_url}/_emulator/requests", headers=admin).json()
    writes = [(e["method"], e["path"]) for e in log if e["method"] != "GET"]
    assert all(
        p.startswith("/_files/") or p.endswith(("/resources/temporary", "/files/generate")) for _, p in writes
    ), writes
    assert token not in str(report)


def test_an_expired_token_fails_the_token_and_the_authentication_rows(tmp_path, emulator_factory):
    expired = NOW - timedelta(days=2)
    token = jwt(expired)
    server = emulator_factory(token=token)
    fault(server.base_url, {"path": "*", "status": 403, "code": "40302", "name": "ApiTokenExpired"}, token)
    code, report = doctor(make_repo(tmp_path / "acme", example="acme", endpoint=server.base_url), token)
    checks = rows(report)
    assert code == 1 and report["ok"] is False
    day = expired.strftime("%Y-%m-%d")
    assert checks["token"][0] == "FAIL" and checks["token"][1].startswith(f"expired on {day}")
    assert checks["authentication"][0] == "FAIL" and "ApiTokenExpired (40302)" in checks["authentication"][1]
    assert checks["authentication"][2].startswith(f"the token expired on {day}")
    assert "Tokens page" in checks["authentication"][2]
    assert checks["temporary file"][0] == "SKIP"
    assert token not in str(report)


def test_a_token_expiring_within_14_days_is_a_warning_not_a_failure(tmp_path, emulator_factory):
    token = jwt(NOW + timedelta(days=5, hours=1))
    server = emulator_factory(token=token)
    code, report = doctor(make_repo(tmp_path / "acme", example="acme", endpoint=server.base_url), token)
    status, detail, todo = rows(report)["token"]
    assert (code, status) == (0, "WARN")
    assert "in 5 day(s)" in detail and "before then" in todo


def test_a_tenant_not_enabled_for_the_api_says_to_ask_support(tmp_path, emulator_factory):
    token = jwt(NOW + timedelta(days=90))
    server = emulator_factory(token=token)
    fault(
        server.base_url,
        {"path": "*", "status": 403, "code": "40345", "name": "TenantUsagePlanNotConfigured"},
        token,
    )
    code, report = doctor(make_repo(tmp_path / "acme", example="acme", endpoint=server.base_url), token)
    checks = rows(report)
    assert code == 1
    assert checks["tenant"][0] == "FAIL"
    assert "this tenant is not enabled for the API: ask Orgvue support" in checks["tenant"][2]
    assert "TokenAccess" in checks["tenant"][2]
    assert checks["authentication"][0] == "SKIP"


def test_a_renamed_temporary_file_field_is_named_and_fails(tmp_path, emulator_factory):
    token = jwt(NOW + timedelta(days=90))
    server = emulator_factory(token=token)
    fault(server.base_url, {"path": TEMP_FILE_PATH, "method": "POST", "rename": {"getUrl": "readUrl"}}, token)
    code, report = doctor(make_repo(tmp_path / "acme", example="acme", endpoint=server.base_url), token)
    status, detail, todo = rows(report)["temporary file"]
    assert (code, status) == (1, "FAIL")
    assert "lacks getUrl (it has: readUrl, putUrl, expiresAt)" in detail
    assert "sig=" not in detail and "/_files/" not in detail
    assert "F_TEMP_GET_URL" in todo


def test_a_clock_an_hour_ahead_is_a_warning(tmp_path, emulator_factory):
    token = jwt(NOW + timedelta(days=90))
    server = emulator_factory(token=token)
    code, report = doctor(
        make_repo(tmp_path / "acme", example="acme", endpoint=server.base_url),
        token,
        now=datetime.now(UTC) + timedelta(hours=1),
    )
    status, detail, _ = rows(report)["clock"]
    assert (code, status) == (0, "WARN")
    assert detail == "this machine's clock is about 60 min ahead of Orgvue's"


def test_no_tls_where_https_is_expected_fails_and_nothing_else_is_tried(tmp_path, emulator_factory):
    server = emulator_factory()
    port = httpx.URL(server.base_url).port
    code, report = doctor(
        make_repo(tmp_path / "acme", example="acme", endpoint=f"https://127.0.0.1:{port}"), "t"
    )
    checks = rows(report)
    assert code == 1
    assert checks["TLS"][0] == "FAIL" and checks["TLS"][1].startswith(
        f"no TLS connection to 127.0.0.1:{port}"
    )
    assert checks["authentication"] == ("SKIP", "not checked: TLS failed", "")
    assert not httpx.get(f"{server.base_url}/_emulator/requests").json()  # no token: the admin API is open


def test_no_token_fails_and_names_the_variable(tmp_path, emulator_factory):
    server = emulator_factory(token="t")
    code, report = doctor(make_repo(tmp_path / "acme", example="acme", endpoint=server.base_url), None)
    assert code == 1
    assert rows(report)["token"][:2] == ("FAIL", "no token: ORGVUE_TOKEN and ORGVUE_TOKEN_FILE are not set")


def test_the_command_line_prints_one_row_per_check_and_exits_0_on_the_local_target(tmp_path):
    root = make_repo(tmp_path / "acme", example="acme")
    code, out, err = orgsync("doctor", "-C", str(root))
    assert code == 0, out + err
    lines = (out + err).splitlines()
    assert lines[0].startswith("Target: local")
    assert lines[1].split()[:2] == ["OK", "endpoint"]
    assert any(line.split()[:3] == ["OK", "temporary", "file"] for line in lines)
    assert lines[-1] == "All checks passed: apply can work against this tenant."
    # no token is asked for on the local target, so none is said to be accepted
    assert lines[3:5] == [
        "  SKIP  token                  not needed: the local target takes no token",
        "  SKIP  authentication         not needed: the local target takes no token",
    ]
    assert "accepted" not in out + err
