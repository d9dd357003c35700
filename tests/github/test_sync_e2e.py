"""`command: sync` as a schedule runs it: action.yml's orgsync step run as the script it is, against the emulator
over a socket, the fake GitHub API, and a webhook receiver on loopback. A daily feed (a SQLite database) is
applied while within the safety policy; a mass delete stops at one approval issue (exit 3, nothing written);
back within the policy it is applied and the issue closed. No item value reaches an issue, a comment, a
notification or a run log line; no item key reaches a notification or a run log line.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orgsync.commands.init import run_init
from orgsync.manifest.init import InitOptions
from tests.support.action_env import Runner, commit
from tests.support.emulator_api import Receiver
from tests.support.fake_github import BOT, FakeGitHub

FEED_ENV = "ORGSYNC_SECRET_FEED_DB"
CONTRACTORS = """kind: Dataset
name: Contractors
type: PEOPLE
autoId: contractor_id
labelId: full_name
properties:
  - {key: contractor_id, name: Contractor ID, type: text}
  - {key: full_name, name: Full Name, type: text}
  - {key: agency, name: Agency, type: text}
items:
  source: {sql: "SELECT contractor_id, full_name, agency FROM contractors", connection: {env: FEED_ENV}}
  mode: mirror
""".replace("FEED_ENV", FEED_ENV)


def value(n: int) -> str:
    return f"Valuezq{n:03d}"  # every item value carries `Valuezq`: a grep for it finds any leak


def key(n: int) -> str:
    return f"KEYzq{n:03d}"


def feed(db: Path, ids: range, renamed: int | None = None) -> None:
    """The feed's table as the HR system left it before the run."""
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE IF EXISTS contractors")
        conn.execute("CREATE TABLE contractors (contractor_id TEXT, full_name TEXT, agency TEXT)")
        conn.executemany(
            "INSERT INTO contractors VALUES (?, ?, ?)",
            [(key(n), value(n) + ("renamed" if n == renamed else ""), f"Agencyzq{n}Valuezq") for n in ids],
        )


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def notifications(receiver: Receiver) -> list[dict[str, Any]]:
    got = []
    while not receiver.got.empty():
        got.append(json.loads(receiver.got.get_nowait().body))
    return got


def texts(github: FakeGitHub) -> str:
    """Every body and title the Action wrote to GitHub."""
    return json.dumps([r.body for r in github.requests if r.body is not None])


