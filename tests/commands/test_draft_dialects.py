"""Every source dialect round-trips byte for byte outside the edited rows: a draft's update, move, create and
delete pulled into a file of each dialect give exactly the expected bytes, the next plan shows exactly those
edits, and after apply the plan is empty."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from orgsync.commands.draft import DraftOptions, run_draft_pull
from orgsync.errors import ExitCode
from tests.support.draft_helpers import PROPERTIES, item_ids, seed_draft, small_tenant


@dataclass(frozen=True)
class Dialect:
    file: str
    settings: dict
    encoding: str
    bom: bytes
    old: str
    new: str


DIALECTS = {
    "pipe-and-apostrophe": Dialect(
        "units.csv",
        {"delimiter": "|", "quote": "'"},
        "utf-8",
        b"",
        "unit_id|name|parent|budget|opened|active\n"
        "U1|'Head | Office'||1250000.5|2020-01-15|true\n"
        "U2|Finance|U1|300000|2021-03-01|true\n"
        "U3|Sales|U1|450000|2021-03-01|false\n"
        "U4|Payroll|U2|90000|2022-06-30|true\n"
        "U6|Archive|U1|1000|2019-12-31|false\n",
        "unit_id|name|parent|budget|opened|active\n"
        "U1|'Head | Office'||1250000.5|2020-01-15|true\n"
        "U2|Finance & Risk|U1|320000.75|2021-04-01|true\n"
        "U3|Sales|U1|450000|2021-03-01|false\n"
        "U4|Payroll|U3|90000|2022-06-30|true\n"
        "U5|Field Sales|U3|120000|2026-02-01|true\n",
    ),
    "cp1252-semicolon-decimal-comma-crlf-renamed": Dialect(
        "units.csv",
        {
            "delimiter": ";",
            "encoding": "cp1252",
            "decimalSeparator": ",",
            "thousandsSeparator": ".",
            "dateFormat": "DD/MM/YYYY",
            "columns": {"Nummer": "unit_id", "Bezeichnung": "name"},
        },
        "cp1252",
        b"",
        "Nummer;Bezeichnung;parent;budget;opened;active\r\n"
        "U1;Zentrale Zürich;;1.250.000,5;15/01/2020;yes\r\n"
        "U2;Finance;U1;300.000;01/03/2021;yes\r\n"
        "U3;Sales;U1;450.000;01/03/2021;no\r\n"
        "U4;Payroll;U2;90.000;30/06/2022;Yes\r\n"
        "U6;Archive;U1;1.000;31/12/2019;no\r\n",
        "Nummer;Bezeichnung;parent;budget;opened;active\r\n"
        "U1;Zentrale Zürich;;1.250.000,5;15/01/2020;yes\r\n"
        "U2;Finance & Risk;U1;320.000,75;01/04/2021;yes\r\n"
        "U3;Sales;U1;450.000;01/03/2021;no\r\n"
        "U4;Payroll;U3;90.000;30/06/2022;Yes\r\n"
        "U5;Field Sales;U3;120.000;01/02/2026;yes\r\n",
    ),
    "bom-all-quoted-crlf-quoted-newline-us-dates-no-final-newline": Dialect(
        "units.csv",
        {"encoding": "utf-8-sig", "dateFormat": "MM/DD/YYYY"},
        "utf-8",
        b"\xef\xbb\xbf",
        '"unit_id","name","parent","budget","opened","active"\r\n'
        '"U1","Head Office","","1250000.5","01/15/2020","Y"\r\n'
        '"U2","Finance","U1","300000","03/01/2021","Y"\r\n'
        '"U3","Sales\nEMEA","U1","450000","03/01/2021","N"\r\n'
        '"U4","Payroll","U2","90000","06/30/2022","Y"\r\n'
        '"U6","Archive","U1","1000","12/31/2019","N"',
        '"unit_id","name","parent","budget","opened","active"\r\n'
        '"U1","Head Office","","1250000.5","01/15/2020","Y"\r\n'
        '"U2","Finance & Risk","U1","320000.75","04/01/2021","Y"\r\n'
        '"U3","Sales\nEMEA","U1","450000","03/01/2021","N"\r\n'
        '"U4","Payroll","U3","90000","06/30/2022","Y"\r\n'
        '"U5","Field Sales","U3","120000","02/01/2026","Y"',
    ),
    "utf16-tsv-one-zero": Dialect(
        "units.tsv",
        {"encoding": "utf-16"},
        "utf-16-le",
        b"\xff\xfe",
        "unit_id\tname\tparent\tbudget\topened\tactive\n"
        "U1\tHead Office\t\t1250000.5\t2020-01-15\t1\n"
        "U2\tFinance\tU1\t300000\t2021-03-01\t1\n"
        "U3\tSales\tU1\t450000\t2021-03-01\t0\n"
        "U4\tPayroll\tU2\t90000\t2022-06-30\t1\n"
        "U6\tArchive\tU1\t1000\t2019-12-31\t0\n",
        "unit_id\tname\tparent\tbudget\topened\tactive\n"
        "U1\tHead Office\t\t1250000.5\t2020-01-15\t1\n"
        "U2\tFinance & Risk\tU1\t320000.75\t2021-04-01\t1\n"
        "U3\tSales\tU1\t450000\t2021-03-01\t0\n"
        "U4\tPayroll\tU3\t90000\t2022-06-30\t1\n"
        "U5\tField Sales\tU3\t120000\t2026-02-01\t1\n",
    ),
}


def _manifest(dialect: Dialect) -> str:
    items = {"source": f"../data/{dialect.file}", "mode": "mirror", **dialect.settings}
    return yaml.safe_dump(
        {
            "kind": "Dataset",
            "name": "Units",
            "type": "UNITS",
            "autoId": "unit_id",
            "labelId": "name",
            "treeId": "unit_id",
            "treeParentId": "parent",
            "properties": PROPERTIES,
            "items": items,
        },
        sort_keys=False,
    )


def _changes(tenant) -> dict[str, list]:
    out = {}
    for r in tenant.plan().resources:
        items = r.items
        if items is None or items.is_empty:
            continue
        rows = [("create", k) for k in items.creates["unit_id"]] + [
            ("delete", k) for k in items.deletes["unit_id"]
        ]
        for row in items.updates.iter_rows(named=True):
            rows.append(
                ("update", row["unit_id"], *(c for c in items.columns if row[c] != row[c + "__before"]))
            )
        out[r.name] = sorted(rows)
    return out


@pytest.mark.parametrize("name", DIALECTS)
def test_each_dialect_round_trips_byte_for_byte(name: str, tmp_path: Path, monkeypatch) -> None:
    dialect = DIALECTS[name]
    old = dialect.bom + dialect.old.encode(dialect.encoding)
    t = small_tenant(
        tmp_path / "repo",
        tmp_path,
        monkeypatch,
        {"manifests/units.yaml": _manifest(dialect), f"data/{dialect.file}": old},
    )
    assert t.apply() == ExitCode.OK
    assert _changes(t) == {}
    ids = item_ids(t, "Units", "unit_id")
    seed_draft(
        t,
        "Units",
        "Q3 shape",
        [
            {
                "_action": "update",
                "_id": ids["U2"],
                "name": "Finance & Risk",
                "budget": 320000.75,
                "opened": "2021-04-01",
            },
            {"_action": "update", "_id": ids["U4"], "parent": "U3"},
            {
                "_action": "create",
                "unit_id": "U5",
                "name": "Field Sales",
                "parent": "U3",
                "budget": 120000,
                "opened": "2026-02-01",
                "active": True,
            },
            {"_action": "delete", "_id": ids["U6"]},
        ],
    )
    out, err = io.StringIO(), io.StringIO()

    code = run_draft_pull(DraftOptions(root=t.root, name="Q3 shape"), stdout=out, stderr=err)

    assert code == 0, err.getvalue()
    assert (t.root / "data" / dialect.file).read_bytes() == dialect.bom + dialect.new.encode(dialect.encoding)
    assert "320000" not in out.getvalue() + err.getvalue()
    assert _changes(t) == {
        "Units": [
            ("create", "U5"),
            ("delete", "U6"),
            ("update", "U2", "name", "budget", "opened"),
            ("update", "U4", "parent"),
        ]
    }
    assert t.apply() == ExitCode.OK
    assert _changes(t) == {}
