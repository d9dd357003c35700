"""Every offline check of a repository, all problems in one run (`orgsync validate`; `validate_render` shows them).

`validate_project` is also the planner's first step, in two parts (`validate_manifests`, then
`validate_sources`, which the planner runs beside the live read): it returns the loaded project and source
tables with the problems, and the planner refuses to go on when any problem is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orgsync.errors import ConfigError, Problem
from orgsync.manifest.checks import check_manifests
from orgsync.manifest.loader import load_project
from orgsync.manifest.models import Project
from orgsync.repeats import capped
from orgsync.sources.checks import check_tables
from orgsync.sources.readers import load_source
from orgsync.sources.table import SourceTable


@dataclass
class Validation:
    """The outcome of validation: what could be loaded, and every problem found."""

    project: Project | None
    tables: dict[str, SourceTable] = field(default_factory=dict)  # by manifest name
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return self.project is not None and not self.errors


def validate_project(root: Path, env: Mapping[str, str] | None = None) -> Validation:
    """Load and check the repository at `root` without any network access."""
    return validate_sources(validate_manifests(root, env))


def validate_manifests(root: Path, env: Mapping[str, str] | None = None) -> Validation:
    """The first part: load and check orgsync.yaml and the manifests (fast: no source file is read)."""
    try:
        project = load_project(Path(root), env)
    except ConfigError as err:
        return Validation(None, problems=capped(list(err.problems)))
    return Validation(project, problems=capped(list(project.warnings) + check_manifests(project)))


def validate_sources(checked: Validation) -> Validation:
    """The second part: `checked` (from `validate_manifests`) with every source read, checked and added."""
    project = checked.project
    if project is None:
        return checked
    problems = list(checked.problems)
    tables: dict[str, SourceTable] = {}
    for manifest in project.manifests:
        if manifest.items is None:
            continue
        table, found = load_source(manifest, project)
        problems += found
        if table is not None:
            tables[manifest.name] = table
    problems += check_tables(project, tables)
    return Validation(project, tables, capped(problems))
