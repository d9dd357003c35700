"""Executor against a recording client: call order, failures, skips, staleness, concurrency, async files."""

from __future__ import annotations

import asyncio
import gc
import threading

from orgsync.apply.batching import BatchLimits
from orgsync.apply.executor import ExecOptions, Executor
from orgsync.apply.order import order_plan
from orgsync.apply.report import ApplyReport, StepStatus
from orgsync.errors import ExitCode
from orgsync.plan.model import Action
from tests.support.apply_factories import dataset_manifest, items, links_manifest, plan, project, resource
from tests.support.apply_fakes import FakeClient


def _run(p, proj, client, **options) -> ApplyReport:
    report = ApplyReport(target="local", tenant="ACME", plan_source="fresh", started_at="t0")
    steps = order_plan(p, proj)
    return asyncio.run(Executor(client, steps, report, ExecOptions(**options)).run())


def _example():
    people = resource(
        "People",
        action=Action.CREATE,
        item_changes=items(["id"], ["name"], creates=[("p1", "Ann"), ("p2", "Bob")]),
    )
    positions = resource(
        "Positions",
        item_changes=items(["id"], ["title"], updates=[("x1", "CEO", "Boss")], deletes=[("x9",)]),
        fingerprint=("ck1", "tx1"),
    )
    links = resource(
        "P2P",
        links=True,
        action=Action.CREATE,
        depends_on=["dataset.People", "dataset.Positions"],
        item_changes=items(["from_id", "to_id"], ["allocation"], creates=[("p1", "x1", "1")]),
    )
    proj = project(
        dataset_manifest("People", properties=[{"key": "name", "name": "Name", "type": "text"}]),
        dataset_manifest("Positions", properties=[{"key": "title", "name": "T", "type": "text"}]),
        links_manifest("P2P", "People", "Positions"),
    )
    client = FakeClient(
        datasets={
            "ID-Positions": {
                "datasetId": "ID-Positions",
                "name": "Positions",
                "cacheKey": "ck1",
                "items": {"lastTransactionId": "tx1"},
            }
        }
    )
    return plan(people, positions, links), proj, client


def _shape(calls):
    """Calls without bodies: (method, dataset, item actions)."""
    out = []
    for c in calls:
        if c[0] in ("put", "import"):
            out.append((c[0], c[1], [(a["_action"], a.get("id") or a.get("from_id")) for a in c[2]]))
        else:
            out.append(c[:2] if c[0] != "create-links" else c)
    return out


def test_one_worker_makes_the_calls_in_the_documented_order():
    p, proj, client = _example()
    report = _run(p, proj, client, parallelism=1)
    assert _shape(client.calls) == [
        ("create", "People"),
        ("create-links", "P2P", "ID-People", "ID-Positions"),
        ("put", "ID-People", [("createOrUpdate", "p1"), ("createOrUpdate", "p2")]),
        ("get", "ID-Positions"),  # fingerprint re-check just before the first write to Positions
        ("put", "ID-Positions", [("update", "x1")]),
        ("put", "ID-P2P", [("createOrUpdate", "p1")]),
        ("put", "ID-Positions", [("delete", "x9")]),
    ]
    assert report.exit_code == ExitCode.OK
    assert [s.status for s in report.steps] == [StepStatus.DONE] * 6
    assert sum(s.applied for s in report.steps) == 5


def test_item_params_use_autoid_and_never_implicit_delete():
    p, proj, client = _example()
    _run(p, proj, client, parallelism=1)
    params = [c[3] for c in client.calls if c[0] == "put"]
    assert params[0] == {
        "onActionValidationFailure": "skipAction",
        "onItemAccessDenied": "skipAction",
        "onPropertyAccessDenied": "skipProperty",
        "dateFormat": "YYYY-MM-DD",
        "autoId": "true",
    }
    links_params = next(c[3] for c in client.calls if c[0] == "put" and c[1] == "ID-P2P")
    assert "autoId" not in links_params
    assert all("implicitDelete" not in prm for prm in params)


