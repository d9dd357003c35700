"""`orgsync init`: a starter repository that validates cleanly, written without overwriting anything."""

from __future__ import annotations

import re

import yaml
from click.testing import CliRunner

from orgsync import __version__
from orgsync.cli import cli
from orgsync.manifest.init import starter_files
from orgsync.repository import action_reference, repository_path
from orgsync.validate import validate_project
from tests.support.cli import orgsync


def test_init_writes_a_repository_that_validates(tmp_path):
    target = tmp_path / "new"
    code, out, err = orgsync("init", str(target))
    assert code == 0, out + err
    written = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert written == [
        ".github/workflows/orgsync.yml",
        ".gitignore",
        "data/assignments.csv",
        "data/people.csv",
        "data/positions.csv",
        "manifests/assignments.yaml",
        "manifests/people.yaml",
        "manifests/positions.yaml",
        "orgsync.schema.json",
        "orgsync.yaml",
    ]
    validation = validate_project(target, env={})
    assert validation.problems == [] and validation.ok
    assert validation.project.config.endpoint == "local"
    assert {m.kind for m in validation.project.manifests} == {"Dataset", "LinksDataset"}
    assert ".orgsync/" in (target / ".gitignore").read_text()
    assert (
        (target / "manifests" / "people.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=../orgsync.schema.json\n")
    )
    workflow = yaml.safe_load((target / ".github" / "workflows" / "orgsync.yml").read_text())
    assert set(workflow["jobs"]) == {"plan", "apply", "drift"}
    for job in workflow["jobs"].values():
        [action] = [s for s in job["steps"] if s["uses"].startswith(repository_path())]
        assert action["uses"] == f"{repository_path()}@v{__version__}" == action_reference()  # pinned code
        assert action["with"]["endpoint"] == "${{ vars.ORGVUE_URL }}"
        assert action["with"]["tenant"] == "${{ vars.ORGVUE_TENANT }}"
        assert action["with"]["token"] == "${{ secrets.ORGVUE_TOKEN }}"
    assert [
        job["with"]["command"] for job in (s[-1] for s in (j["steps"] for j in workflow["jobs"].values()))
    ] == ["plan", "apply", "drift"]
    assert workflow["jobs"]["apply"]["concurrency"]["group"] == "orgsync-tenant-${{ vars.ORGVUE_TENANT }}"


def test_the_variables_init_documents_are_exactly_the_ones_its_workflow_reads(tmp_path):
    files = starter_files()
    workflow = files[".github/workflows/orgsync.yml"]
    used = set(re.findall(r"\$\{\{ (vars|secrets)\.([A-Z_]+) \}\}", workflow))
    documented = set(re.findall(r"^#   (variable|secret) +([A-Z_]+) ", workflow, re.MULTILINE))
    assert {(kind, name) for kind, name in used} == {
        ("vars", "ORGVUE_URL"),
        ("vars", "ORGVUE_TENANT"),
        ("secrets", "ORGVUE_TOKEN"),
        ("secrets", "ORGSYNC_NOTIFY_URL"),  # the notifications' webhook: only the Action reads it
    }
    assert {("vars" if kind == "variable" else "secrets", name) for kind, name in documented} == used
    named_in_config = set(re.findall(r"\b(ORGVUE_[A-Z]+)\b", files["orgsync.yaml"]))
    assert named_in_config - {"ORGVUE_TOKEN_FILE"} == {name for _, name in used} - {"ORGSYNC_NOTIFY_URL"}


def test_init_takes_tenant_and_endpoint_and_can_leave_out_ci(tmp_path):
    target = tmp_path / "real"
    code, out, err = orgsync(
        "init",
        str(target),
        "--tenant",
        "ACME",
        "--endpoint",
        "https://orgvue.eu-west-1.concentra.io/",
        "--no-ci",
    )
    assert code == 0, out + err
    assert not (target / ".github").exists()
    config = yaml.safe_load((target / "orgsync.yaml").read_text())
    assert (config["tenant"], config["endpoint"]) == ("ACME", "https://orgvue.eu-west-1.concentra.io")
    assert validate_project(target, env={}).ok


def test_init_refuses_an_endpoint_with_api_v1_and_a_bad_tenant(tmp_path):
    code, out, err = orgsync(
        "init",
        str(tmp_path / "x"),
        "--tenant",
        "acme",
        "--endpoint",
        "https://orgvue.eu-west-1.concentra.io/api/v1",
    )
    assert code == 1
    assert (out + err) == (
        "Error: --tenant: expected a tenant id matching ^[A-Z][A-Z0-9_]{0,29}$ (e.g. ACME), got 'acme'\n"
        "--endpoint: expected the base URL without /api/v1 (orgsync adds it), got 'https://orgvue.eu-west-1.concentra.io/api/v1'\n"
        "  hint: e.g. `orgsync init --endpoint https://orgvue.eu-west-1.concentra.io --tenant ACME`\n"
    )
    assert not (tmp_path / "x").exists()


