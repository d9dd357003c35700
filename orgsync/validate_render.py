"""How `orgsync validate` shows a `Validation`: text grouped by file for people and CI, or JSON for tools."""

from __future__ import annotations

import orjson

from orgsync.errors import Problem
from orgsync.escape import terminal
from orgsync.validate import Validation


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