def test_per_item_failures_are_reported_by_key_and_do_not_hold_back_dependents():
    p, proj, client = _example()
    client.fail_items = {"p2": "ActionIsForbidden"}
    report = _run(p, proj, client, parallelism=1)
    assert report.exit_code == ExitCode.PARTIAL
    people = report.step("dataset.People:upsert-items")
    assert (people.status, people.applied, people.failed) == (StepStatus.PARTIAL, 1, 1)
    assert [(f.step, f.key, f.action, f.name) for f in report.failures] == [
        ("dataset.People:upsert-items", {"id": "p2"}, "createOrUpdate", "ActionIsForbidden")
    ]
    assert report.step("links.P2P:upsert-items").status == StepStatus.DONE


def test_a_failed_call_skips_its_dependents_but_independent_steps_go_on():
    p, proj, client = _example()
    client.fail_calls = {"ID-People"}
    report = _run(p, proj, client, parallelism=1)
    status = {s.id: s.status for s in report.steps}
    assert status == {
        "dataset.People:create-dataset": StepStatus.DONE,
        "links.P2P:create-dataset": StepStatus.DONE,
        "dataset.People:upsert-items": StepStatus.FAILED,
        "dataset.Positions:upsert-items": StepStatus.DONE,
        "links.P2P:upsert-items": StepStatus.SKIPPED,
        "dataset.Positions:delete-items": StepStatus.SKIPPED,
    }
    assert report.exit_code == ExitCode.PARTIAL
    assert (
        "500 InternalServerError (2 of 2 actions not applied)"
        in report.step("dataset.People:upsert-items").error
    )
    assert not any(c[0] == "put" and c[1] == "ID-P2P" for c in client.calls)


def test_a_dataset_changed_since_the_plan_is_not_written():
    p, proj, client = _example()
    client.datasets["ID-Positions"]["items"]["lastTransactionId"] = "tx2"
    report = _run(p, proj, client, parallelism=1)
    step = report.step("dataset.Positions:upsert-items")
    assert step.status == StepStatus.FAILED
    assert "stale" in step.error and "items.lastTransactionId" in step.error
    assert not any(c[0] == "put" and c[1] == "ID-Positions" for c in client.calls)


def test_nothing_written_is_exit_1():
    res = resource("A", item_changes=items(["id"], ["n"], creates=[("1", "x")]))
    client = FakeClient(datasets={"ID-A": {"datasetId": "ID-A", "name": "A"}}, fail_calls={"ID-A"})
    report = _run(plan(res), project(dataset_manifest("A")), client)
    assert report.exit_code == ExitCode.ERROR


def test_independent_datasets_run_concurrently_up_to_the_parallelism():
    names = ["A", "B", "C", "D"]
    res = [resource(n, item_changes=items(["id"], ["n"], creates=[("1", "x")])) for n in names]
    proj = project(*(dataset_manifest(n) for n in names))
    datasets = {f"ID-{n}": {"datasetId": f"ID-{n}", "name": n} for n in names}
    # three calls are held until all three are in flight at once; the fourth dataset waits for a free worker
    wide = FakeClient(datasets=dict(datasets), together=3)
    _run(plan(*res), proj, wide, parallelism=3)
    assert wide.max_in_flight == 3
    # one worker: however the event loop schedules things, only one step is ever running when a call is made
    narrow = FakeClient(datasets=dict(datasets))
    report = ApplyReport(target="local", tenant="ACME", plan_source="fresh", started_at="t0")
    executor = Executor(narrow, order_plan(plan(*res), proj), report, ExecOptions(parallelism=1))
    running: list[int] = []
    narrow.on_call = lambda: running.append(len(executor._running))
    asyncio.run(executor.run())
    assert running == [1, 1, 1, 1] and narrow.max_in_flight == 1


