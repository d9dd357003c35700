"""Attacks on the terminal and CI log: escape sequences and control characters in values and names."""

from __future__ import annotations

import re

import pytest

from orgsync.api.calllog import format_call
from orgsync.api.http import CallRecord
from orgsync.escape import terminal
from tests.support.cli import orgsync
from tests.support.hostile import ESC_VALUE, VALUES, write

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_the_text_plan_shows_control_characters_escaped(tmp_path):
    write(tmp_path, n=len(VALUES))
    code, out, err = orgsync("plan", "-C", str(tmp_path))
    assert code == 0, err
    assert not CONTROL.search(out) and not CONTROL.search(err)
    assert "\\x1b[2J\\x1b]8;;https://evil.example/\\x07click\\x1b]8;;\\x07" in out
    assert "label=line\\nbreak\\rreturn" in out and "label=\\u202eevil" in out
    assert len(out.splitlines()) == 17 + len(VALUES)  # no value added a line


def test_a_dataset_name_with_escapes_cannot_rewrite_the_apply_output(tmp_path):
    write(tmp_path, n=2, name="People\x1b[1A\x1b[2K\rApply complete.", key="note")
    code, out, err = orgsync("apply", "-C", str(tmp_path), "--auto-approve")
    assert code == 0, err
    assert not CONTROL.search(out) and not CONTROL.search(err)
    assert "People\\x1b[1A\\x1b[2K\\rApply complete." in out


def test_validation_messages_and_errors_are_escaped(tmp_path):
    write(
        tmp_path,
        rows=[{"id": "E1", "label": "x", "note-->": "y", "salary": "not\x1b]0;pwned\x07a number", "ssn": ""}],
    )
    (tmp_path / "manifests" / "people.yaml").write_text(
        (tmp_path / "manifests" / "people.yaml").read_text().replace("sensitive: true", "sensitive: false", 1)
    )
    for args in (("validate", "-C", str(tmp_path)), ("plan", "-C", str(tmp_path))):
        code, out, err = orgsync(*args)
        assert code == 1
        assert not CONTROL.search(out + err)
    assert "\\x1b]0;pwned\\x07" in out + err


def test_a_manifest_error_naming_a_hostile_key_is_escaped(tmp_path):
    write(tmp_path, n=1)
    text = (tmp_path / "manifests" / "people.yaml").read_text()
    (tmp_path / "manifests" / "people.yaml").write_text(text + "bad\x1b[31m: 1\n")
    code, out, err = orgsync("plan", "-C", str(tmp_path))
    assert code == 1 and not CONTROL.search(err) and "Traceback" not in err
    line = len(text.splitlines()) + 1
    assert err.startswith(
        f"Error: manifests/people.yaml:{line}:4: invalid YAML: character 0x1b is not allowed"
    )
    (tmp_path / "manifests" / "people.yaml").write_text(
        text + '"bad\\e[31m": 1\n'
    )  # a YAML escape: a real ESC
    code, out, err = orgsync("plan", "-C", str(tmp_path))
    assert code == 1 and not CONTROL.search(err) and "bad\\x1b[31m: unknown field" in err


def test_verbose_log_lines_are_escaped():
    line = format_call(CallRecord("GET", "/api/v1/ACME/datasets/\x1b[2Jx", 200, 0.01))
    assert line == "GET /api/v1/ACME/datasets/\\x1b[2Jx 200 10 ms 0 B → 0 B"


@pytest.mark.parametrize(
    "text, expected",
    [
        (ESC_VALUE, "\\x1b[2J\\x1b]8;;https://evil.example/\\x07click\\x1b]8;;\\x07"),
        ("a\tb", "a\\tb"),
        ("\x9b31m", "\\x9b31m"),
        ("\u202e", "\\u202e"),
        ("\u2066x\u2069", "\\u2066x\\u2069"),
        ("\x00", "\\x00"),
        ("plain ünïcode ✓", "plain ünïcode ✓"),
    ],
)
def test_the_escape_itself(text, expected):
    assert terminal(text) == expected
