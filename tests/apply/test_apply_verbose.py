"""`orgsync apply -v` over a real socket with a token: the item PUTs are shown, never the token, a presigned
`sig=` or a sensitive value."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from tests.support.cli import orgsync
from tests.support.repo import make_repo

pytestmark = pytest.mark.socket

ACME = Path(__file__).resolve().parents[2] / "examples" / "acme"
TOKEN = "tok-verbose-7d1e9a"
ITEM_OPTIONS = (
    "onActionValidationFailure=skipAction&onItemAccessDenied=skipAction&onPropertyAccessDenied=skipProperty"
)


TRACES = re.compile(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}")
IDS = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")


def shapes(err: str) -> list[str]:
    """Each line without its duration, bytes and ids: `PUT /api/v1/ACME/datasets/{id}/items?… 200`."""
    return [IDS.sub("{id}", re.sub(r" \d+ ms .*$", "", line)) for line in err.splitlines()]


def test_apply_verbose_shows_the_item_puts_and_no_secret(tmp_path, emulator_factory):
    server = emulator_factory(token=TOKEN)
    root = make_repo(tmp_path / "acme", example="acme", endpoint=server.base_url)
    code, _, err = orgsync("apply", "-C", str(root), "--auto-approve", token=TOKEN)
    assert code == 0 and err == ""  # without -v nothing extra is printed

    people = root / "data" / "people.csv"
    frame = pl.read_csv(people, infer_schema=False)
    secret = "918273"
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(secret)).otherwise(pl.col("salary")).alias("salary")
    )
    frame.write_csv(people)
    code, out, err = orgsync("apply", "-C", str(root), "--auto-approve", "-v", token=TOKEN)
    assert code == 0, out + err

    lines = shapes(err)
    put = f"PUT /api/v1/ACME/datasets/{{id}}/items?{ITEM_OPTIONS}&dateFormat&autoId=true 200"
    assert lines.count(put) == 1 and lines[-1] == put  # the one changed salary, written last
    assert lines[0] == "GET /api/v1/ACME/datasets 200"
    assert lines.count("GET /_files/{id} 200") == 3  # the exports' presigned downloads, shown by path only
    assert all(
        re.fullmatch(
            r"[A-Z]+ /\S+ \d{3} \d+ ms \d+(\.\d)? [KM]?B → \d+(\.\d)? [KM]?B"
            r" trace Root=1-[0-9a-f]{8}-[0-9a-f]{24}",
            line,
        )
        for line in err.splitlines()
    ), err
    old_salaries = pl.read_csv(ACME / "data" / "people.csv", infer_schema=False)["salary"].to_list()
    assert TOKEN not in err and "sig" not in err and "127.0.0.1" not in err
    no_ids = TRACES.sub("", IDS.sub("{id}", err))  # a hex id may hold six digits in a row by chance
    assert secret not in no_ids and not any(s and s in no_ids for s in old_salaries)