def test_large_changes_go_through_the_async_import_and_a_failed_job_is_run_again():
    rows = [(str(i), f"n{i}") for i in range(25)]
    res = resource("A", item_changes=items(["id"], ["n"], creates=rows))
    client = FakeClient(datasets={"ID-A": {"datasetId": "ID-A", "name": "A"}}, failing_jobs=1)
    report = _run(
        plan(res),
        project(dataset_manifest("A")),
        client,
        limits=BatchLimits(sync_max_actions=10, async_max_actions=20),
    )
    assert [(c[0], len(c[2]) if len(c) > 2 else None) for c in client.calls] == [
        ("import-failed", None),
        ("import", 20),
        ("import", 5),
    ]
    assert report.exit_code == ExitCode.OK
    assert [(c.call, c.actions) for c in report.calls] == [("import-items", 20), ("import-items", 5)]


def test_property_removal_keeps_every_other_live_property():
    res = resource("A", action=Action.UPDATE, removed_properties=["old"])
    live = {
        "datasetId": "ID-A",
        "name": "A",
        "properties": [
            {"key": "id", "name": "ID", "type": "text"},
            {"key": "old", "name": "Old", "type": "text"},
        ],
    }
    client = FakeClient(datasets={"ID-A": live})
    _run(plan(res), project(dataset_manifest("A")), client)
    assert client.calls[-1] == (
        "patch",
        "ID-A",
        {"properties": [{"key": "id", "name": "ID", "type": "text"}]},
        True,
    )


def test_the_next_import_file_is_encoded_while_the_previous_job_runs(monkeypatch):
    """Batch 2's file is built while batch 1's import is still in flight; the jobs themselves run in order."""
    import orgsync.apply.executor as executor

    rows = [(str(i), f"n{i}") for i in range(45)]
    res = resource("A", item_changes=items(["id"], ["n"], creates=rows))
    encoded: list[int] = []
    second_encoded = None
    real = executor.import_file

    def import_file(enc, batch):
        encoded.append(batch.start)
        if batch.start == 20:
            loop.call_soon_threadsafe(second_encoded.set)
        return real(enc, batch)

    async def on_import(calls_so_far):
        if calls_so_far == 0:  # the first job may not end before the second file exists
            await asyncio.wait_for(second_encoded.wait(), 60)

    async def run():
        nonlocal second_encoded, loop
        loop, second_encoded = asyncio.get_running_loop(), asyncio.Event()
        report = ApplyReport(target="local", tenant="ACME", plan_source="fresh", started_at="t0")
        steps = order_plan(plan(res), project(dataset_manifest("A")))
        return await Executor(
            client, steps, report, ExecOptions(limits=BatchLimits(sync_max_actions=10, async_max_actions=20))
        ).run()

    loop = None
    monkeypatch.setattr(executor, "import_file", import_file)
    client = FakeClient(datasets={"ID-A": {"datasetId": "ID-A", "name": "A"}}, on_import=on_import)
    report = asyncio.run(run())
    assert report.exit_code == ExitCode.OK
    assert sorted(encoded) == [0, 20, 40] and client.files == 3
    assert [(c[0], [a["id"] for a in c[2]]) for c in client.calls] == [
        ("import", [str(i) for i in range(0, 20)]),
        ("import", [str(i) for i in range(20, 40)]),
        ("import", [str(i) for i in range(40, 45)]),
    ]


class _File(bytes):
    """An import file that the garbage collector tracks (a bytes subclass with a __dict__), so a test can count
    how many are alive at once."""


def _files_alive() -> list[int]:
    return sorted(len(o) for o in gc.get_objects() if type(o) is _File)


