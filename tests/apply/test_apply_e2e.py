"""End to end, in-process: examples/acme applied to the emulator, then planned again (convergence).

The emulator sees every request; the tests assert the order and kind of the writes from what it saw.
"""

from __future__ import annotations

import re

import orjson
import polars as pl
import pytest

from orgsync.apply.batching import BatchLimits
from orgsync.errors import ExitCode, ReportWriteError, SafetyBlockedError, StalePlanError
from orgsync.plan.saved import save
from tests.support.apply_tenant import API_PATH, dataset_ids, edit_csv


def test_first_apply_creates_everything_in_order_and_a_second_plan_is_empty(tenant):
    assert tenant.apply(parallelism=1) == ExitCode.OK
    assert not tenant.plan().has_changes
    words = tenant.write_words(dataset_ids(tenant))
    assert words == [
        "POST /datasets",  # People
        "POST /datasets",  # Positions
        "POST /links",
        "PUT /datasets/People/items",
        "PUT /datasets/Positions/items",
        "PUT /links/People to Positions/items",
    ]
    assert tenant.apply() == ExitCode.OK  # nothing left to do
    assert "No changes" in tenant.outputs[-1]


def test_auto_approved_apply_still_prints_the_plan_it_carries_out(tenant):
    assert tenant.apply() == ExitCode.OK
    out = tenant.outputs[-1]
    assert "+ dataset.People" in out and "+ links.People to Positions" in out
    assert out.index("Plan: 3 datasets to create") < out.index("Apply complete.")
    assert "salary=(sensitive)" in out and not re.search(r"salary=\d", out)


def test_links_deletes_go_before_item_deletes_and_everything_converges(tenant):
    assert tenant.apply() == ExitCode.OK
    ids = dataset_ids(tenant)
    tenant.transport.sent.clear()
    # retire position P0300 and its assignment, add a person under E10001, change one title
    edit_csv(
        tenant,
        "positions.csv",
        lambda f: f.filter(pl.col("position_id") != "P0300").with_columns(
            pl.when(pl.col("position_id") == "P0002")
            .then(pl.lit("Finance Director"))
            .otherwise(pl.col("title"))
            .alias("title")
        ),
    )
    edit_csv(tenant, "assignments.csv", lambda f: f.filter(pl.col("to_id") != "P0300"))
    assert tenant.apply(parallelism=1, allow_destructive=True) == ExitCode.OK
    assert tenant.write_words(ids) == [
        "PUT /links/People to Positions/items",  # links item delete
        "PUT /datasets/Positions/items",  # title update
        "PUT /datasets/Positions/items",  # position delete, after the links delete
    ]
    actions = [[a["_action"] for a in body] for _, body in tenant.item_bodies()]
    assert actions == [["delete"], ["update"], ["delete"]]
    assert not tenant.plan().has_changes


def test_a_property_type_change_rewrites_its_values_and_converges(tenant):
    assert tenant.apply() == ExitCode.OK
    manifest = tenant.root / "manifests" / "positions.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "{key: fte, name: FTE, type: number}", "{key: fte, name: FTE, type: text}"
        )
    )
    plan = tenant.plan()
    positions = next(r for r in plan.resources if r.name == "Positions")
    assert positions.items.counts == {"create": 0, "update": 300, "delete": 0}
    assert set(positions.items.updates["fte__before"].to_list()) == {"(type changes)"}
    assert any("fte changes type" in w for w in positions.warnings)
    assert tenant.apply(allow_destructive=True) == ExitCode.OK
    assert not tenant.plan().has_changes  # whatever the service did to the stored numbers


def test_hierarchy_parents_are_created_before_children(tenant):
    # reverse the rows so every manager comes after their reports in the file
    edit_csv(tenant, "people.csv", lambda f: f.reverse())
    assert tenant.apply() == ExitCode.OK
    people = next(body for path, body in tenant.item_bodies() if body and "employee_id" in body[0])
    seen: set[str] = set()
    for action in people:
        parent = action.get("manager_id")
        assert parent is None or parent in seen, f"{action['employee_id']} sent before its manager {parent}"
        seen.add(action["employee_id"])
    assert not tenant.plan().has_changes


