"""Every offline check of a repository, all problems in one run, grouped by file (`orgsync validate`).

`validate_project` is also the planner's first step, in two parts (`validate_manifests`, then
`validate_sources`, which the planner runs beside the live read): it returns the loaded project and source
tables with the problems, and the planner refuses to go on when any problem is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from orgsync.errors import ConfigError, Problem
from orgsync.escape import terminal
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


def by_file(problems: list[Problem]) -> dict[str, list[Problem]]:
    """Problems grouped by file, files in name order, each file's problems by line."""
    groups: dict[str, list[Problem]] = {}
    for problem in problems:
        groups.setdefault(str(problem.location.file), []).append(problem)
    return {
        name: sorted(groups[name], key=lambda p: (p.location.line or 0, p.location.column or 0))
        for name in sorted(groups)
    }


def render_text(validation: Validation) -> str:
    """Human/CI text: a header per file, then `file:line:col: severity: field: message` lines."""
    lines = []
    for name, problems in by_file(validation.problems).items():
        lines.append(terminal(str(name)))
        lines += [
            terminal(f"  {p.location}: {p.severity}: {p.field + ': ' if p.field else ''}{p.message}")
            for p in problems
        ]
    errors, warnings = len(validation.errors), len(validation.warnings)
    if validation.ok and validation.project is not None:
        count = len(validation.project.manifests)
        rows = sum(t.frame.height for t in validation.tables.values())
        counts = [
            _counted(count, "manifest"),
            _counted(len(validation.tables), "source"),
            _counted(rows, "row"),
        ]
        lines.append("OK: " + ", ".join(counts + ([_counted(warnings, "warning")] if warnings else [])))
    else:
        lines.append(f"{errors} error(s), {warnings} warning(s)")
    return "\n".join(lines)


def render_json(validation: Validation) -> bytes:
    """Machine form: {"ok", "errors", "warnings", "problems": [{file, line, column, severity, field, message}]}."""
    problems = [
        {
            "file": str(p.location.file),
            "line": p.location.line,
            "column": p.location.column,
            "severity": p.severity,
            "field": p.field,
            "message": p.message,
        }
        for group in by_file(validation.problems).values()
        for p in group
    ]
    return orjson.dumps(
        {
            "ok": validation.ok,
            "errors": len(validation.errors),
            "warnings": len(validation.warnings),
            "problems": problems,
        },
        option=orjson.OPT_INDENT_2,
    )


def _counted(n: int, noun: str) -> str:
    """ "1 manifest", "3 manifests"."""
    return f"{n} {noun}" + ("" if n == 1 else "s")