def test_at_most_two_import_files_are_alive_at_once_and_each_goes_once_sent(monkeypatch):
    """Six files in a row: while one is imported only it and the next one exist; none is kept after the step."""
    import orgsync.apply.executor as executor

    rows = [(str(i), f"n{i}") for i in range(60)]
    res = resource("A", item_changes=items(["id"], ["n"], creates=rows))
    real = executor.import_file
    started: list[int] = []  # files whose encoding has started / finished (appended in the worker thread)
    built: list[int] = []
    changed = threading.Condition()

    def import_file(enc, batch):
        with changed:
            started.append(batch.start)
        file = _File(real(enc, batch))
        with changed:
            built.append(batch.start)
            changed.notify_all()
        return file

    monkeypatch.setattr(executor, "import_file", import_file)
    alive: list[int] = []

    async def on_import(imports_so_far):
        # wait, on the worker's notifications, until the next file is built too and no other is being encoded
        def next_built() -> bool:
            with changed:
                return changed.wait_for(
                    lambda: len(built) >= min(imports_so_far + 2, 6) and len(built) == len(started),
                    timeout=60,
                )  # a bound against a hang

        assert await asyncio.to_thread(next_built)
        alive.append(len(_files_alive()))

    client = FakeClient(datasets={"ID-A": {"datasetId": "ID-A", "name": "A"}}, on_import=on_import)
    report = _run(
        plan(res),
        project(dataset_manifest("A")),
        client,
        limits=BatchLimits(sync_max_actions=5, async_max_actions=10),
    )
    assert report.exit_code == ExitCode.OK and client.files == 6
    assert len(alive) == 6 and max(alive) <= 2  # the file being imported and at most the next one
    assert _files_alive() == []


def _three_batches():
    """Dataset A with 25 creates, sent as import files of 10, 10 and 5 actions."""
    rows = [(str(i), f"n{i}") for i in range(25)]
    res = resource("A", item_changes=items(["id"], ["n"], creates=rows))
    client = FakeClient(datasets={"ID-A": {"datasetId": "ID-A", "name": "A"}})
    limits = BatchLimits(sync_max_actions=10, async_max_actions=10)
    return plan(res), project(dataset_manifest("A")), client, limits


def test_a_batch_failing_part_way_counts_it_and_every_batch_never_sent_as_failed():
    p, proj, client, limits = _three_batches()
    client.fail_item_calls = {2}
    report = ApplyReport(target="local", tenant="ACME", plan_source="fresh", started_at="t0")
    report = asyncio.run(Executor(client, order_plan(p, proj), report, ExecOptions(limits=limits)).run())
    step = report.step("dataset.A:upsert-items")
    assert [len(c[2]) for c in client.calls if c[0] == "import"] == [10, 10]  # the third batch was never sent
    assert (step.status, step.applied, step.failed) == (StepStatus.PARTIAL, 10, 15)
    assert step.error.endswith("(15 of 25 actions not applied)")
    assert report.exit_code == ExitCode.PARTIAL


def test_a_stop_between_batches_sends_no_further_batch():
    p, proj, client, limits = _three_batches()
    report = ApplyReport(target="local", tenant="ACME", plan_source="fresh", started_at="t0")
    executor = Executor(client, order_plan(p, proj), report, ExecOptions(limits=limits))
    client.on_call = lambda: executor.stop(
        "interrupted by SIGTERM"
    )  # lands while the first batch is in flight
    asyncio.run(executor.run())
    step = report.step("dataset.A:upsert-items")
    assert [len(c[2]) for c in client.calls if c[0] == "import"] == [
        10
    ]  # in flight finished; nothing new started
    assert (step.status, step.applied, step.failed) == (StepStatus.PARTIAL, 10, 15)
    assert step.error == "interrupted by SIGTERM: 15 of 25 actions not sent"
    assert report.stopped == "interrupted by SIGTERM"


def test_an_item_skipped_in_a_later_import_file_is_reported_by_its_own_key():
    """Keys and actions of a failure are taken from that batch's rows (encoded again only for the failure)."""
    p, proj, client, limits = _three_batches()
    client.fail_items = {"13": "AccessDenied", "24": "AccessDenied"}
    report = _run(p, proj, client, limits=limits)
    assert [(f.key, f.action, f.name) for f in report.failures] == [
        ({"id": "13"}, "createOrUpdate", "AccessDenied"),
        ({"id": "24"}, "createOrUpdate", "AccessDenied"),
    ]
    (record,) = report.steps
    assert (record.applied, record.failed, record.status) == (23, 2, StepStatus.PARTIAL)
