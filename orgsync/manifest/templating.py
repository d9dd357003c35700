"""Jinja2 in manifest string values, sandboxed: a manifest comes from a pull request.

`ImmutableSandboxedEnvironment` refuses Python internals (`__class__`, `mro`, ...) and changes to `env`,
there is no loader (no files), no global beyond `env`, and `StrictUndefined` turns a missing variable into
an error naming it. `env` offers only what CI sets on purpose (`ORGVUE_TENANT`, `ORGVUE_URL`, `ORGSYNC_VAR_*`):
any other name is an error naming the rule, and `env` itself prints and compares as a bare word, so no filter
or trick enumerates the environment (the repository cannot widen the rule: it is not read from it). The sandbox does not bound time or memory, so a template may only use constructs whose cost
is linear in its own length: no loops, `set`, macros or calls, no `*`, `**` or `%`, a few string filters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment

from orgsync.errors import TemplateProblem
from orgsync.limits import ResourceLimits, limits_from
from orgsync.manifest.yamldoc import Path_

WITHHELD = ("ORGVUE_TOKEN", "ORGVUE_TOKEN_FILE")
PINS = ("ORGVUE_TENANT", "ORGVUE_URL")  # the documented pins a template may read
VAR_PREFIX = "ORGSYNC_VAR_"  # variables CI sets on purpose for templates
RULE = (
    f"templates can read only {', '.join(PINS)} and variables whose names start with {VAR_PREFIX} "
    f"(e.g. {VAR_PREFIX}DEPLOY_ENV, set by CI)"
)
_MARKERS = ("{{", "{%", "{#")
MAX_RESULT = 65536  # characters a `replace` may produce: far beyond any manifest value
# Expression and statement nodes whose cost is bounded by the template's length (no loop, no call).
_ALLOWED_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.If,
    nodes.CondExpr,
    nodes.Const,
    nodes.Name,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Slice,
    nodes.Filter,
    nodes.Test,
    nodes.Keyword,
    nodes.Concat,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Neg,
    nodes.Pos,
    nodes.Add,
    nodes.Sub,
    nodes.Div,
    nodes.FloorDiv,
    nodes.List,
    nodes.Tuple,
    nodes.Dict,
    nodes.Pair,
)
_FILTERS = ("default", "d", "lower", "upper", "trim", "title", "capitalize", "string", "replace")
_REFUSAL = "templates may only read `env.NAME` with if/else, ~, comparisons and the filters " + ", ".join(
    _FILTERS
)


def readable(name: str) -> bool:
    """Whether a template may read the environment variable `name` (a fixed rule, not configurable)."""
    return name in PINS or (name.startswith(VAR_PREFIX) and len(name) > len(VAR_PREFIX))


class RenderBudget(TemplateProblem):
    """Templates rendered more characters than a file or the repository may: the rest is not rendered."""

    path: Path_ = ()


class TemplateEnv:
    """What templates see as `env`: readable variables by name only; it cannot be listed, printed or iterated."""

    __slots__ = ("_values",)

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._values = {k: environ[k] for k in environ if readable(k)}  # other values are never even read

    def lookup(self, name: object) -> Any:
        """The value of `name`, an undefined that names it when unset, or `TemplateProblem` when not readable."""
        if not isinstance(name, str) or not readable(name):
            shown = name if isinstance(name, str) and name.isidentifier() else repr(name)[:60]
            if name in WITHHELD:
                raise TemplateProblem(
                    f"env.{name} is not available to templates (the token is never put in a manifest); {RULE}"
                )
            raise TemplateProblem(f"env.{shown} is not readable: {RULE}")
        if name in self._values:
            return self._values[name]
        return StrictUndefined(
            hint=f"undefined variable env.{name}: the environment variable {name} is not set; "
            "set it or remove the template"
        )

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and readable(name) and name in self._values

    def __str__(self) -> str:
        return "env"

    __repr__ = __str__

    def __iter__(self) -> Any:
        raise TemplateProblem(f"env cannot be listed; {RULE}")


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with `env.NAME` / `env['NAME']` answered by `TemplateEnv.lookup` only."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, TemplateEnv):
            return obj.lookup(attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, TemplateEnv):
            return obj.lookup(argument)
        return super().getitem(obj, argument)


class Renderer:
    """Renders template strings against `env` (only the readable variables of the environment)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._jinja = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
        self._jinja.globals.clear()  # no range/dict/lipsum/cycler/joiner/namespace: only `env`
        filters = {name: FILTERS[name] for name in _FILTERS} | {"replace": _bounded_replace}
        self._jinja.filters = {name: self._counted(f) for name, f in filters.items()}
        self._context = {"env": TemplateEnv(environ)}
        self.limits: ResourceLimits = limits_from(
            environ
        )  # the YAML and size bounds, from the same environment
        self._spent = 0  # characters the filters of the value being rendered produced
        self._file_chars = 0  # characters rendered for the current file (each aliased use counted)
        self._total_chars = 0  # characters rendered for the whole repository
        self._done: dict[
            str, str | TemplateProblem
        ] = {}  # template text -> its rendering (aliases repeat it)

    def start_file(self) -> None:
        """Start counting a new file's rendered characters against `template_file_chars`."""
        self._file_chars = 0

    def _counted(self, f: Any) -> Any:
        """`f`, whose text results count towards the value's `template_value_chars` as they are made."""

        def counted(*args: Any, **kwargs: Any) -> Any:
            result = f(*args, **kwargs)
            if isinstance(result, str):
                self._spent += len(result)
                if self._spent > self.limits.template_value_chars:
                    raise TemplateProblem(self._too_long("its filters produce"))
            return result

        return counted

    def _too_long(self, what: str) -> str:
        limit = self.limits.template_value_chars
        return (
            f"the template is refused: {what} more than {limit} characters (the limit "
            f"{self.limits.describe('template_value_chars')}); expected a short manifest value"
        )

    def _rendered(self, text: str) -> str:
        """`render(text)`, once per distinct text, counted towards the file's and the repository's totals."""
        if not any(marker in text for marker in _MARKERS):
            return text
        done = self._done.get(text)
        if done is None:
            try:
                done = self.render(text)
            except TemplateProblem as err:
                done = err
            self._done[text] = done
        if isinstance(done, TemplateProblem):
            raise done
        self._file_chars += len(done)
        self._total_chars += len(done)
        for name, spent in (
            ("template_file_chars", self._file_chars),
            ("template_total_chars", self._total_chars),
        ):
            if spent > getattr(self.limits, name):
                where = "this file" if name == "template_file_chars" else "the repository"
                raise RenderBudget(
                    f"templates in {where} render to more than {getattr(self.limits, name)} characters "
                    f"(the limit {self.limits.describe(name)}; each use of a YAML alias counts); rendering "
                    "stopped here; expected short templated values"
                )
        return done

    def render(self, text: str) -> str:
        """`text` rendered, or `TemplateProblem` saying what went wrong and what to do."""
        if not any(marker in text for marker in _MARKERS):
            return text
        self._spent = 0
        try:
            tree = self._jinja.parse(text)
            _check_bounded(tree)
            out = self._jinja.from_string(tree).render(self._context)
            if len(out) > self.limits.template_value_chars:
                raise TemplateProblem(self._too_long("it renders to"))
            return out
        except TemplateProblem:
            raise
        except SecurityError as err:
            raise TemplateProblem(
                f"template refused by the sandbox: {err}; templates may only read `env.NAME`"
            ) from None
        except UndefinedError as err:
            raise TemplateProblem(_undefined_message(str(err))) from None
        except TemplateError as err:
            raise TemplateProblem(f"template error: {err}") from None
        except (
            Exception
        ) as err:  # a template is user input: any failure in it (1/0, include) is theirs to fix
            raise TemplateProblem(
                f"template failed: {type(err).__name__}: {err}; templates may only read `env.NAME`"
            ) from None

    def render_tree(self, data: Any, path: Path_ = ()) -> tuple[Any, list[tuple[Path_, str]]]:
        """`data` with every string value rendered, plus (path, message) for each template that failed.

        Raises `RenderBudget` (at the value that passed it) when the file's or repository's total is passed."""
        problems: list[tuple[Path_, str]] = []
        if isinstance(data, str):
            try:
                return self._rendered(data), problems
            except RenderBudget as err:
                err.path = err.path or path
                raise
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