def test_large_changes_use_the_async_import_small_ones_the_sync_put(tenant):
    limits = BatchLimits(sync_max_actions=290, async_max_actions=120)
    assert tenant.apply(limits=limits, parallelism=1) == ExitCode.OK
    words = tenant.write_words(dataset_ids(tenant))
    # Positions has 300 rows (> 290): three import files of <= 120; People and links (286) go sync
    assert words[3:] == [
        "PUT /datasets/People/items",
        "PUT /datasets/Positions/items/import",
        "PUT /datasets/Positions/items/import",
        "PUT /datasets/Positions/items/import",
        "PUT /links/People to Positions/items",
    ]
    files = [len(body) for path, body in tenant.item_bodies() if "/_files/" in path]
    assert files == [120, 120, 60]
    assert not tenant.plan().has_changes


def test_a_saved_plan_is_refused_when_a_source_changed(tenant, tmp_path):
    path = tmp_path / "plan.json"
    save(tenant.plan(), path)
    edit_csv(tenant, "positions.csv", lambda f: f.with_columns(pl.lit("X").alias("grade")))
    tenant.transport.sent.clear()
    with pytest.raises(StalePlanError, match="stale"):
        tenant.apply(plan_file=path)
    assert tenant.writes() == []


def test_a_saved_plan_is_refused_when_the_tenant_changed(tenant, tmp_path):
    assert tenant.apply() == ExitCode.OK
    ids = dataset_ids(tenant)
    edit_csv(tenant, "positions.csv", lambda f: f.with_columns(pl.lit("X").alias("grade")))
    path = tmp_path / "plan.json"
    save(tenant.plan(), path)
    # someone edits Positions in Orgvue after the plan was saved
    tenant.admin(
        "PUT",
        f"{API_PATH}/datasets/{ids['Positions']}/items?autoId=true",
        [{"_action": "update", "position_id": "P0001", "title": "Boss"}],
    )
    tenant.transport.sent.clear()
    with pytest.raises(StalePlanError, match=r"stale[\s\S]*dataset.Positions .*items.lastTransactionId"):
        tenant.apply(plan_file=path, allow_destructive=True)
    assert tenant.writes() == []


def test_a_current_saved_plan_applies_with_sensitive_values_from_the_source(tenant, tmp_path):
    path = tmp_path / "plan.json"
    save(tenant.plan(), path)
    assert b"206000" not in path.read_bytes()
    assert tenant.apply(plan_file=path) == ExitCode.OK
    people = next(body for _, body in tenant.item_bodies() if body and "employee_id" in body[0])
    assert next(a for a in people if a["employee_id"] == "E10001")["salary"] == 206000
    assert not tenant.plan().has_changes


def test_the_safety_policy_blocks_apply_unless_forced(tenant):
    assert tenant.apply() == ExitCode.OK
    edit_csv(tenant, "positions.csv", lambda f: f.head(100))
    edit_csv(tenant, "assignments.csv", lambda f: f.filter(pl.col("to_id") <= "P0100"))
    tenant.transport.sent.clear()
    with pytest.raises(SafetyBlockedError):
        tenant.apply()
    assert tenant.writes() == []
    assert tenant.apply(allow_destructive=True) == ExitCode.OK
    assert not tenant.plan().has_changes


def test_no_terminal_and_no_auto_approve_refuses(tenant):
    from orgsync.errors import ConfirmationRefused

    with pytest.raises(ConfirmationRefused, match="--auto-approve"):
        tenant.apply(auto_approve=False)
    assert tenant.writes() == []


def test_an_interactive_run_shows_the_plan_and_needs_yes(tenant, monkeypatch):
    from orgsync.errors import ConfirmationRefused

    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    with pytest.raises(ConfirmationRefused, match="cancelled; nothing was written"):
        tenant.apply(auto_approve=False, tty=True)
    assert tenant.writes() == []
    assert "+ dataset.People" in tenant.outputs[-1] and "Only 'yes' will be accepted" in tenant.outputs[-1]

    def closed_stdin(prompt):
        raise EOFError

    monkeypatch.setattr("builtins.input", closed_stdin)
    with pytest.raises(ConfirmationRefused, match="cancelled; nothing was written"):
        tenant.apply(auto_approve=False, tty=True)
    assert tenant.writes() == []
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    assert tenant.apply(auto_approve=False, tty=True) == ExitCode.OK
    assert not tenant.plan().has_changes


