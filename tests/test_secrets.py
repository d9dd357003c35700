"""Named secrets for sources: only ORGSYNC_SECRET_ names, never in templates, redacted from messages."""

from __future__ import annotations

import pytest

from orgsync.errors import ConfigError
from orgsync.manifest.templating import Renderer, TemplateProblem
from orgsync.secrets import Secret, redact, resolve_secret

DSN = "postgresql://hr_reader:p%40ss-W0rd-77@db.internal:5432/hr"
ENV = {"ORGSYNC_SECRET_HR_DB": DSN, "DATABASE_URL": DSN}


def test_an_orgsync_secret_name_resolves_and_never_shows_its_value():
    secret = resolve_secret("ORGSYNC_SECRET_HR_DB", ENV)
    assert secret.value == DSN
    assert (
        DSN not in repr(secret) and DSN not in str(secret) and str(secret) == "<secret ORGSYNC_SECRET_HR_DB>"
    )


@pytest.mark.parametrize(
    "name",
    [
        "DATABASE_URL",
        "orgsync_secret_hr_db",
        "ORGSYNC_SECRET_",
        "ORGSYNC_VAR_HR_DB",
        "ORGSYNC_SECRET_HR-DB",
        "ORGVUE_TOKEN",
    ],
)
def test_other_names_are_refused_by_the_rule(name):
    with pytest.raises(ConfigError) as err:
        resolve_secret(name, ENV)
    assert "only names starting with ORGSYNC_SECRET_" in str(err.value) and DSN not in str(err.value)


def test_an_unset_secret_is_an_error_naming_it():
    with pytest.raises(ConfigError, match="the environment variable ORGSYNC_SECRET_NOPE is not set"):
        resolve_secret("ORGSYNC_SECRET_NOPE", ENV)


def test_driver_messages_that_quote_the_value_or_its_parts_are_redacted():
    secret = resolve_secret("ORGSYNC_SECRET_HR_DB", ENV)
    messages = [
        f'could not connect to "{DSN}"',
        'password authentication failed for user "hr_reader"',
        "invalid password 'p@ss-W0rd-77'",
        "dsn=p%40ss-W0rd-77",
    ]
    for message in messages:
        out = secret.redact(message)
        assert "W0rd" not in out and "hr_reader" not in out and "***" in out
    odbc = Secret("ORGSYNC_SECRET_MSSQL", "Driver={ODBC};Server=db;UID=svc_hr;PWD=Tr0ub4dor&3;")
    assert redact("login failed: PWD=Tr0ub4dor&3 user svc_hr", [odbc]) == "login failed: PWD=*** user ***"


def test_secrets_are_never_visible_to_templates():
    with pytest.raises(TemplateProblem, match="env.ORGSYNC_SECRET_HR_DB is not readable"):
        Renderer(ENV).render("{{ env.ORGSYNC_SECRET_HR_DB }}")
