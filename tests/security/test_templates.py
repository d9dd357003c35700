"""Attacks through manifest templates: reading or listing the CI environment into a plan or PR comment."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgsync.errors import ConfigError
from orgsync.manifest.loader import load_project
from orgsync.manifest.templating import Renderer, TemplateProblem

CI_ENV = {
    "ORGVUE_TENANT": "ACME",
    "ORGVUE_URL": "https://eu.orgvue.com",
    "ORGSYNC_VAR_DEPLOY_ENV": "prod",
    "AWS_SECRET_ACCESS_KEY": "AKIA-very-secret-9f8e",
    "GITHUB_TOKEN": "ghs_leakme123",
    "ORGVUE_TOKEN": "orgvue-token-xyz",
    "ORGSYNC_SECRET_HR_DB": "postgres://hr:pw-4242@db/hr",
}
SECRETS = ("AKIA-very-secret-9f8e", "ghs_leakme123", "orgvue-token-xyz", "pw-4242")


def render(text: str) -> str:
    return Renderer(CI_ENV).render(text)


def test_the_documented_pins_and_orgsync_var_names_are_readable():
    assert (
        render("{{ env.ORGVUE_TENANT }}|{{ env.ORGVUE_URL }}|{{ env.ORGSYNC_VAR_DEPLOY_ENV }}")
        == "ACME|https://eu.orgvue.com|prod"
    )
    assert render("{{ env['ORGSYNC_VAR_DEPLOY_ENV'] | upper }}") == "PROD"


@pytest.mark.parametrize(
    "name",
    [
        "AWS_SECRET_ACCESS_KEY",
        "GITHUB_TOKEN",
        "ORGSYNC_SECRET_HR_DB",
        "HOME",
        "PATH",
        "ORGSYNC_VAR_",
        "orgsync_var_deploy_env",
    ],
)
def test_any_other_variable_is_an_error_naming_it_and_the_rule_never_its_value(name):
    for text in (
        "{{ env." + name + " }}",
        "{{ env['" + name + "'] }}",
        "{{ env." + name + " | default('x') }}",
    ):
        if not name.isidentifier() and "." in text:
            continue
        with pytest.raises(TemplateProblem) as err:
            render(text)
        message = str(err.value)
        assert message.startswith(
            f"env.{name} is not readable: templates can read only ORGVUE_TENANT, ORGVUE_URL "
            "and variables whose names start with ORGSYNC_VAR_"
        )
        assert not any(s in message for s in SECRETS)


def test_the_token_is_refused_with_its_own_reason():
    with pytest.raises(TemplateProblem, match=r"^env\.ORGVUE_TOKEN is not available to templates"):
        render("{{ env.ORGVUE_TOKEN }}")


@pytest.mark.parametrize(
    "attack",
    [
        "{{ env | string }}",
        "{{ env }}",
        "{{ [env] }}",
        "{{ {'e': env} | string }}",
        "{{ env | default('') }}",
        "{{ env | replace('x', 'y') }}",
        "{{ (env | string) ~ '' }}",
        "{{ env | lower }}",
    ],
)
def test_no_filter_or_trick_enumerates_the_environment(attack):
    out = render(attack)
    assert "env" in out and not any(s in out for s in SECRETS) and "AWS" not in out and "GITHUB" not in out


@pytest.mark.parametrize(
    "attack",
    [
        "{{ env.items() }}",
        "{{ env.keys() }}",
        "{{ env | list }}",
        "{{ env | tojson }}",
        "{{ env | dictsort }}",
        "{% for k in env %}{{ k }}{% endfor %}",
        "{{ env.__dict__ }}",
        "{{ env._values }}",
        "{{ env.lookup }}",
    ],
)
def test_listing_attempts_are_refused(attack):
    with pytest.raises(TemplateProblem) as err:
        render(attack)
    assert not any(s in str(err.value) for s in SECRETS)


def test_membership_does_not_probe_unreadable_names():
    assert render("{{ 'AWS_SECRET_ACCESS_KEY' in env }}") == "False"
    assert render("{{ 'ORGSYNC_VAR_DEPLOY_ENV' in env }}") == "True"


def test_the_repository_cannot_widen_the_rule(tmp_path: Path):
    (tmp_path / "orgsync.yaml").write_text(
        "tenant: ACME\nendpoint: local\nmanifests: [manifests]\n"
        "templates: {allow: [AWS_SECRET_ACCESS_KEY]}\nenv_allow: [AWS_SECRET_ACCESS_KEY]\n"
        'description: "{{ env.AWS_SECRET_ACCESS_KEY }}"\n'
    )
    (tmp_path / "manifests").mkdir()
    with pytest.raises(ConfigError) as err:
        load_project(tmp_path, env=CI_ENV)
    text = str(err.value)
    assert "env.AWS_SECRET_ACCESS_KEY is not readable" in text and "AKIA" not in text
