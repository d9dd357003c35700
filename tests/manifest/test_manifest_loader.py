"""Loading orgsync.yaml and manifests: models, positions in messages, templating, discovery, the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgsync.errors import ConfigError
from orgsync.manifest.loader import load_project, resolve_token
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest
from tests.support.repo import make_repo

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "repos"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def problems(root: Path, env: dict | None = None) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_project(root, env=env or {})
    return [str(p) for p in err.value.problems]


def test_example_loads_with_origins():
    project = load_project(EXAMPLES / "acme", env={})
    assert project.config.tenant == "ACME" and project.config.is_local
    assert [m.name for m in project.manifests] == ["People to Positions", "People", "Positions"]
    links, people = project.manifests[0], project.manifests[1]
    assert isinstance(links, LinksDatasetManifest) and (links.from_, links.to) == ("People", "Positions")
    assert isinstance(people, DatasetManifest) and people.items.dateFormat == "DD/MM/YYYY"
    assert str(people.origin) == "manifests/people.yaml:2:1"
    assert str(people.locate("items", "source")) == "manifests/people.yaml:21:11"
    assert people.manifest_path == (EXAMPLES / "acme" / "manifests" / "people.yaml").resolve()


def test_schema_errors_name_file_line_column_field_and_expectation():
    assert problems(FIXTURES / "bad_schema") == [
        "manifests/people.yaml:1:1: labelId: is required but missing",
        "manifests/people.yaml:5:1: lableId: unknown field; did you mean 'labelId'?",
        "manifests/people.yaml:12:39: properties[3].type: expected one of text, number, date, boolean, got 'numeric'",
    ]


def test_templates_render_from_env(tmp_path):
    make_repo(
        tmp_path,
        config='tenant: "{{ env.ORGVUE_TENANT }}"\nendpoint: "{{ env.ORGVUE_URL }}"\nmanifests: [manifests]\n',
    )
    project = load_project(
        tmp_path, env={"ORGVUE_TENANT": "ACME_UK", "ORGVUE_URL": "https://orgvue.example.com/"}
    )
    assert (project.config.tenant, project.config.endpoint) == ("ACME_UK", "https://orgvue.example.com")


def test_every_problem_of_every_file_is_reported(tmp_path):
    make_repo(
        tmp_path,
        config='tenant: "{{ env.ORGSYNC_VAR_NOPE }}"\nendpoint: http://example.com\n',
        manifests={
            "a.yaml": "kind: Dataset\nname: A\n",
            "b.yaml": "kind: Datset\n---\n- just a list\n",
            "c.yaml": "kind: Dataset\nname: C\ntype: X\nautoId: id\nlabelId: id\nlabelId: again\n",
        },
    )
    assert problems(tmp_path) == [
        "orgsync.yaml:1:9: tenant: undefined variable env.ORGSYNC_VAR_NOPE: the environment variable ORGSYNC_VAR_NOPE is not set; set it or remove the template",
        "orgsync.yaml:2:11: endpoint: expected an https:// base URL or `local`, got 'http://example.com' (plain http is allowed only for localhost)",
        "manifests/a.yaml:1:1: type: is required but missing",
        "manifests/a.yaml:1:1: autoId: is required but missing",
        "manifests/a.yaml:1:1: labelId: is required but missing",
        "manifests/b.yaml:1:7: kind: expected Dataset or LinksDataset, got 'Datset'",
        "manifests/b.yaml:3:1: expected a mapping with `kind: Dataset or LinksDataset`, got list",
        "manifests/c.yaml:6:1: duplicate key 'labelId'; expected each key once",
    ]


def test_invalid_tenant_and_yaml_syntax(tmp_path):
    make_repo(tmp_path, config="tenant: acme\n", manifests={"a.yaml": "kind: Dataset\nname: [unclosed\n"})
    assert problems(tmp_path) == [
        "orgsync.yaml:1:9: tenant: expected a tenant id matching ^[A-Z][A-Z0-9_]{0,29}$ (e.g. ACME), got 'acme'",
        "manifests/a.yaml:3:1: invalid YAML: expected ',' or ']', but got '<stream end>'",
    ]


def test_missing_config_says_what_to_do(tmp_path):
    assert "no orgsync.yaml in" in problems(tmp_path)[0] and "orgsync init" in problems(tmp_path)[0]


def test_manifest_globs_and_symlinks_out_of_the_repository(tmp_path):
    root = make_repo(tmp_path / "r", config="tenant: ACME\nmanifests: ['more/*.yml', manifests]\n")
    (root / "more").mkdir()
    (root / "more" / "x.yml").write_text("kind: LinksDataset\nname: X\nfrom: A\nto: B\n")
    assert [m.name for m in load_project(root, env={}).manifests] == ["X"]
    (tmp_path / "outside.yaml").write_text("kind: LinksDataset\nname: Y\nfrom: A\nto: B\n")
    (root / "manifests" / "evil.yaml").symlink_to(tmp_path / "outside.yaml")
    assert problems(root) == [
        "manifests/evil.yaml: manifests: manifest is a link to a file outside the repository; "
        "expected manifests inside it"
    ]


def test_pattern_matching_nothing_is_a_warning(tmp_path):
    make_repo(tmp_path, config="tenant: ACME\nmanifests: nothing-here\n")
    warnings = load_project(tmp_path, env={}).warnings
    assert [(str(w), w.severity) for w in warnings] == [
        ("orgsync.yaml: manifests: manifests pattern 'nothing-here' matches no .yaml file", "warning")
    ]


def test_resolve_token(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    assert resolve_token({"ORGVUE_TOKEN": " abc \n"}, root) == "abc"
    (tmp_path / "token.txt").write_text("from-file\n")
    assert resolve_token({"ORGVUE_TOKEN_FILE": str(tmp_path / "token.txt")}, root) == "from-file"
    assert resolve_token({}, root) is None
    with pytest.raises(ConfigError, match="ORGVUE_TOKEN_FILE names .*missing.txt, which cannot be read"):
        resolve_token({"ORGVUE_TOKEN_FILE": str(tmp_path / "missing.txt")}, root)
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(ConfigError, match="which is empty"):
        resolve_token({"ORGVUE_TOKEN_FILE": str(tmp_path / "empty.txt")}, root)


@pytest.mark.parametrize("pattern", ["/etc/*.yaml", "/", "../*.yaml", "manifests/../../x"])
def test_a_manifests_pattern_outside_the_repository_is_a_problem_not_a_traceback(tmp_path, pattern):
    # "/etc/*.yaml" raised NotImplementedError from Path.glob; "/" walked the whole file system.
    make_repo(tmp_path / "r", config=f"tenant: ACME\nmanifests: ['{pattern}']\n")
    assert problems(tmp_path / "r") == [
        f"orgsync.yaml: manifests: manifests pattern {pattern!r} leaves the repository; expected a folder or glob "
        "relative to the repository root, without '..'"
    ]
