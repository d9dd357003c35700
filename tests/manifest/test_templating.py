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
    with pytest.raises(TemplateProblem, match="undefined variable env.MISSING: the environment variable MISSING is not set"):
        render("{{ env.MISSING }}")
    with pytest.raises(TemplateProblem, match="undefined variable 'tenant'"):
        render("{{ tenant }}")


def test_the_token_is_withheld_from_templates():
    env = {"ORGVUE_TOKEN": "s3cret-token", "ORGVUE_TOKEN_FILE": "/run/token"}
    for name in env:
        with pytest.raises(TemplateProblem) as err:
            Renderer(env).render("{{ env." + name + " }}")
        assert "not available to templates" in str(err.value) and "s3cret" not in str(err.value)
    assert "s3cret" not in Renderer(env).render("{{ env | string }}")


@pytest.mark.parametrize("attack", [
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
])
def test_sandbox_refuses_python_internals_files_and_globals(attack):
    with pytest.raises(TemplateProblem) as err:
        render(attack)
    assert "root:" not in str(err.value) and "uid=" not in str(err.value)


def test_render_tree_reports_each_failing_path():
    data = {"name": "{{ env.ORGVUE_TENANT }}", "properties": [{"key": "{{ env.NOPE }}"}], "n": 3}
    out, problems = Renderer({"ORGVUE_TENANT": "ACME"}).render_tree(data)
    assert out["name"] == "ACME" and out["n"] == 3
    assert [path for path, _ in problems] == [("properties", 0, "key")]
