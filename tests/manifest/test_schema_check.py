"""The `orgsync-schema` pre-commit hook: each document against the schema, one line per problem with file:line."""

from __future__ import annotations

from pathlib import Path

import yaml

from orgsync.manifest.init import starter_files
from orgsync.manifest.schema_check import main

REPO = Path(__file__).resolve().parents[2]


def test_the_starter_passes(tmp_path: Path, capsys) -> None:
    names = []
    for name, text in starter_files().items():
        if name == "orgsync.yaml" or name.startswith("manifests/"):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text)
            names.append(str(tmp_path / name))
    assert len(names) == 4 and main(names) == 0
    assert capsys.readouterr().err == ""


def test_problems_name_file_line_and_field(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "people.yaml"
    bad.write_text(
        "kind: Dataset\nname: P\ntype: PEOPLE\nautoId: a\nlabelId: a\nproperties:\n"
        "  - {key: a, name: A, type: numeric}\n---\ntenant: ACME\ntennant: x\n"
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: Dataset\nname: [unclosed\n")
    assert main([str(bad), str(broken)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{bad}:7: properties.0.type: 'numeric' is not one of ['text', 'number', 'date', 'boolean']",
        f"{bad}:9: (document): Additional properties are not allowed ('tennant' was unexpected)",
        f"{broken}:3:1: not valid YAML (expected ',' or ']', but got '<stream end>')",
    ]


def test_the_hooks_file_names_both_hooks_and_commands_that_exist() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"orgsync-validate", "orgsync-schema"}
    assert (
        hooks["orgsync-validate"]["entry"] == "orgsync validate"
        and not hooks["orgsync-validate"]["pass_filenames"]
    )
    assert hooks["orgsync-schema"]["entry"] == "python -m orgsync.manifest.schema_check"
    import re

    for hook in hooks.values():
        assert hook["language"] == "python"
        pattern = re.compile(hook["files"])
        for path in ("orgsync.yaml", "manifests/people.yaml", "infra/orgvue/manifests/links.yml"):
            assert pattern.search(path), (hook["id"], path)  # the paths `init` writes
        assert not pattern.search("README.md")
    readme = (REPO / "manifests" / "README.md").read_text()
    assert "id: orgsync-validate" in readme and "id: orgsync-schema" in readme
    assert "../orgsync.schema.json" in readme
