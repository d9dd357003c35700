"""Attacks that make a message quote a secret: a pull request names another secret as a connection
(`connection: {env: ORGSYNC_SECRET_SMTP}`) so that its value ends up in the error, and the comment (item 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.cli import orgsync
from tests.support.staff_repo import Repo


def database_repo(root: Path) -> Repo:
    repo = Repo(root).write()
    teams = yaml.safe_load((root / "manifests" / "teams.yaml").read_text())
    teams["items"]["source"] = {"sql": "SELECT 'T1' AS team", "connection": {"env": "ORGSYNC_SECRET_SMTP"}}
    (root / "manifests" / "teams.yaml").write_text(yaml.safe_dump(teams, sort_keys=False))
    return repo


@pytest.mark.parametrize(
    "value, pieces, expected",
    [
        (
            "svcmailer7731:Hunter2-smtp-pass",
            ["svcmailer7731", "Hunter2-smtp-pass"],
            "the connection string does not start with a supported scheme; expected postgresql://, "
            "sqlite:///, snowflake:// or bigquery:// (connection from ORGSYNC_SECRET_SMTP)",
        ),
        (
            "smtp://svcmailer7731:Hunter2-smtp-pass@mail.corp7731.example:587",
            ["svcmailer7731", "Hunter2-smtp-pass", "corp7731"],
            "the connection string does not start with a supported scheme; expected postgresql://, "
            "sqlite:///, snowflake:// or bigquery:// (connection from ORGSYNC_SECRET_SMTP)",
        ),
        (
            "sqlite:////nonexistent/payroll7731/secret-hr.db",
            ["payroll7731", "secret-hr.db", "nonexistent"],
            "cannot connect to the database (connection from ORGSYNC_SECRET_SMTP): ",
        ),
        (
            "postgresql://svcmailer7731:Hunter2-smtp-pass@127.0.0.1:1/payroll7731",
            ["svcmailer7731", "Hunter2-smtp-pass", "payroll7731"],
            "cannot connect to the database (connection from ORGSYNC_SECRET_SMTP): ",
        ),
    ],
)
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_no_part_of_another_secret_reaches_a_message(tmp_path, value, pieces, expected, command):
    repo = database_repo(tmp_path)
    code, out, err = orgsync(command, "-C", str(repo.root), env={"ORGSYNC_SECRET_SMTP": value})
    assert code == 1
    assert "manifests/teams.yaml:" in out + err and expected in out + err
    assert [p for p in pieces if p in out + err] == []


@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "https://svcuser7731:Pa55-w0rd-x@orgvue.eu-west-1.concentra.io/api/v1",
            "endpoint: expected a base URL without credentials, query or fragment",
        ),
        (
            "https://orgvue.eu-west-1.concentra.io/?key=Pa55-w0rd-x&u=svcuser7731",
            "endpoint: expected a base URL without credentials, query or fragment",
        ),
        (
            "ftp://svcuser7731:Pa55-w0rd-x@files.example",
            "expected an https:// base URL or `local`, got 'ftp://files.example'",
        ),
        ("svcuser7731:Pa55-w0rd-x", "got '(a value that is not a URL)'"),
    ],
)
def test_an_endpoint_templated_from_the_environment_never_shows_its_credentials(tmp_path, url, expected):
    Repo(tmp_path, endpoint="{{ env.ORGVUE_URL }}").write()
    code, out, err = orgsync("plan", "-C", str(tmp_path), env={"ORGVUE_URL": url, "ORGVUE_TOKEN": "t"})
    assert code == 1 and expected in err, err
    assert "svcuser7731" not in out + err and "Pa55-w0rd-x" not in out + err
