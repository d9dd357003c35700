"""Columns of few distinct values are held as dictionaries (Categorical), with the same values as text."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal, assert_series_equal

from orgsync.manifest.loader import load_project
from orgsync.sources import parse
from orgsync.sources.canonical import canonical_column
from orgsync.sources.dictionary import as_text, by_distinct, dictionary_columns, estimated_size, text_hash
from orgsync.sources.readers import load_source
from orgsync.state.snapshot import row_hashes
from tests.support.cli import orgsync
from tests.support.repo import make_repo

MANIFEST = """kind: Dataset
name: Staff
type: PEOPLE
autoId: id
labelId: title
treeId: id
treeParentId: boss
properties:
  - {key: id, name: ID, type: text}
  - {key: boss, name: Boss, type: text}
  - {key: name, name: Name, type: text}
  - {key: title, name: Title, type: text}
  - {key: dept, name: Department, type: text}
  - {key: grade, name: Grade, type: number, sensitive: true}
  - {key: start, name: Start, type: date}
  - {key: active, name: Active, type: boolean}
  - {key: band, name: Band, type: text, sensitive: true}
items:
  source: ../data/staff.csv
  mode: mirror
"""


def _people(count: int) -> str:
    """`count` people: unique ids and names, a few departments, grades, dates and booleans, in loose forms."""
    lines = ["id,boss,name,title,dept,grade,start,active,band"]
    for i in range(count):
        boss = "" if i == 0 else f"E{i % 3}"  # three bosses: a low-cardinality reference column
        dept = ["Sales", " Sales ", "Finance", "", "R&D"][i % 5]
        grade = ["3", "3.0", "4", "lots", ""][i % 5]
        start = ["2020-01-02", "2024-02-29", "2023-02-30", ""][i % 4]
        active = ["true", "Yes", "FALSE", "maybe", ""][i % 5]
        title = ["Lead", "Clerk"][i % 2]
        lines.append(f"E{i},{boss},Person {i},{title},{dept},{grade},{start},{active},SECRET-{i % 2}")
    return "\n".join(lines) + "\n"


def _table(tmp_path: Path, data: bytes, name: str = "staff.csv") -> tuple[pl.DataFrame, list[str]]:
    make_repo(tmp_path, manifests={"staff.yaml": MANIFEST.replace("staff.csv", name)}, data={name: data})
    project = load_project(tmp_path, env={})
    table, problems = load_source(project.manifests[0], project)
    assert table is not None
    return table.frame, [p.message for p in problems if p.severity == "error"]


def _without_dictionaries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every source read as text, as before dictionaries: the reference the tests compare with."""
    monkeypatch.setattr(parse, "dictionary_columns", lambda sample: [])


def test_repeated_columns_are_dictionaries_and_hold_the_same_values_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _people(2000).encode()
    frame, errors = _table(tmp_path / "plain", data)
    packed, packed_errors = _table(
        tmp_path / "gz", gzip.compress(data), "staff.csv.gz"
    )  # read from its bytes
    with monkeypatch.context() as patch:
        _without_dictionaries(patch)
        text_frame, text_errors = _table(tmp_path / "text", data)
    assert {c for c, d in text_frame.schema.items() if d != pl.String} == set()

    held = {c for c, d in frame.schema.items() if d == pl.Categorical}
    assert held == {
        "title",
        "dept",
        "grade",
        "start",
        "active",
        "band",
    }  # not the key, the parent, the unique names
    assert_frame_equal(packed, frame)
    assert_frame_equal(frame.with_columns(pl.all().cast(pl.String)), text_frame)
    assert errors == packed_errors == text_errors and len(errors) > 3  # the same misfits, at the same rows
    assert_series_equal(row_hashes(frame, frame.columns), row_hashes(text_frame, frame.columns))


