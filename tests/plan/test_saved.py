"""Saved plans: mode 0600, no sensitive value, exact round trip of actions and fingerprints, refusals."""

from __future__ import annotations

import stat
import tracemalloc
from pathlib import Path

import orjson
import pytest

from orgsync.errors import PlanFileError
from orgsync.limits import MiB, ResourceLimits
from orgsync.plan.model import SENSITIVE_MASK
from orgsync.plan.render import text
from orgsync.plan.saved import load_saved, save
from tests.support.cli import orgsync
from tests.support.plan_factories import SECRET_AFTER, SECRET_BEFORE, SECRET_NEW, sample_plan
from tests.support.repo import make_repo


def test_saved_plan_is_private_and_holds_no_sensitive_value(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("old")
    path.chmod(0o644)
    save(sample_plan(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_text()
    assert not [s for s in (SECRET_BEFORE, SECRET_AFTER, SECRET_NEW) if s in raw]
    doc = orjson.loads(raw)
    updates = doc["resources"][0]["items"]["updates"]
    assert updates["salary"] == [None, SENSITIVE_MASK] and updates["salary__before"] == [None, None]


def test_round_trip_keeps_actions_fingerprints_and_renders_the_same(tmp_path):
    plan = sample_plan()
    path = tmp_path / "plan.json"
    save(plan, path)
    back = load_saved(path)
    assert back.source_checksum == plan.source_checksum and back.blocked == plan.blocked
    people, reports = back.resources
    assert people.fingerprint == plan.resources[0].fingerprint
    assert people.items.deletes.to_dicts() == plan.resources[0].items.deletes.to_dicts()
    assert people.items.creates.get_column("salary").to_list() == [SENSITIVE_MASK]
    assert people.items.updates.get_column("name").to_list() == ["New|name <b>", "Person 1"]
    assert reports.dataset_id is None and reports.depends_on == ["dataset.People"]
    assert text.render(back) == text.render(plan)


def test_files_that_are_not_saved_plans_are_refused_with_a_message(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    with pytest.raises(PlanFileError, match="cannot read a saved plan"):
        load_saved(bad)
    bad.write_text('{"kind": "something"}')
    with pytest.raises(PlanFileError, match="not a saved orgsync plan"):
        load_saved(bad)
    bad.write_text('{"kind": "orgsync-plan", "format_version": "9.0"}')
    with pytest.raises(PlanFileError, match="format 9.0 cannot be read"):
        load_saved(bad)


def test_an_interrupted_save_leaves_the_previous_plan_whole(tmp_path, monkeypatch):
    path = tmp_path / "plan.json"
    save(sample_plan(), path)
    before = path.read_bytes()

    def killed(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr("orgsync.atomic.os.fsync", killed)
    with pytest.raises(KeyboardInterrupt):
        save(sample_plan(), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_saving_to_a_missing_directory_is_a_plan_file_error(tmp_path):
    with pytest.raises(PlanFileError, match=r"missing/plan.json: cannot write the saved plan \(No such file"):
        save(sample_plan(), tmp_path / "missing" / "plan.json")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda items: items["creates"].update(salary=["x", "y"]),
            r"damaged \(could not create a new DataFrame: height",
        ),
        (
            lambda items: items["creates"].update(salary=[1]),
            r"damaged \(unexpected value while building Series",
        ),
        (
            lambda items: items.update(creates=["id"]),
            r"damaged \(creates: expected an object of column lists\)",
        ),
        (lambda items: items["deletes"].pop("id"), r"damaged \(deletes: key column\(s\) id missing\)"),
    ],
)
def test_a_damaged_item_frame_is_a_one_line_plan_file_error(tmp_path, change, message):
    path = tmp_path / "plan.json"
    save(sample_plan(), path)
    doc = orjson.loads(path.read_bytes())
    change(doc["resources"][0]["items"])
    path.write_bytes(orjson.dumps(doc))
    with pytest.raises(PlanFileError, match=message) as caught:
        load_saved(path)
    assert "\n" not in caught.value.message


def test_a_saved_plan_past_the_limit_is_refused_by_its_size_before_it_is_read(tmp_path):
    path = tmp_path / "plan.json"
    with path.open("wb") as handle:  # 64 MiB that take no disk: a file this big, read, would be held whole
        handle.truncate(64 * MiB)
    tracemalloc.start()
    try:
        with pytest.raises(
            PlanFileError, match=r"larger than the limit of 1,048,576 bytes \(ORGSYNC_LIMIT_PLAN_BYTES="
        ):
            load_saved(path, limits=ResourceLimits(plan_bytes=1 * MiB))
        assert tracemalloc.get_traced_memory()[1] < 64 * 1024  # nothing of it was read
    finally:
        tracemalloc.stop()


def test_a_saved_plan_that_reads_longer_than_it_says_is_cut_at_the_limit(tmp_path):
    # a device (or a file that grows as it is read) has no size to check first: the read stops past the limit
    tracemalloc.start()
    try:
        with pytest.raises(PlanFileError, match="larger than the limit of 1,048,576 bytes"):
            load_saved(Path("/dev/zero"), limits=ResourceLimits(plan_bytes=1 * MiB))
        assert tracemalloc.get_traced_memory()[1] < 2 * MiB + 64 * 1024  # the limit and one byte, once
    finally:
        tracemalloc.stop()


def test_show_and_apply_refuse_a_saved_plan_past_the_limit_and_name_the_variable(tmp_path):
    repo = make_repo(tmp_path / "repo", example="acme")
    path = tmp_path / "plan.json"
    save(sample_plan(), path)
    env = {"ORGSYNC_LIMIT_PLAN_BYTES": "1KiB"}
    assert path.stat().st_size > 1024 and load_saved(path).resources  # a genuine plan, under the default
    for args in (("show", str(path)), ("apply", str(path), "-C", str(repo), "--auto-approve")):
        code, out, err = orgsync(*args, env=env)
        assert code == 1 and "larger than the limit of 1,024 bytes (ORGSYNC_LIMIT_PLAN_BYTES=1024)" in err
        assert "Traceback" not in out + err
