"""The plan's renderers (text for terminals and CI logs, json for machines, markdown for PR comments,
html for the report a reviewer opens)."""

from __future__ import annotations

from orgsync.errors import ConfigError
from orgsync.plan.model import Plan
from orgsync.plan.render import html as html_render
from orgsync.plan.render import json as json_render
from orgsync.plan.render import markdown, text
from orgsync.plan.render.people import DEFAULT_LIST_LIMIT

FORMATS = ("text", "json", "markdown", "html")


def render(
    plan: Plan,
    fmt: str,
    *,
    show_all: bool = False,
    show_values: bool = False,
    color: bool = False,
    list_limit: int = DEFAULT_LIST_LIMIT,
) -> str:
    """The plan in one of FORMATS."""
    if fmt == "json":
        return json_render.render(plan, show_all=show_all, show_values=show_values, list_limit=list_limit)
    if fmt == "markdown":
        return markdown.render(plan, show_all=show_all, show_values=show_values, list_limit=list_limit)
    if fmt == "html":
        return html_render.render(plan, show_values=show_values)
    if fmt == "text":
        return text.render(plan, show_all=show_all, show_values=show_values, color=color)
    raise ConfigError(f"--format {fmt}: expected one of {', '.join(FORMATS)}")