@pytest.mark.socket
def test_a_daily_feed_is_applied_within_the_policy_and_stops_at_one_approval_issue_past_it(
    tmp_path: Path,
    github: FakeGitHub,
    emulator_server: Any,
    webhook: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = Runner(tmp_path, github, emulator_server.base_url)
    repo = runner.workspace
    assert run_init(repo, InitOptions(tenant="ACME", ci=False)) == 0
    config = repo / "orgsync.yaml"
    config.write_text(config.read_text().replace("endpoint: local", f"endpoint: {emulator_server.base_url}"))
    (repo / "manifests" / "contractors.yaml").write_text(CONTRACTORS)
    db = tmp_path / "hr-feed.db"  # outside the repository: the HR system's export
    monkeypatch.setenv(FEED_ENV, f"sqlite:///{db}")
    commit(repo)
    sync = {"command": "sync", "notify-url": webhook.url}
    runs_logs: list[str] = []

    # 1. within the policy: applied, no issue, notified
    feed(db, range(20))
    code, outputs, summary = runner.step("schedule", {}, "a" * 40, **sync)
    assert code == 0, runner.stderr
    assert outputs["exit-code"] == "0" and outputs["blocked"] == "false" and outputs["has-changes"] == "true"
    assert json.loads(outputs["summary"])["per_dataset"]["Contractors"] == {
        "create": 20,
        "update": 0,
        "delete": 0,
    }
    assert "Apply complete" in summary and github.issues == {}
    [note] = notifications(webhook)
    assert note["status"] == "applied" and note["command"] == "sync" and note["exit_code"] == 0
    assert note["datasets"]["Contractors"] == {"create": 20, "update": 0, "delete": 0}
    assert note["totals"]["create"] == 45 and note["requests"] > 0 and note["seconds"] >= 0
    assert note["run_url"] == "https://github.com/acme/people/actions/runs/1" and note["issue_url"] == ""
    assert note["text"].startswith("orgsync sync · tenant ACME (.): *applied* (exit 0) · 45 to create")
    runs_logs.append(Path(outputs["runs-file"]).read_text())
    assert outputs["runs-artifact"] == "orgsync-runs-sync-ACME"

    # 2. past it (15 of 20 deleted by the feed): nothing written, one issue saying what blocked it, exit 3
    feed(db, range(5))
    code, outputs, summary = runner.step("schedule", {}, "a" * 40, **sync)
    assert code == 3, runner.stderr
    assert outputs["exit-code"] == "3" and outputs["blocked"] == "true" and "report-file" not in outputs
    [issue] = github.issues.values()
    assert issue["title"] == "orgsync sync blocked: tenant ACME (.) needs approval"
    assert issue["body"].startswith("<!-- orgsync:approval dir=. tenant=ACME -->\n")
    assert "item deletes are 75 % of 20 existing items, above maxDeletePercent 10 %" in issue["body"]
    assert "allow-destructive: on" in issue["body"] and "15 to delete" in issue["body"]
    [note] = notifications(webhook)
    assert note["status"] == "blocked" and note["exit_code"] == 3
    assert note["issue_url"] == "https://github.com/acme/people/issues/1"
    assert note["datasets"]["Contractors"]["delete"] == 15 and note["blocked_by"]
    assert "<https://github.com/acme/people/issues/1|approval issue>" in note["text"]
    runs_logs.append(Path(outputs["runs-file"]).read_text())

    # 3. a second blocked run updates the same issue
    feed(db, range(4))
    code, _, _ = runner.step("schedule", {}, "a" * 40, **sync)
    assert code == 3 and len(github.issues) == 1
    assert "80 % of 20 existing items" in issue["body"] and issue["state"] == "open"
    assert [n["status"] for n in notifications(webhook)] == ["blocked"]

    # 4. back within the policy: applied (exactly one update: the blocked runs wrote nothing), issue closed
    feed(db, range(20), renamed=3)
    code, outputs, _ = runner.step("schedule", {}, "a" * 40, **sync)
    assert code == 0, runner.stderr
    assert json.loads(outputs["summary"])["per_dataset"] == {
        "Contractors": {"create": 0, "update": 1, "delete": 0}
    }
    assert issue["state"] == "closed"
    [closing] = github.comments_on(1)
    assert closing["body"].startswith(
        "The scheduled sync is within the safety policy again and applied the feed"
    )
    assert closing["user"]["login"] == BOT
    [note] = notifications(webhook)
    assert note["status"] == "applied" and note["datasets"] == {
        "Contractors": {"create": 0, "update": 1, "delete": 0}
    }
    runs_logs.append(Path(outputs["runs-file"]).read_text())

    # 5. nothing changed: no changes, nothing to close
    code, outputs, _ = runner.step("schedule", {}, "a" * 40, **sync)
    assert code == 0 and outputs["has-changes"] == "false" and len(github.issues) == 1
    [note] = notifications(webhook)
    assert note["status"] == "no changes"

    # the run log: one line per run (RUNNER_TEMP is kept between these runs, a job's is not), created 0600
    assert [len(text.splitlines()) for text in runs_logs] == [1, 2, 4]
    line = json.loads(runs_logs[1].splitlines()[-1])
    assert {
        "time",
        "command",
        "tenant",
        "status",
        "datasets",
        "requests",
        "trace_ids",
        "exit_code",
    } <= line.keys()
    assert (line["command"], line["tenant"], line["status"], line["exit_code"]) == (
        "sync",
        "ACME",
        "blocked",
        3,
    )
    assert oct(Path(outputs["runs-file"]).stat().st_mode & 0o777) == "0o600"

    # no item value in any issue, comment, notification or run log line; no key in a notification or log line
    everything = texts(github) + json.dumps([i["body"] for i in github.issues.values()])
    assert "Valuezq" not in everything and "Agencyzq" not in everything
    assert "Valuezq" not in "".join(runs_logs) and "KEYzq" not in "".join(runs_logs)
    assert all(r.authorization == "Bearer ghs_fake" for r in github.requests)


@pytest.mark.socket
def test_notifications_never_leak_keys_and_an_approved_apply_closes_the_issue(
    tmp_path: Path,
    github: FakeGitHub,
    emulator_server: Any,
    webhook: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The approval path: blocked sync, then `workflow_dispatch` apply with `allow-destructive: on` (in the
    environment with required reviewers) deletes, and closes the issue with a comment."""
    runner = Runner(tmp_path, github, emulator_server.base_url)
    repo = runner.workspace
    assert run_init(repo, InitOptions(tenant="ACME", ci=False)) == 0
    config = repo / "orgsync.yaml"
    config.write_text(config.read_text().replace("endpoint: local", f"endpoint: {emulator_server.base_url}"))
    (repo / "manifests" / "contractors.yaml").write_text(CONTRACTORS)
    db = tmp_path / "hr-feed.db"
    monkeypatch.setenv(FEED_ENV, f"sqlite:///{db}")
    commit(repo)
    feed(db, range(20))
    assert runner.step("schedule", {}, "a" * 40, command="sync", **{"notify-url": webhook.url})[0] == 0
    feed(db, range(2))
    assert runner.step("schedule", {}, "a" * 40, command="sync", **{"notify-url": webhook.url})[0] == 3
    [issue] = github.issues.values()

    code, outputs, _ = runner.step(
        "workflow_dispatch",
        {},
        "a" * 40,
        command="apply",
        **{"allow-destructive": "on", "notify-url": webhook.url},
    )
    assert code == 0, runner.stderr
    assert issue["state"] == "closed"
    [closing] = github.comments_on(issue["number"])
    assert closing["body"].startswith("An approved apply (`allow-destructive: on`) carried out the changes")
    notes = notifications(webhook)
    assert [n["status"] for n in notes] == ["applied", "blocked", "applied"]
    assert notes[-1]["command"] == "apply" and notes[-1]["datasets"]["Contractors"]["delete"] == 18
    assert notes[-1]["issue_url"] == issue["html_url"]
    wire = json.dumps(notes)
    assert "KEYzq" not in wire and "Valuezq" not in wire and "Agencyzq" not in wire
    last = json.loads(Path(outputs["runs-file"]).read_text().splitlines()[-1])
    assert (last["command"], last["status"], last["exit_code"]) == ("apply", "applied", 0)


VENDORS = """kind: Dataset
name: Vendors
type: PEOPLE
autoId: vendor_id
labelId: vendor_name
properties:
  - {key: vendor_id, name: Vendor ID, type: text}
  - {key: vendor_name, name: Vendor, type: text}
items:
  source: ../data/vendors.csv
  mode: mirror
"""


@pytest.mark.socket
def test_drift_reports_only_committed_sources_and_leaves_the_feed_to_sync(
    tmp_path: Path,
    github: FakeGitHub,
    emulator_server: Any,
    webhook: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = Runner(tmp_path, github, emulator_server.base_url)
    repo = runner.workspace
    assert run_init(repo, InitOptions(tenant="ACME", ci=False)) == 0
    config = repo / "orgsync.yaml"
    config.write_text(config.read_text().replace("endpoint: local", f"endpoint: {emulator_server.base_url}"))
    (repo / "manifests" / "contractors.yaml").write_text(CONTRACTORS)  # a database: the feed
    (repo / "manifests" / "vendors.yaml").write_text(VENDORS)  # a file CI downloads before the run: the feed
    (repo / ".gitignore").write_text((repo / ".gitignore").read_text() + "data/vendors.csv\n")
    vendors = repo / "data" / "vendors.csv"
    vendors.write_text("vendor_id,vendor_name\nV1,Vendzq one\nV2,Vendzq two\n")
    db = tmp_path / "hr-feed.db"
    monkeypatch.setenv(FEED_ENV, f"sqlite:///{db}")
    feed(db, range(5))
    commit(repo)
    assert runner.step("schedule", {}, "a" * 40, command="sync")[0] == 0, runner.stderr

    # the feed moved (database and downloaded file) and a committed source changed: only the latter is drift
    feed(db, range(5), renamed=2)
    vendors.write_text(vendors.read_text() + "V3,Vendzq three\n")
    people = repo / "data" / "people.csv"
    people.write_text(people.read_text().replace("Grace Hopper", "Grace B. Hopper"))
    commit(repo, "a committed change the tenant does not have")
    code, outputs, summary = runner.step(
        "schedule", {}, "a" * 40, command="drift", **{"notify-url": webhook.url}
    )
    assert (code, outputs["drift"]) == (0, "true"), runner.stderr
    [issue] = github.issues.values()
    body = issue["body"]
    assert "<code>dataset.People</code>" in body
    assert "<code>dataset.Contractors</code>" not in body and "<code>dataset.Vendors</code>" not in body
    assert body.count("Left out as the feed") == 1
    assert "Contractors (a database source)" in body and "Vendors (data/vendors.csv is not committed)" in body
    [note] = notifications(webhook)
    assert note["command"] == "drift" and note["status"] == "drift" and note["exit_code"] == 0
    assert note["datasets"] == {"People": {"create": 0, "update": 1, "delete": 0}}
    assert note["issue_url"] == issue["html_url"]

    # a committed file overwritten before the run is the feed too; with the committed change applied, only
    # the feed differs: no drift, the issue closes, and the summary says once what was left out
    assert runner.step("push", {}, "b" * 40, command="apply", comment="off")[0] == 0, runner.stderr
    feed(db, range(5))  # the apply above wrote the renamed row: the feed moves again
    positions = repo / "data" / "positions.csv"
    positions.write_text(positions.read_text().replace("Software Engineer,P02,0.5", "Staff Engineer,P02,0.5"))
    code, outputs, summary = runner.step("schedule", {}, "a" * 40, command="drift")
    assert (code, outputs["drift"]) == (0, "false"), runner.stderr
    assert issue["state"] == "closed"
    assert summary.count("Left out as the feed") == 1
    assert "Contractors (a database source)" in summary
    assert "Positions (data/positions.csv differs from the commit)" in summary
