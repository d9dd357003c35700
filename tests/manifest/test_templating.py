"""The Jinja2 sandbox: templates read `env.NAME` and nothing else."""

from __future__ import annotations

import pytest

from orgsync.manifest.templating import Renderer, TemplateProblem


def render(text: str, env: dict[str, str] | None = None) -> str:
    return Renderer(env or {"ORGVUE_TENANT": "ACME"}).render(text)


def test_env_variables_render():
    assert render("{{ env.ORGVUE_TENANT }}") == "ACME"
    assert render("{{ env['ORGVUE_TENANT'] | lower }}-x") == "acme-x"
    assert render("plain text, no template") == "plain text, no template"


def test_undefined_variable_is_an_error_naming_it():
    with pytest.raises(
        TemplateProblem,
        match="undefined variable env.ORGSYNC_VAR_MISSING: the environment variable ORGSYNC_VAR_MISSING is not set",
    ):
        render("{{ env.ORGSYNC_VAR_MISSING }}")
    with pytest.raises(TemplateProblem, match="undefined variable 'tenant'"):
        render("{{ tenant }}")


def test_the_token_is_withheld_from_templates():
    env = {"ORGVUE_TOKEN": "s3cret-token", "ORGVUE_TOKEN_FILE": "/run/token"}
    for name in env:
        with pytest.raises(TemplateProblem) as err:
            Renderer(env).render("{{ env." + name + " }}")
        assert "not available to templates" in str(err.value) and "s3cret" not in str(err.value)
    assert "s3cret" not in Renderer(env).render("{{ env | string }}")


@pytest.mark.parametrize(
    "attack",
    [
        "{{ env.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ env.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ self.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'].system('id') }}",
        "{% include '/etc/passwd' %}",
        "{% import 'os' as os %}",
        "{{ range(10) }}",
        "{{ ''.format.__globals__ }}",
        "{{ 1 / 0 }}",
    ],
)
def test_sandbox_refuses_python_internals_files_and_globals(attack):
    with pytest.raises(TemplateProblem) as err:
        render(attack)
    assert "root:" not in str(err.value) and "uid=" not in str(err.value)


def test_render_tree_reports_each_failing_path():
    data = {"name": "{{ env.ORGVUE_TENANT }}", "properties": [{"key": "{{ env.ORGSYNC_VAR_NOPE }}"}], "n": 3}
    out, problems = Renderer({"ORGVUE_TENANT": "ACME"}).render_tree(data)
    assert out["name"] == "ACME" and out["n"] == 3
    assert [path for path, _ in problems] == [("properties", 0, "key")]


@pytest.mark.parametrize(
    "attack",
    [
        # Each would hang or exhaust memory at full size; small sizes show the construct itself is refused.
        "{% for a in 'ab' %}{% for b in 'ab' %}{{ a }}{% endfor %}{% endfor %}",
        "{% set a = 'xx' %}{% set a = a ~ a %}{{ a }}",
        "{% macro f(n) %}{{ n }}{% endmacro %}{{ f(1) }}",
        "{{ 'a' * 3 }}",
        "{{ 7 ** 3 }}",
        "{{ '%5s' % 'a' }}",
        "{{ 'a' | center(5) }}",
        "{{ 'a' | indent(5, true) }}",
        "{{ '{:>5}'.format('a') }}",
        "{{ 'a'.ljust(5) }}",
        "{{ env.get('ORGVUE_TENANT') }}",
    ],
)
def test_sandbox_refuses_constructs_that_can_hang_or_exhaust_memory(attack):
    with pytest.raises(TemplateProblem, match="templates may only read `env.NAME`"):
        render(attack)


def test_a_bounded_replace_still_refuses_a_size_bomb():
    assert render("{{ env.ORGVUE_TENANT | replace('C', '-c-') }}") == "A-c-ME"
    with pytest.raises(TemplateProblem, match="longer than 65536 characters"):
        render("{{ 'ab' | replace('', '" + "x" * 300 + "') | replace('', '" + "y" * 300 + "') }}")


def test_a_template_cannot_change_env_for_the_next_one():
    renderer = Renderer({"ORGVUE_TENANT": "ACME"})
    for attack in (
        "{{ env.clear() }}",
        "{{ env.update({'ORGVUE_TENANT': 'EVIL'}) }}",
        "{{ env.pop('ORGVUE_TENANT') }}",
    ):
        with pytest.raises(TemplateProblem):
            renderer.render(attack)
    assert renderer.render("{{ env.ORGVUE_TENANT }}") == "ACME"


def test_everyday_templates_still_render():
    env = {"ORGVUE_TENANT": "ACME", "ORGSYNC_VAR_SHA": "0123456789abcdef", "ORGSYNC_VAR_STAGE": "prod"}
    r = Renderer(env)
    assert r.render("{{ env.ORGSYNC_VAR_SHA[:7] }}") == "0123456"
    assert r.render("{{ env.ORGSYNC_VAR_NOPE | default('x') }}") == "x"
    assert r.render("{{ env.ORGVUE_TENANT ~ '-' ~ env.ORGSYNC_VAR_STAGE | upper }}") == "ACME-PROD"
    assert r.render("{% if env.ORGSYNC_VAR_STAGE == 'prod' %}P{% else %}T{% endif %}") == "P"
    assert r.render("{{ 'on' if env.ORGSYNC_VAR_STAGE in ['prod', 'uat'] else 'off' }}") == "on"
    assert (
        r.render("{{ env.ORGSYNC_VAR_STAGE | trim | title }}{# note #}{% raw %}{{x}}{% endraw %}")
        == "Prod{{x}}"
    )