def test_a_column_is_a_dictionary_when_its_sample_repeats_enough() -> None:
    rows = 1000
    sample = pl.DataFrame(
        {
            "few": [f"d{i % 100}" for i in range(rows)],  # 100 distinct in 1,000: one in ten, held
            "more": [f"d{i % 101}" for i in range(rows)],  # 101: past the share, text
            "unique": [f"u{i}" for i in range(rows)],
            "number": list(range(rows)),  # not text: never
        }
    )
    assert dictionary_columns(sample) == ["few"]
    assert dictionary_columns(sample.head(99)) == []  # too few rows to tell, and nothing to save


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["1", " 2 ", "2.0", "x", "", "1e3", "-0", None, "Yes", "no", "2024-02-29"])),
    st.sampled_from(["text", "number", "date", "boolean"]),
)
def test_converting_each_distinct_value_once_equals_converting_each_row(
    values: list[str | None], kind: str
) -> None:
    text = pl.Series("v", values, dtype=pl.String)
    expected = canonical_column(text, kind)  # type: ignore[arg-type]
    held = by_distinct(text.cast(pl.Categorical), lambda v: canonical_column(v, kind))  # type: ignore[arg-type]
    assert held.dtype == pl.Categorical and held.name == "v"
    assert_series_equal(as_text(held), expected)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=6))), st.lists(st.one_of(st.none(), st.text(max_size=3)))
)
def test_a_dictionary_hashes_as_its_text(first: list[str | None], second: list[str | None]) -> None:
    # two columns hashed in one step share the memo: one in the global mapping, one in a mapping of its own
    own = pl.Categorical(pl.Categories.random())
    columns = [pl.Series("a", first, dtype=pl.String), pl.Series("b", second, dtype=pl.String)]
    held = [columns[0].cast(pl.Categorical), columns[1].cast(own)]
    mappings: dict[pl.Categories, pl.Series] = {}
    for text, dictionary in zip(columns, held, strict=True):
        expected = text.hash(seed=0)
        assert_series_equal(text_hash(dictionary, mappings), expected, check_names=False)
        assert_series_equal(text_hash(text, mappings), expected)  # text is hashed as it is
    assert len(mappings) == 2


_SPACES = [" ", "\t", "\n", "\r", "\u00a0", "\u2003", "\u3000", "\u0085", "\u200b", "\ufeff", "x", "é", "漢"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(_SPACES), max_size=4))))
def test_text_is_stripped_of_exactly_the_whitespace_polars_strips(values: list[str | None]) -> None:
    # the canonical text check asks whether a value is padded without stripping a copy; it must agree with
    # the strip it stands for, whatever the (Unicode) whitespace, and a blank value is null
    text = pl.Series("v", values, dtype=pl.String)
    stripped = text.str.strip_chars()
    assert_series_equal(canonical_column(text, "text"), stripped.set(stripped == "", None))


_HOSTILE = {4: "<script>alert(1)</script> **Lead** @all", 5: "Chef\x1b[2J\x1b]8;;http://evil\x07x"}


def _staff(count: int, version: int) -> bytes:
    """Staff with a few titles, departments and bosses; version 2 moves, retitles, deletes and adds some."""
    lines = ["id,boss,name,title,dept,grade,start,active,band"]
    for i in range(count):
        if version == 2 and i in (297, 298, 299):
            continue  # leaves (no one reports to them): deleted
        boss = "" if i == 0 else f"E{(i % 9) + (1 if version == 2 and i % 15 == 0 else 0)}"
        if boss == f"E{i}":
            boss = "E0"
        title = ["Analyst", "Lead", "Head", "Clerk", "Engineer", "Manager", "Nurse", "Chef"][i % 8]
        if version == 2 and i % 60 == 7:
            title = "Principal"
        if version == 2 and i in _HOSTILE:  # managers, so the labels show in spans as well as in updates
            title = _HOSTILE[i]
        dept = ["Sales", "Finance", "R&D", "Care", "Ops"][(i + (version == 2 and i % 10 == 3)) % 5]
        grade = ["3", "4.0", "5", "6"][(i + (version == 2 and i % 20 == 1)) % 4]
        start = ["2020-01-02", "2021-06-30", "2023-11-15"][i % 3]
        active = ["yes", "no"][i % 2]
        band = f"SECRET-{(i + (version == 2 and i % 25 == 2)) % 3}"  # sensitive, few values: a dictionary
        lines.append(f"E{i},{boss},Person {i},{title},{dept},{grade},{start},{active},{band}")
    if version == 2:
        lines += [f"N{j},E{j},New {j},Chef,Ops,3,2024-01-01,yes,SECRET-0" for j in range(4)]
    return ("\n".join(lines) + "\n").encode()