def _check_bounded(tree: nodes.Template) -> None:
    """Refuse any construct whose time or memory is not bounded by the template's length."""
    for node in tree.find_all(nodes.Node):
        if isinstance(node, nodes.Filter) and node.name not in _FILTERS:
            raise TemplateProblem(
                f"template uses the filter {node.name!r}, which manifests do not allow "
                f"(line {node.lineno}); {_REFUSAL}"
            )
        if not isinstance(node, _ALLOWED_NODES):
            raise TemplateProblem(
                f"template uses {_construct(node)}, which manifests do not allow "
                f"(line {node.lineno}); {_REFUSAL}"
            )


def _construct(node: nodes.Node) -> str:
    """How a refused node reads in the template."""
    operators = {
        nodes.Mul: "`*`",
        nodes.Pow: "`**`",
        nodes.Mod: "`%`",
        nodes.Call: "a function or method call",
    }
    for kind, shown in operators.items():
        if isinstance(node, kind):
            return shown
    statement: dict[type[nodes.Node], str] = {
        nodes.Assign: "set",
        nodes.AssignBlock: "set",
        nodes.CallBlock: "call",
        nodes.FilterBlock: "filter",
    }
    name = statement.get(type(node), type(node).__name__.lower())
    return f"{{% {name} %}}"


def _bounded_replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    """Jinja's `replace`, refused when its result would exceed MAX_RESULT (chained replaces grow geometrically)."""
    text, old, new = str(value), str(old), str(new)
    hits = (text.count(old) if old else len(text) + 1) if count is None else max(count, 0)
    if len(text) + hits * (len(new) - len(old)) > MAX_RESULT:
        raise TemplateProblem(f"replace would make a value longer than {MAX_RESULT} characters; {_REFUSAL}")
    return text.replace(old, new, -1 if count is None else count)


def _undefined_message(text: str) -> str:
    """A clear message for an undefined variable, naming it."""
    if text.startswith("undefined variable env."):
        return text
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
