"""`orgsync draft` end to end on the in-process emulator: a draft of moves, creates, deletes and a sensitive value
on the acme hierarchy is pulled into people.csv (only the edited rows change), planned exactly, applied, and
cleared, leaving no live edit in the draft; edits the source cannot take are reported and stay in the draft."""

from __future__ import annotations

import io
import json

import pytest

from orgsync.commands.draft import DraftOptions, run_draft_clear, run_draft_list, run_draft_pull
from orgsync.errors import ConfirmationRefused, DraftError, ExitCode
from tests.support.apply_tenant import Tenant
from tests.support.draft_helpers import changed_records, dataset_id, draft_actions, item_ids, seed_draft

PEOPLE = "data/people.csv"


def _mirror(t: Tenant) -> None:
    manifest = t.root / "manifests" / "people.yaml"
    manifest.write_text(manifest.read_text().replace("mode: upsert", "mode: mirror"))


def _pull(t: Tenant, name: str, **options) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_draft_pull(DraftOptions(root=t.root, name=name, **options), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _clear(t: Tenant, name: str, **options) -> str:
    out = io.StringIO()
    assert run_draft_clear(DraftOptions(root=t.root, name=name, **options), stdout=out) == 0
    return out.getvalue()


def _item_changes(t: Tenant) -> dict[str, list[tuple[str, str, tuple[str, ...]]]]:
    """dataset -> sorted (action, first key, changed columns of an update) of the plan's item changes."""
    out = {}
    for r in t.plan().resources:
        items = r.items
        if items is None or items.is_empty:
            continue
        rows = [("create", str(k), ()) for k in items.creates[items.key[0]]]
        rows += [("delete", str(k), ()) for k in items.deletes[items.key[0]]]
        for row in items.updates.iter_rows(named=True):
            changed = tuple(c for c in items.columns if row[c] != row[c + items.BEFORE_SUFFIX])
            rows.append(("update", str(row[items.key[0]]), changed))
        out[r.name] = sorted(rows)
    return out


def _drop_assignment(t: Tenant) -> None:
    """What the engineer does after pulling the leaver: remove their assignment too."""
    assignments = t.root / "data" / "assignments.csv"
    assignments.write_bytes(assignments.read_bytes().replace(b"E10286,P0300,1\n", b""))


@pytest.fixture
def loaded(tenant: Tenant) -> Tenant:
    _mirror(tenant)
    assert tenant.apply() == ExitCode.OK
    return tenant


def _scenario(t: Tenant) -> dict:
    ids = item_ids(t, "People", "employee_id")
    return seed_draft(
        t,
        "People",
        "Finance reorg",
        [
            # a move (new manager), a department change and a sensitive pay change on one person
            {
                "_action": "update",
                "_id": ids["E10002"],
                "manager_id": "E10003",
                "department": "Strategy",
                "salary": 171000,
            },
            # a new hire under E10002
            {
                "_action": "create",
                "_id": "0E7A1D2C-0000-4000-8000-000000000001",
                "employee_id": "E20001",
                "full_name": "Noor Haddad",
                "email": "noor.haddad@acme.example",
                "department": "Finance",
                "location": "Austin",
                "hire_date": "2026-01-05",
                "full_time": True,
                "salary": 90000,
                "manager_id": "E10002",
            },
            # a leaver with no reports
            {"_action": "delete", "_id": ids["E10286"]},
        ],
    )


def test_a_draft_round_trips_to_an_empty_plan_and_an_empty_draft(loaded: Tenant) -> None:
    t = loaded
    draft = _scenario(t)
    before = (t.root / PEOPLE).read_bytes()

    code, out, err = _pull(t, "Finance reorg")

    assert code == 0, err
    assert "1 item(s) updated, 1 created, 1 deleted" in out and "Written: data/people.csv" in out
    assert "171000" not in out + err  # a sensitive value is never printed
    removed, added = changed_records(before, (t.root / PEOPLE).read_bytes())
    assert [r.split(b",")[0] for r in removed] == [b"E10002", b"E10286"]
    old_e10002 = next(r for r in removed if r.startswith(b"E10002"))
    assert added == [
        old_e10002.replace(b",Finance,", b",Strategy,").replace(b",166800,E10001", b",171000,E10003"),
        b"E20001,Noor Haddad,noor.haddad@acme.example,Finance,Austin,05/01/2026,yes,90000,E10002\n",
    ]
    # the leaver's assignment now dangles: the pull says so, and the engineer removes it
    assert "from_id 'E10286' is not an item of 'People'" in err
    _drop_assignment(t)
    # the next plan shows exactly the draft's edits
    assert _item_changes(t) == {
        "People": [
            ("create", "E20001", ()),
            ("delete", "E10286", ()),
            ("update", "E10002", ("department", "salary", "manager_id")),
        ],
        "People to Positions": [("delete", "E10286", ())],
    }

    assert t.apply() == ExitCode.OK
    assert _item_changes(t) == {}
    assert len(draft_actions(t, draft["draftId"])) == 3

    cleared = _clear(t, "Finance reorg")

    assert "cleared 3 edit(s) the tenant now holds" in cleared and "not live yet" not in cleared
    assert draft_actions(t, draft["draftId"]) == []


def test_clear_leaves_the_edits_that_are_not_live(loaded: Tenant) -> None:
    t = loaded
    draft = _scenario(t)
    out = _clear(t, "Finance reorg")  # nothing applied yet: nothing is cleared, every edit is listed
    assert "cleared 0 edit(s)" in out
    assert "E10002 · salary: the tenant does not hold the draft's value yet (sensitive)" in out
    assert "E20001 · (item): not in the tenant yet" in out and "E10286 · (item): not deleted" in out
    assert "171000" not in out
    assert len(draft_actions(t, draft["draftId"])) == 3

    assert _pull(t, "Finance reorg")[0] == 0
    (t.root / PEOPLE).write_bytes((t.root / PEOPLE).read_bytes().replace(b"Noor Haddad", b"Noor H."))
    _drop_assignment(t)
    assert t.apply() == ExitCode.OK  # the new hire went live under another name: that edit is not the draft's

    out = _clear(t, "Finance reorg")

    assert "cleared 2 edit(s)" in out and "E20001 · full_name: the tenant does not hold" in out
    left = draft_actions(t, draft["draftId"])
    assert [a["employee_id"] for a in left] == ["E20001"]


def test_clear_all_needs_a_confirmation(loaded: Tenant) -> None:
    draft = _scenario(loaded)
    with pytest.raises(ConfirmationRefused):
        run_draft_clear(DraftOptions(root=loaded.root, name="Finance reorg", all=True), stdin_is_tty=False)
    assert len(draft_actions(loaded, draft["draftId"])) == 3
    assert "Cleared every edit (3)" in _clear(loaded, "Finance reorg", all=True, yes=True)
    assert draft_actions(loaded, draft["draftId"]) == []


def test_list_names_the_drafts_of_managed_datasets(loaded: Tenant) -> None:
    _scenario(loaded)
    out = io.StringIO()
    assert run_draft_list(DraftOptions(root=loaded.root, fmt="json"), stdout=out) == 0
    assert json.loads(out.getvalue()) == [
        {"name": "Finance reorg", "dataset": "People", "createdBy": "ana@acme.example", "edits": 3}
    ]
    out = io.StringIO()
    assert run_draft_list(DraftOptions(root=loaded.root, dataset="Positions"), stdout=out) == 0
    assert out.getvalue().endswith("No drafts on the managed datasets.\n")


def test_unknown_and_unmanaged_drafts_say_so(loaded: Tenant) -> None:
    _scenario(loaded)
    with pytest.raises(DraftError, match=r"no draft called 'Nope'; the tenant's drafts: 'Finance reorg'"):
        _pull(loaded, "Nope")
    other = loaded.admin(
        "POST",
        "/api/v1/ACME/datasets",
        {
            "name": "Elsewhere",
            "type": "PEOPLE",
            "autoId": "k",
            "labelId": "k",
            "properties": [{"key": "k", "type": "text", "isRequired": True}],
        },
    )
    assert isinstance(other, dict)
    loaded.admin(
        "POST", "/_emulator/tenants/ACME/drafts", {"datasetId": other["datasetId"], "name": "Side plan"}
    )
    with pytest.raises(DraftError, match="not on a dataset this repository manages"):
        _pull(loaded, "Side plan")


def test_edits_the_source_cannot_take_are_reported_and_kept(loaded: Tenant) -> None:
    t = loaded
    ids = item_ids(t, "People", "employee_id")
    positions = item_ids(t, "Positions", "position_id")
    del positions
    before = (t.root / PEOPLE).read_bytes()
    seed_draft(
        t,
        "People",
        "Odd edits",
        [
            {"_action": "update", "_id": ids["E10005"], "nickname": "Bo", "location": "Leeds"},
            {"_action": "update", "_id": "9F1B5C1E-0000-4000-8000-00000000beef", "location": "Paris"},
        ],
    )

    code, out, err = _pull(t, "Odd edits")

    assert code == 0
    assert "E10005 · nickname: the draft edits 'nickname', not a property of the manifest" in err
    assert (
        "\n  9F1B5C1E-0000-4000-8000-00000000beef · (item): the draft's 'update' names an item the tenant does "
        "not hold\n" in err
    )
    removed, added = changed_records(before, (t.root / PEOPLE).read_bytes())
    assert len(removed) == len(added) == 1 and b",Leeds," in added[0]


def test_a_source_changed_since_the_draft_is_a_conflict_row_by_row(loaded: Tenant) -> None:
    t = loaded
    _scenario(t)
    text = (t.root / PEOPLE).read_bytes()
    changed = text.replace(
        b"E10002,Jack Evans,jack.evans@acme.example,Finance",
        b"E10002,Jack Evans,jack.evans@acme.example,Legal",
    )
    (t.root / PEOPLE).write_bytes(changed)

    with pytest.raises(DraftError) as caught:
        _pull(t, "Finance reorg")

    message = str(caught.value)
    assert (
        "E10002 · department: the source changed since the draft was made: the source has 'Legal', the "
        "tenant 'Finance', the draft 'Strategy'" in message
    )
    assert "nothing was written" in message
    assert (t.root / PEOPLE).read_bytes() == changed


def test_an_item_kept_by_hand_in_orgvue_is_reported_not_dropped(loaded: Tenant) -> None:
    t = loaded
    people = dataset_id(t, "People")
    t.admin(
        "PUT",
        f"/api/v1/ACME/datasets/{people}/items",
        [{"_action": "create", "employee_id": "X1", "full_name": "Hand Kept"}],
    )
    ids = item_ids(t, "People", "employee_id")
    seed_draft(t, "People", "Hand", [{"_action": "update", "_id": ids["X1"], "location": "Leeds"}])
    before = (t.root / PEOPLE).read_bytes()

    code, out, err = _pull(t, "Hand")

    assert code == 0 and (t.root / PEOPLE).read_bytes() == before
    assert "X1 · location: the source has no row for this item (kept by hand in Orgvue)" in err
    assert "Nothing to pull" in out


def test_clear_all_asks_on_a_terminal(loaded: Tenant, monkeypatch) -> None:
    draft = _scenario(loaded)
    answers = iter(["no", "yes"])
    monkeypatch.setattr("builtins.input", lambda *_: next(answers))
    with pytest.raises(ConfirmationRefused, match="cancelled"):
        run_draft_clear(
            DraftOptions(root=loaded.root, name="Finance reorg", all=True),
            stdout=io.StringIO(),
            stdin_is_tty=True,
        )
    assert len(draft_actions(loaded, draft["draftId"])) == 3
    out = io.StringIO()
    assert (
        run_draft_clear(
            DraftOptions(root=loaded.root, name="Finance reorg", all=True), stdout=out, stdin_is_tty=True
        )
        == 0
    )
    assert "Clear all 3 edit(s) of draft 'Finance reorg'? Only 'yes' is accepted:" in out.getvalue()
    assert draft_actions(loaded, draft["draftId"]) == []