def test_per_item_failures_exit_4_name_the_item_and_converge_once_fixed(tenant, tmp_path):
    assert tenant.apply() == ExitCode.OK
    ids = dataset_ids(tenant)
    tenant.admin(
        "POST",
        "/_emulator/tenants/ACME/access",
        {"datasetId": ids["Positions"], "items": {"position_id": "P0002"}},
    )
    edit_csv(
        tenant,
        "positions.csv",
        lambda f: f.with_columns(
            pl.when(pl.col("position_id").is_in(["P0002", "P0003"]))
            .then(pl.lit("Z9"))
            .otherwise(pl.col("grade"))
            .alias("grade")
        ),
    )
    report = tmp_path / "report.json"
    assert tenant.apply(report=report) == ExitCode.PARTIAL
    body = orjson.loads(report.read_bytes())
    assert body["exit_code"] == 4
    assert [(f["key"], f["action"], f["status"], f["name"]) for f in body["failures"]] == [
        ({"position_id": "P0002"}, "update", "skipped", "ActionIsForbidden")
    ]
    assert "position_id=P0002" in tenant.outputs[-1] and "partially applied" in tenant.outputs[-1]
    remaining = tenant.plan().resources
    assert [r.items.counts for r in remaining if r.name == "Positions"] == [
        {"create": 0, "update": 1, "delete": 0}
    ]
    tenant.admin("DELETE", "/_emulator/tenants/ACME/access")
    assert tenant.apply() == ExitCode.OK
    assert not tenant.plan().has_changes


def test_the_report_holds_no_sensitive_values(tenant, tmp_path):
    report = tmp_path / "report.json"
    assert tenant.apply(report=report) == ExitCode.OK
    text = report.read_text()
    assert "206000" not in text and "166800" not in text
    body = orjson.loads(text)
    assert [c["call"] for c in body["calls"]] == [
        "create-dataset",
        "create-dataset",
        "create-links",
        "put-items",
        "put-items",
        "put-items",
    ]
    assert sum(c["succeeded"] for c in body["calls"]) == 872
    assert body["stats"]["requests"] >= 7


def test_recovers_from_injected_429_and_503(tenant, tmp_path):
    tenant.admin(
        "POST", "/_emulator/faults", {"path": r"/items$", "method": "PUT", "status": 503, "count": 2}
    )
    tenant.admin(
        "POST",
        "/_emulator/faults",
        {"path": r"/datasets$", "method": "POST", "status": 429, "count": 1, "retryAfter": 0},
    )
    report = tmp_path / "report.json"
    assert tenant.apply(report=report) == ExitCode.OK
    assert orjson.loads(report.read_bytes())["stats"]["retries"] == 3
    statuses = [e["status"] for e in tenant.admin("GET", "/_emulator/requests")]
    assert statuses.count(503) == 2 and statuses.count(429) == 1
    assert not tenant.plan().has_changes
    assert (
        len([p for m, p in tenant.writes() if m == "POST" and p == f"{API_PATH}/datasets"]) == 3
    )  # 1 refused + 2


def test_recovers_from_an_import_job_that_fails(tenant):
    tenant.admin("POST", "/_emulator/faults", {"path": r"/items/import$", "job": "fail", "count": 1})
    assert tenant.apply(limits=BatchLimits(sync_max_actions=10)) == ExitCode.OK
    imports = [p for m, p in tenant.writes() if re.search(r"/items/import$", p)]
    assert len(imports) == 4  # one failed job run again, then People, Positions and links
    assert not tenant.plan().has_changes


def test_a_saved_plan_cannot_be_narrowed_with_target(tenant, tmp_path):
    from orgsync.errors import ConfigError

    path = tmp_path / "plan.json"
    save(tenant.plan(), path)
    with pytest.raises(ConfigError, match="--target cannot be combined with a saved plan"):
        tenant.apply(plan_file=path, targets=["People"])
    assert tenant.writes() == []


def test_links_populated_from_a_source_dataset_after_its_items(tenant):
    people = tenant.root / "data" / "people.csv"
    links = pl.read_csv(tenant.root / "data" / "assignments.csv", infer_schema=False)
    frame = pl.read_csv(people, infer_schema=False)
    frame.join(
        links.select(pl.col("from_id").alias("Employee Number"), pl.col("to_id").alias("position_id")),
        on="Employee Number",
        how="left",
        maintain_order="left",
    ).write_csv(people)
    manifest = tenant.root / "manifests" / "people.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            "  - {key: manager_id, name: Manager ID, type: text}",
            "  - {key: manager_id, name: Manager ID, type: text}\n  - {key: position_id, name: Position ID, type: text}",
        )
    )
    (tenant.root / "manifests" / "populated.yaml").write_text(
        "kind: LinksDataset\nname: Populated\nfrom: People\nto: Positions\n"
        "populate: {sourceDataset: People, targetDatasetAutoId: position_id}\n"
    )
    assert tenant.apply(parallelism=1) == ExitCode.OK
    ids = dataset_ids(tenant)
    words = tenant.write_words(ids)
    assert words[-1] == "POST /links/Populated/populate"
    assert words.index("PUT /datasets/People/items") < words.index("POST /links/Populated/populate")
    items = tenant.admin("GET", f"{API_PATH}/datasets/{ids['Populated']}/items")
    assert len(items) == 286
    assert not tenant.plan().has_changes
    tenant.transport.sent.clear()
    assert tenant.apply() == ExitCode.OK
    assert tenant.writes() == []  # nothing changed, so no populate either


