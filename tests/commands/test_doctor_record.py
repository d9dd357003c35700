"""`orgsync doctor --record FILE` and `orgsync emulator --compare FILE` (issue 25): the transcript that settles what
Orgvue's pages leave open (temporary-file fields, statuses of 415001/400603/400020, Retry-After, rate-limit headers),
written with no token, value or name, and turned into a list of emulator differences."""

from __future__ import annotations

import io
import re
from pathlib import Path

import orjson
import pytest
from rich.console import Console

from orgsync.commands.apply import ApplyOptions, run_apply
from orgsync.commands.doctor import run_doctor
from orgsync.commands.emulator_compare import run_compare
from tests.support.cli import orgsync
from tests.support.repo import make_repo

pytestmark = pytest.mark.socket

REPO = Path(__file__).resolve().parents[2]
ACME = REPO / "examples" / "acme"
TOKEN = "tok-RECORD-0a9b8c7d6e5f"


@pytest.fixture
def recorded(tmp_path, emulator_factory, monkeypatch) -> tuple[Path, Path, str]:
    """examples/acme applied to a token-protected emulator over a socket, then `doctor --record --probe-writes`."""
    emulator = emulator_factory(token=TOKEN)
    root = make_repo(tmp_path / "acme", example="acme", endpoint=emulator.base_url)
    monkeypatch.setenv("ORGVUE_TOKEN", TOKEN)
    assert run_apply(ApplyOptions(root=root, auto_approve=True), console=Console(file=io.StringIO())) == 0
    path = tmp_path / "transcript.json"
    out = io.StringIO()
    code = run_doctor(root, "text", {"ORGVUE_TOKEN": TOKEN}, stdout=out, record=path, probe_writes="People")
    assert code == 0, out.getvalue()
    assert f"Transcript of 14 probe(s) written to {path}" in out.getvalue()
    return root, path, emulator.base_url


def test_the_transcript_has_every_probe_and_no_token_value_or_name(recorded) -> None:
    root, path, base_url = recorded
    text = path.read_text()
    data = orjson.loads(text)
    assert [p["probe"] for p in data["probes"]] == [
        "datasets.list",
        "dataset.retrieve",
        "export.start",
        "export.poll",
        "export.result",
        "file.generate",
        "file.upload",
        "file.read",
        "import.start",
        "import.poll",
        "items.noop",
        "error.no-content-type",
        "error.repeated-parameter",
        "error.non-uuid",
    ]
    by = {p["probe"]: p for p in data["probes"]}
    assert by["file.generate"]["body"] == {"getUrl": "string", "putUrl": "string", "expiresAt": "string"}
    assert by["error.non-uuid"]["errorCodes"] == ["400603 PathParameterMustBeUUIDString"]
    assert by["error.repeated-parameter"]["errorCodes"] == ["400020 FieldMustNotBeMultivalued"]
    assert by["error.no-content-type"]["requestContentType"] is False
    assert all(
        p["requestContentType"]
        for p in data["probes"]
        if p["path"].startswith("/api/") and "content" not in p["probe"]
    )
    assert (
        by["export.poll"]["path"] == "{presigned}"
        and by["dataset.retrieve"]["path"] == "/api/v1/{tenantId}/datasets/{datasetId}"
    )
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", by["datasets.list"]["headers"]["x-amzn-trace-id"])
    assert all(v is None for p in data["probes"] for k, v in p["headers"].items() if k != "x-amzn-trace-id")
    # a grep finds no token, no item value, no dataset, property or tenant name, no id, no host, no signature
    people = (root / "data" / "people.csv").read_text().splitlines()[1].split(",")
    for needle in [
        TOKEN,
        "ACME",
        "People",
        "Positions",
        "employee_id",
        "salary",
        "full_name",
        *people[:3],
        "206000",
    ]:
        assert needle not in text, needle
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text, re.IGNORECASE)
    assert base_url.split("//")[1] not in text and "sig=" not in text and "127.0.0.1" not in text


def test_the_emulators_own_transcript_compares_clean(recorded) -> None:
    _, path, _ = recorded
    out = io.StringIO()
    assert run_compare(path, stdout=out) == 0
    assert out.getvalue() == f"The emulator answers every probe of {path.name} the same way (14 probes).\n"


def test_a_renamed_field_and_another_status_are_listed_exactly(recorded, tmp_path) -> None:
    _, path, _ = recorded
    data = orjson.loads(path.read_bytes())
    by = {p["probe"]: p for p in data["probes"]}
    generate = by["file.generate"]["body"]
    generate["readUrl"] = generate.pop("getUrl")  # the service names the read URL otherwise
    by["error.no-content-type"]["status"] = 415  # and refuses a GET without Content-Type
    by["error.no-content-type"]["errorCodes"] = ["415001 ContentTypeIsNotImplemented"]
    changed = tmp_path / "real.json"
    changed.write_bytes(orjson.dumps(data))
    out = io.StringIO()
    assert run_compare(changed, stdout=out) == 1
    assert out.getvalue().splitlines() == [
        "The emulator answers 4 thing(s) otherwise than real.json:",
        "  file.generate: body.getUrl: sent by the emulator (string), not recorded",
        "  file.generate: body.readUrl: recorded (string), missing from the emulator",
        "  error.no-content-type: status 415 recorded, 200 from the emulator",
        "  error.no-content-type: error codes ['415001 ContentTypeIsNotImplemented'] recorded, none from the emulator",
    ]


def test_the_command_lines(recorded, tmp_path) -> None:
    root, path, _ = recorded
    code, out, err = orgsync("emulator", "--compare", str(path))
    assert code == 0 and "the same way" in out + err
    bad = tmp_path / "bad.json"
    bad.write_text('{"probes": []}')
    code, out, err = orgsync("emulator", "--compare", str(bad))
    assert code == 1 and "not an orgsync transcript" in out + err
    code, out, err = orgsync("doctor", "-C", str(root), "--names")
    assert code == 1 and "--names and --probe-writes go with --record FILE" in out + err
