"""`sources.writeback`: edits made in a file's own bytes; every record not edited stays byte for byte."""

from __future__ import annotations

import pytest

from orgsync.sources.writeback import CsvDialect, RowEdit, WriteBackError, split_records, write_back

TYPES = {"id": "text", "name": "text", "pay": "number", "on": "boolean", "since": "date"}


def test_records_keep_their_terminators_and_quoted_line_breaks() -> None:
    text = 'a,b\r\n1,"x\r\ny"\n2,"say ""hi"""\r3,z'
    assert split_records(text, '"') == ["a,b\r\n", '1,"x\r\ny"\n', '2,"say ""hi"""\r', "3,z"]


def test_only_the_edited_cells_are_rewritten() -> None:
    data = b'id,name,pay,on\n1, "Ann" ,65000.0,TRUE\n2,"Bob, Jr",70000,false\n'
    done = write_back(
        data,
        CsvDialect(),
        {},
        "id",
        TYPES,
        [
            RowEdit("update", "1", {"pay": "65000", "on": "false"}),
            RowEdit("update", "2", {"name": 'B "the" one'}),
        ],
    )
    # 65000.0 is already 65000: left as written; TRUE -> FALSE keeps its case; a quoted cell stays quoted
    assert done.data == b'id,name,pay,on\n1, "Ann" ,65000.0,FALSE\n2,"B ""the"" one",70000,false\n'


def test_renamed_columns_missing_rows_and_unowned_properties_are_reported() -> None:
    data = b"Staff No,name\nE1,Ann\n"
    done = write_back(
        data,
        CsvDialect(),
        {"Staff No": "id"},
        "id",
        TYPES,
        [RowEdit("update", "E1", {"name": "Anne", "pay": "1"}), RowEdit("delete", "E9")],
    )
    assert done.data == b"Staff No,name\nE1,Anne\n"
    assert done.missing == ("E9",) and done.unowned == (("E1", "pay"),)


def test_deleting_the_last_record_keeps_the_file_ending_as_it_was() -> None:
    done = write_back(b"id,name\r\n1,a\r\n2,b", CsvDialect(), {}, "id", TYPES, [RowEdit("delete", "2")])
    assert done.data == b"id,name\r\n1,a"


def test_a_value_the_encoding_cannot_write_is_an_error() -> None:
    with pytest.raises(WriteBackError, match="cp1252 cannot write"):
        write_back(
            "id,name\n1,Zoë\n".encode("cp1252"),
            CsvDialect(encoding="cp1252"),
            {},
            "id",
            TYPES,
            [RowEdit("update", "1", {"name": "Łukasz"})],
        )


def test_a_file_without_the_key_column_is_an_error() -> None:
    with pytest.raises(WriteBackError, match="no column for the key property 'id'"):
        write_back(b"name\nAnn\n", CsvDialect(), {}, "id", TYPES, [RowEdit("delete", "1")])