_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


def test_a_plan_from_dictionary_columns_is_the_plan_from_text_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same change to a tenant planned from a plain file and from the same file gzipped (both with
    dictionaries) and from the plain file read as text: every format of the plan says the same, moves, spans
    and values included, and each saved plan applies it all."""
    outputs = {}
    for label, name, pack in (
        ("plain", "staff.csv", bytes),
        ("gzipped", "staff.csv.gz", gzip.compress),
        ("text", "staff.csv", bytes),
    ):
        root = tmp_path / label
        manifests = {"staff.yaml": MANIFEST.replace("staff.csv", name)}
        with monkeypatch.context() as patch:
            if label == "text":
                _without_dictionaries(patch)
            make_repo(root, manifests=manifests, data={name: pack(_staff(300, 1))})
            assert orgsync("apply", "-C", str(root), "--auto-approve")[0] == 0
            make_repo(root, manifests=manifests, data={name: pack(_staff(300, 2))})
            shown = {}
            for form in ("text", "markdown", "html"):
                code, out, _ = orgsync(
                    "plan", "-C", str(root), "--format", form, "--show-values", "--show-all"
                )
                # each tenant's own dataset id, and the report's time
                shown[form] = _STAMP.sub("T", _UUID.sub("ID", out.replace(name, "SOURCE")))
                assert code == 0, out
            outputs[label] = shown
            # the saved plan (sensitive grades left out of the file, put back from the source) applies it all
            saved = str(root / "plan.json")
            assert orgsync("plan", "-C", str(root), "--out", saved)[0] == 0
            assert orgsync("apply", "-C", str(root), "--auto-approve", saved)[0] == 0
            assert orgsync("plan", "-C", str(root), "--detailed-exitcode")[0] == 0
    assert "Principal" in outputs["text"]["markdown"] and "moved" in outputs["text"]["markdown"].lower()
    for form in ("text", "markdown", "html"):
        assert outputs["plain"][form] == outputs["gzipped"][form] == outputs["text"][form], form
        shown = outputs["plain"][form]
        # a sensitive dictionary column is counted, never shown; a hostile label is escaped, never markup
        assert "band" in shown and "SECRET-" not in shown, form
        assert "alert(1)" in shown and "\x1b" not in shown and "\x07" not in shown, form
        assert form == "text" or "<script>alert" not in shown, (
            form
        )  # a terminal shows text; a page must not run it


def test_a_dictionary_frame_is_estimated_at_the_size_of_its_text() -> None:
    # apply's request estimate guesses import bytes from the frame's size: a dictionary column counts its text
    text = pl.DataFrame({"id": [f"E{i}" for i in range(30_000)], "title": ["Senior Engineer"] * 30_000})
    held = text.with_columns(pl.col("title").cast(pl.Categorical))
    assert held.estimated_size() < text.estimated_size() * 0.8  # what polars says of the codes alone
    assert estimated_size(held) == held.estimated_size() + text.select("title").estimated_size()
    assert estimated_size(text) == text.estimated_size()
    assert abs(estimated_size(held) - text.estimated_size()) < text.estimated_size() * 0.2


def test_a_sample_of_bytes_is_whole_lines_of_the_head_only() -> None:
    # a gzipped source's sample never takes in the whole file: whole lines of its first bytes, or nothing
    assert parse._head(b"a,b\n1,2\n3,4\n", size=9) == b"a,b\n1,2\n"
    assert parse._head(b"a,b,c,d,e,f", size=4) == b""
    assert parse._dictionaries(b"", ",", '"') == []
