"""`orgsync init`: a starter repository that validates cleanly, written without overwriting anything."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from orgsync.cli import cli
from orgsync.validate import validate_project


def test_init_writes_a_repository_that_validates(tmp_path):
    target = tmp_path / "new"
    result = CliRunner().invoke(cli, ["init", str(target)])
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert written == [".github/workflows/orgsync.yml", ".gitignore", "data/assignments.csv", "data/people.csv",
                       "data/positions.csv", "manifests/assignments.yaml", "manifests/people.yaml",
                       "manifests/positions.yaml", "orgsync.schema.json", "orgsync.yaml"]
    validation = validate_project(target, env={})
    assert validation.problems == [] and validation.ok
    assert validation.project.config.endpoint == "local"
    assert {m.kind for m in validation.project.manifests} == {"Dataset", "LinksDataset"}
    assert ".orgsync/" in (target / ".gitignore").read_text()
    assert (target / "manifests" / "people.yaml").read_text().startswith(
        "# yaml-language-server: $schema=../orgsync.schema.json\n")
    workflow = yaml.safe_load((target / ".github" / "workflows" / "orgsync.yml").read_text())
    steps = {s.get("name") or s.get("run") or s.get("uses"): s for s in workflow["jobs"]["orgsync"]["steps"]}
    assert steps["plan"]["run"].endswith("--out plan.json > plan.md || test $? -eq 2")  # 2 = changes, not failure
    assert steps["apply"] == {"name": "apply", "if": "github.event_name == 'push'",
                              "run": "orgsync apply plan.json --auto-approve --report apply-report.json"}


def test_init_never_overwrites(tmp_path):
    (tmp_path / "orgsync.yaml").write_text("tenant: MINE\n")
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert "orgsync.yaml: already exists; init never overwrites files" in result.output
    assert (tmp_path / "orgsync.yaml").read_text() == "tenant: MINE\n"
    assert not (tmp_path / "manifests").exists()
