"""Jinja2 in manifest string values, sandboxed: a manifest comes from a pull request.

`SandboxedEnvironment` refuses Python internals (`__class__`, `mro`, ...), there is no loader (no files),
no global beyond `env`, and `StrictUndefined` turns a missing variable into an error naming it.
The token variables are withheld from `env`, so no template can copy the token into a plan or log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from orgsync.manifest.yamldoc import Path_

WITHHELD = ("ORGVUE_TOKEN", "ORGVUE_TOKEN_FILE")
_MARKERS = ("{{", "{%", "{#")


class TemplateProblem(ValueError):
    """A template failed: undefined variable, syntax error or a sandbox refusal."""


class Renderer:
    """Renders template strings against `env` (the process environment, token withheld)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._jinja = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
        self._jinja.globals.clear()  # no range/dict/lipsum/cycler/joiner/namespace: only `env`
        self._context = {"env": {k: v for k, v in environ.items() if k not in WITHHELD}}

    def render(self, text: str) -> str:
        """`text` rendered, or `TemplateProblem` saying what went wrong and what to do."""
        if not any(marker in text for marker in _MARKERS):
            return text
        try:
            return self._jinja.from_string(text).render(self._context)
        except SecurityError as err:
            raise TemplateProblem(f"template refused by the sandbox: {err}; templates may only read `env.NAME`") from None
        except UndefinedError as err:
            raise TemplateProblem(_undefined_message(str(err))) from None
        except TemplateError as err:
            raise TemplateProblem(f"template error: {err}") from None
        except Exception as err:  # a template is user input: any failure in it (1/0, include) is theirs to fix
            raise TemplateProblem(f"template failed: {type(err).__name__}: {err}; templates may only read `env.NAME`") from None

    def render_tree(self, data: Any, path: Path_ = ()) -> tuple[Any, list[tuple[Path_, str]]]:
        """`data` with every string value rendered, plus (path, message) for each template that failed."""
        problems: list[tuple[Path_, str]] = []
        if isinstance(data, str):
            try:
                return self.render(data), problems
            except TemplateProblem as err:
                return data, [(path, str(err))]
        if isinstance(data, dict):
            out = {}
            for key, value in data.items():
                out[key], found = self.render_tree(value, (*path, str(key)))
                problems += found
            return out, problems
        if isinstance(data, list):
            items = []
            for index, value in enumerate(data):
                item, found = self.render_tree(value, (*path, index))
                items.append(item)
                problems += found
            return items, problems
        return data, problems


def _undefined_message(text: str) -> str:
    """A clear message for an undefined variable, naming it."""
    attribute = re.search(r"has no attribute '([^']+)'", text)
    if attribute and "dict object" in text:
        name = attribute.group(1)
        if name in WITHHELD:
            return f"env.{name} is not available to templates (the token is never put in a manifest)"
        return f"undefined variable env.{name}: the environment variable {name} is not set; set it or remove the template"
    name = re.search(r"'([^']+)' is undefined", text)
    if name:
        return f"undefined variable {name.group(1)!r}; templates can use only `env.NAME`"
    return f"undefined variable: {text}"
