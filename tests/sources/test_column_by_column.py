"""Converting a source column by column (each raw column freed once converted) gives `canonical_frame`'s table."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from orgsync.manifest.loader import load_project
from orgsync.sources.canonical import boolean_words, canonical_frame
from orgsync.sources.numbers import plain_numbers
from orgsync.sources.readers import load_source
from orgsync.sources.source_errors import MAX_LISTED
from tests.support.repo import make_repo

MANIFEST = """kind: Dataset
name: People
type: PEOPLE
autoId: id
labelId: name
properties:
  - {{key: id, name: ID, type: text}}
  - {{key: name, name: Name, type: text}}
  - {{key: pay, name: Pay, type: number}}
  - {{key: ratio, name: Ratio, type: number, sensitive: true}}
  - {{key: start, name: Start, type: date}}
  - {{key: active, name: Active, type: boolean}}
  - {{key: remote, name: Remote, type: boolean}}
items:
  source: ../data/p.csv
  delimiter: ';'
  trueValues: [Ja]
  falseValues: [Nein]
{extra}"""

TYPES = {"id": "text", "name": "text", "pay": "number", "ratio": "number", "start": "date"}
TYPES |= {"active": "boolean", "remote": "boolean"}


def _rows(count: int, decimal: str) -> str:
    """`count` rows past the canonical check's sample: canonical and non-canonical values, misfits, blanks."""
    lines = ["id;name;pay;ratio;start;active;remote;unknown"]
    for i in range(count):
        pay = ["65000", f"6500{i % 10}{decimal}50", "", "lots", f" {i} ", f"1{decimal}0"][i % 6]
        ratio = [f"0{decimal}80", "0", "abc", "", f"{i}{decimal}25"][i % 5]
        start = ["2020-01-02", "2024-02-29", "2023-02-30", "", "02/03/2020", "1999-12-31"][i % 6]
        active = ["true", "Yes", "FALSE", "ja", "maybe", ""][i % 6]
        remote = ["false", "true", "Nein", "1"][i % 4]
        name = ["Ada", " Grace ", "", "Zoë Ñ 漢字"][i % 4]
        lines.append(f"E{i};{name};{pay};{ratio};{start};{active};{remote};x{i}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("decimal", "extra"), [(".", ""), (",", "  decimalSeparator: ','\n")])
def test_table_equals_canonical_frame_of_the_whole_source(tmp_path: Path, decimal: str, extra: str) -> None:
    data = _rows(3000, decimal)
    make_repo(tmp_path, manifests={"p.yaml": MANIFEST.format(extra=extra)}, data={"p.csv": data.encode()})
    project = load_project(tmp_path, env={})
    table, problems = load_source(project.manifests[0], project)
    assert table is not None

    raw = pl.read_csv(io.StringIO(data), separator=";", infer_schema=False)
    if extra:
        raw = raw.with_columns(plain_numbers(pl.col(c), ",", None).alias(c) for c in ("pay", "ratio"))
    words = boolean_words(["Ja"], ["Nein"])
    whole = canonical_frame(raw.select(list(TYPES)), TYPES, booleans=words)  # type: ignore[arg-type]
    held = {c for c, kind in table.frame.schema.items() if kind == pl.Categorical}
    assert held == {"name", "start", "active", "remote"}  # few distinct values: dictionaries (issue 24)
    assert_frame_equal(table.frame.with_columns(pl.col(pl.Categorical).cast(pl.String)), whole)

    misfits = [p for p in problems if p.severity == "error" and p.field != "unknown"]
    # per column in manifest order, the first few misfits then a count; sensitive values never shown
    each = MAX_LISTED + 1
    assert [p.field for p in misfits] == [c for c in ("pay", "ratio", "start", "active") for _ in range(each)]
    assert str(misfits[0].location).endswith("p.csv:5") and "got 'lots'" in misfits[0].message
    assert all("'abc'" not in p.message for p in misfits)
    assert "got a value not shown (sensitive)" in misfits[each].message
    assert misfits[each - 1].message.startswith("... and 480 more values that are not ")


def test_every_column_of_a_table_read_from_disk_is_one_chunk(tmp_path: Path) -> None:
    """A file polars reads in parallel comes back in several chunks per column; the table's columns are one
    chunk each, so a `select` on it never copies the whole frame to align them (issue 24)."""
    rows = 150_000
    data = "id;name;pay;start;active;remote\n" + "".join(
        f"E{i};Name number {i} of many;{i}.5;2020-01-02;true;false\n" for i in range(rows)
    )
    make_repo(tmp_path, manifests={"p.yaml": MANIFEST.format(extra="")}, data={"p.csv": data.encode()})
    read = pl.read_csv(tmp_path / "data" / "p.csv", separator=";", infer_schema=False)
    assert read["name"].n_chunks() > 1  # the premise: this file is read in parallel chunks
    project = load_project(tmp_path, env={})
    table, problems = load_source(project.manifests[0], project)
    assert table is not None and not [p for p in problems if p.severity == "error"]
    assert {c: table.frame[c].n_chunks() for c in table.frame.columns} == dict.fromkeys(
        table.frame.columns, 1
    )
    assert table.frame["name"].to_list() == read["name"].to_list()
