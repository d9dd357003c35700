"""ApplyReport: outcome codes, per-item failures, JSON without values."""

from __future__ import annotations

import orjson

from orgsync.apply.report import (
    ApplyReport,
    CallRecord,
    StepRecord,
    StepStatus,
    failures_from_results,
    item_key,
)
from orgsync.errors import ExitCode


def _report(*statuses: StepStatus, calls=()) -> ApplyReport:
    r = ApplyReport(target="local", tenant="ACME", plan_source="fresh", started_at="t0")
    r.steps = [
        StepRecord(id=f"s{i}", address="dataset.A", kind="upsert-items", status=s)
        for i, s in enumerate(statuses)
    ]
    r.calls = list(calls)
    return r


def test_exit_code_follows_what_was_applied():
    assert (
        _report(StepStatus.DONE, StepStatus.DONE, calls=[CallRecord("s0", "put-items")]).exit_code
        == ExitCode.OK
    )
    assert _report().exit_code == ExitCode.OK
    partial = _report(
        StepStatus.DONE,
        StepStatus.FAILED,
        calls=[CallRecord("s0", "put-items"), CallRecord("s1", "put-items", ok=False)],
    )
    assert partial.exit_code == ExitCode.PARTIAL
    nothing = _report(StepStatus.FAILED, StepStatus.SKIPPED, calls=[CallRecord("s0", "put-items", ok=False)])
    assert nothing.exit_code == ExitCode.ERROR
    # a failed call that still applied some items (an import job with skipped items) counts as written
    some = _report(
        StepStatus.PARTIAL, calls=[CallRecord("s0", "import-items", ok=False, succeeded=3, failed=1)]
    )
    assert some.exit_code == ExitCode.PARTIAL


def test_a_stopped_run_is_not_complete():
    r = _report(StepStatus.DONE, calls=[CallRecord("s0", "put-items")])
    r.stopped = "interrupted"
    assert r.exit_code == ExitCode.PARTIAL


def test_failures_are_read_item_by_item_with_key_name_and_message():
    results = [
        {"_id": "A", "_action": "createOrUpdate", "_status": "success"},
        {
            "_id": "B",
            "_action": "update",
            "_status": "skipped",
            "_failures": [{"name": "ActionIsForbidden", "code": 400803, "message": "Action for Item denied"}],
        },
        {
            "_id": "C",
            "_action": "createOrUpdate",
            "_status": "partialSuccess",
            "_failures": [
                {
                    "name": "ItemPropertyUpdateForbidden",
                    "code": 400807,
                    "message": "Insufficient access",
                    "properties": ["salary"],
                }
            ],
        },
    ]
    fails = failures_from_results(
        "dataset.P:upsert-items",
        results,
        ["id"],
        [("1",), ("2",), ("3",)],
        ["createOrUpdate", "update", "createOrUpdate"],
        frozenset(),
    )
    assert [(f.key, f.action, f.status, f.name, f.code, f.properties) for f in fails] == [
        ({"id": "2"}, "update", "skipped", "ActionIsForbidden", 400803, []),
        ({"id": "3"}, "createOrUpdate", "partialSuccess", "ItemPropertyUpdateForbidden", 400807, ["salary"]),
    ]


def test_a_failure_message_that_quotes_a_sensitive_value_is_masked():
    results = [
        {
            "_status": "skipped",
            "_failures": [
                {
                    "name": "InvalidValue",
                    "code": 400,
                    "message": "salary 165000.5 and flag true refused for Jane (bonus 9)",
                }
            ],
        }
    ]
    body = '{"_action":"update","id":"7","salary":165000.5,"vip":true,"bonus":9,"name":"Jane"}'
    [fail] = failures_from_results(
        "s0", results, ["id"], [("7",)], ["update"], frozenset({"salary", "vip", "name"}), [body]
    )
    assert fail.message == "salary (sensitive) and flag (sensitive) refused for (sensitive) (bonus 9)"
    [plain] = failures_from_results("s0", results, ["id"], [("7",)], ["update"], frozenset(), [body])
    assert plain.message == "salary 165000.5 and flag true refused for Jane (bonus 9)"


def test_sensitive_key_columns_are_masked():
    assert item_key(["id", "ssn"], ("1", "123-45"), frozenset({"ssn"})) == {"id": "1", "ssn": "(sensitive)"}


def test_json_has_the_outcome_and_every_record():
    r = _report(
        StepStatus.PARTIAL, calls=[CallRecord("s0", "put-items", actions=3, bytes=120, succeeded=2, failed=1)]
    )
    r.failures = failures_from_results(
        "s0",
        [{"_status": "skipped", "_failures": [{"name": "X", "code": 1, "message": "m"}]}],
        ["id"],
        [("9",)],
        ["delete"],
        frozenset(),
    )
    body = orjson.loads(r.to_json())
    assert body["exit_code"] == 4
    assert body["calls"][0] == {
        "step": "s0",
        "call": "put-items",
        "actions": 3,
        "bytes": 120,
        "succeeded": 2,
        "failed": 1,
        "seconds": 0.0,
        "ok": True,
        "error": None,
        "cancelled": False,
        "detail": None,
        "trace_ids": [],
    }
    assert body["failures"] == [
        {
            "step": "s0",
            "key": {"id": "9"},
            "action": "delete",
            "status": "skipped",
            "name": "X",
            "code": 1,
            "message": "m",
            "properties": [],
        }
    ]
    assert body["steps"][0]["status"] == "partial"


def test_summary_lists_applied_and_not_applied():
    r = _report(StepStatus.DONE, StepStatus.SKIPPED)
    r.steps[0].planned, r.steps[0].applied = 5, 5
    r.steps[1].error = "dependency s0 failed"
    assert r.summary() == ["  ✓ s0 5/5 items [done]", "  - s1 [skipped]: dependency s0 failed"]