def test_a_create_whose_answer_is_lost_is_looked_up_before_it_is_sent_again(tenant):
    tenant.admin(
        "POST", "/_emulator/faults", {"path": r"/datasets$", "method": "POST", "status": 504, "count": 1}
    )
    assert tenant.apply(parallelism=1) == ExitCode.OK
    sent = [(m, p) for m, p, _ in tenant.transport.sent]
    lost = sent.index(("POST", f"{API_PATH}/datasets"))
    again = sent.index(("POST", f"{API_PATH}/datasets"), lost + 1)
    assert ("GET", f"{API_PATH}/datasets") in sent[
        lost + 1 : again
    ]  # looked up by name before it is sent again
    listed = tenant.admin("GET", f"{API_PATH}/datasets")
    assert sorted(d["name"] for d in listed) == ["People", "People to Positions", "Positions"]
    assert not tenant.plan().has_changes


def test_a_report_path_that_cannot_be_written_stops_apply_before_any_write(tenant, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(
        ReportWriteError, match=r"a-file/report.json: cannot write the apply report .*nothing was"
    ):
        tenant.apply(report=blocker / "report.json")
    assert tenant.writes() == []


def test_a_report_that_fails_at_the_end_keeps_the_exit_code_and_says_so(
    tenant, tmp_path, monkeypatch, capsys
):
    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("orgsync.apply.report.write_atomic", disk_full)
    report = tmp_path / "report.json"
    assert tenant.apply(report=report) == ExitCode.OK
    assert "Apply complete. 872 item changes applied" in tenant.outputs[-1]
    assert capsys.readouterr().err == (
        f"Error: {report}: cannot write the apply report (No space left on device)\n"
        "  hint: pass --report a path in a writable directory\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("report", ".report"))) == []


def test_the_apply_log_keeps_long_lines_whole(tmp_path):
    import io

    from rich.console import Console

    from orgsync.commands.apply import ApplyOptions, run_apply
    from orgsync.commands.init import run_init

    run_init(tmp_path)
    buffer = io.StringIO()
    narrow = Console(file=buffer, width=40)  # a CI log: not a terminal, rich's default width is 80
    assert run_apply(ApplyOptions(root=tmp_path, auto_approve=True), console=narrow, stdin_is_tty=False) == 0
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "Target: local (embedded emulator, .orgsync/tenant.db) · tenant STARTER"
    assert "Plan: 3 datasets to create, 0 to update · items: 25 to create, 0 to update, 0 to delete." in lines
    assert (
        lines[-1]
        == "Apply complete. 25 item changes applied, 0 not applied, 6 write calls in "
        + lines[-1].rsplit(" in ", 1)[1]
    )


def test_a_current_saved_plan_is_proven_fresh_from_checksums_without_parsing_other_sources(
    tenant, tmp_path, monkeypatch
):
    """Freshness comes from the file digests: only the source whose plan masks sensitive values is parsed (to put
    them back), and no source is checked again."""
    import orgsync.sources.inputs as inputs
    import orgsync.validate as validate

    path = tmp_path / "plan.json"
    save(tenant.plan(), path)
    parsed: list[str] = []
    real_parse = inputs.parse_source

    def parse_source(data, fmt, gzipped, display, **settings):
        parsed.append(display)
        return real_parse(data, fmt, gzipped, display, **settings)

    def check_tables(*_args):
        raise AssertionError("a saved plan's sources were checked again")

    real_from_disk = inputs.parse_delimited_file

    def parse_delimited_file(path, sep, quote, display, facts):  # plain UTF-8 csv/tsv are parsed from disk
        parsed.append(display)
        return real_from_disk(path, sep, quote, display, facts)

    monkeypatch.setattr(inputs, "parse_source", parse_source)
    monkeypatch.setattr(inputs, "parse_delimited_file", parse_delimited_file)
    monkeypatch.setattr(validate, "check_tables", check_tables)
    assert tenant.apply(plan_file=path) == ExitCode.OK
    assert parsed == ["data/people.csv"]
    people = next(body for _, body in tenant.item_bodies() if body and "employee_id" in body[0])
    assert next(a for a in people if a["employee_id"] == "E10001")["salary"] == 206000