def test_nothing_installs_the_unpublished_name(repo_root):
    """`pip install orgsync` would run whoever claims the name on PyPI in a job that holds the token."""
    bare = re.compile(r"pip install +(-[-\w]+ +)*[\"']?orgsync(\[[\w,]+\])?(?!\s*@)[\"']?(\s|$)")
    texts = {name: text for name, text in starter_files().items()}
    for path in [
        *repo_root.glob("*.md"),
        *repo_root.glob("*.yml"),
        *(repo_root / "docs").glob("*.md"),
        *(repo_root / "manifests").glob("*.md"),
        *(repo_root / "orgsync").rglob("*.md"),
    ]:
        texts[str(path)] = path.read_text()
    assert [name for name, text in texts.items() if bare.search(text)] == []


def test_init_never_overwrites(tmp_path):
    (tmp_path / "orgsync.yaml").write_text("tenant: MINE\n")
    code, out, err = orgsync("init", str(tmp_path))
    assert code == 1
    assert "orgsync.yaml: already exists; init never overwrites files" in (out + err)
    assert (tmp_path / "orgsync.yaml").read_text() == "tenant: MINE\n"
    assert not (tmp_path / "manifests").exists()


def test_in_a_monorepo_the_workflow_goes_to_the_git_root_with_the_folder(tmp_path):
    (tmp_path / ".git").mkdir()
    for folder in ("infra/orgvue", "hr"):
        code, out, err = orgsync("init", str(tmp_path / folder))
        assert code == 0, out + err
        assert not (tmp_path / folder / ".github").exists()
    workflows = sorted(p.name for p in (tmp_path / ".github" / "workflows").iterdir())
    assert workflows == ["orgsync-hr.yml", "orgsync-infra-orgvue.yml"]
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "orgsync-infra-orgvue.yml").read_text())
    assert {job["steps"][-1]["with"]["working-directory"] for job in workflow["jobs"].values()} == {
        "infra/orgvue"
    }
    assert (
        "${{ github.workflow }}" in workflow["jobs"]["plan"]["concurrency"]["group"]
    )  # two folders, two groups


def test_init_refuses_at_once_a_host_plan_would_refuse(tmp_path):
    target = tmp_path / "x"
    result = CliRunner().invoke(
        cli, ["init", str(target), "--tenant", "ACME", "--endpoint", "https://eu.orgvue.com"]
    )
    assert (result.exit_code, result.output) == (
        1,
        "Error: --endpoint: endpoint https://eu.orgvue.com is not an Orgvue region host "
        "(orgvue.ap-southeast-2.concentra.io, orgvue.eu-west-1.concentra.io, orgvue.us-east-1.concentra.io, or "
        "their orgvue-staging variants) nor loopback; the token is not sent there\n"
        "  hint: e.g. `orgsync init --endpoint https://orgvue.eu-west-1.concentra.io --tenant ACME`; pin the "
        "endpoint with ORGVUE_URL in the CI environment, or list the host in ORGSYNC_ALLOWED_HOSTS "
        "(comma-separated; the repository cannot set either)\n",
    )
    assert not target.exists()
    allowed = CliRunner().invoke(
        cli,
        ["init", str(target), "--tenant", "ACME", "--endpoint", "https://eu.orgvue.com"],
        env={"ORGSYNC_ALLOWED_HOSTS": "eu.orgvue.com"},
    )
    assert allowed.exit_code == 0, allowed.output


def test_every_endpoint_init_suggests_is_one_plan_accepts(tmp_path):
    from orgsync.api.pin import check_pinned
    from orgsync.manifest.init import EXAMPLE_ENDPOINT

    texts = [*starter_files().values(), CliRunner().invoke(cli, ["init", "--help"]).output]
    texts.append(CliRunner().invoke(cli, ["init", str(tmp_path / "x"), "--tenant", "a"]).output)
    lines = [line for text in texts for line in text.splitlines() if re.search("endpoint|ORGVUE_URL", line)]
    suggested = {url for line in lines for url in re.findall(r"https://[A-Za-z0-9.-]+", line)}
    assert EXAMPLE_ENDPOINT in suggested
    for url in suggested:
        check_pinned(url, "orgsync.yaml", env={})  # raises for a host plan refuses


def test_no_file_of_the_project_names_a_domain_nobody_here_owns(repo_root):
    tracked = [p for p in repo_root.rglob("*") if p.is_file() and not {".git", ".venv"} & set(p.parts)]
    texts = [
        p.read_text(errors="replace")
        for p in tracked
        if p.suffix in (".py", ".md", ".json", ".yaml", ".yml", ".toml", ".j2")
    ]
    domain = "orgsync" + ".dev"  # spelled apart, so this file does not name it either
    assert not [t for t in texts if domain in t]
    assert all(domain not in text for text in starter_files().values())
