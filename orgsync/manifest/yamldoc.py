"""YAML documents with their positions: every value keeps the line and column it came from.

PyYAML composes each document into nodes (which carry marks); we construct the plain data from the nodes
and keep a map from each value's path (`("properties", 3, "type")`) to where it is, so a later error on
that path can name file:line:column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from orgsync.limits import ResourceLimits

Path_ = tuple[str | int, ...]


class YamlLimitError(yaml.MarkedYAMLError):
    """A document passed an alias, size or nesting limit (a bomb, or nesting no manifest needs)."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts alias uses, expanded nodes and nesting while composing, before any expansion.

    An alias bomb (`a: &a [x,x]`, `b: &b [*a,*a]`, ...) composes to a few shared nodes but expands to 2^n
    values when walked; the size of each node as expanded is summed here, so it is refused at compose time.
    """

    def __init__(self, text: str, limits: ResourceLimits) -> None:
        super().__init__(text)
        self._limits = limits
        self._depth = 0
        self._aliases = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self._limits.yaml_aliases:
                raise YamlLimitError(
                    None,
                    None,
                    f"more than {self._limits.yaml_aliases} YAML aliases (*name) in one "
                    f"file (the limit {self._limits.describe('yaml_aliases')}); expected few "
                    "anchors, for small reuse",
                    mark,
                )
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > self._limits.yaml_depth:
            raise YamlLimitError(
                None,
                None,
                f"YAML nested more than {self._limits.yaml_depth} levels deep (the "
                f"limit {self._limits.describe('yaml_depth')}); expected a manifest's few levels",
                mark,
            )
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is None:
            return None
        size = 1 + sum((self._sizes.get(id(child), 1) for child in _children(node)), 0)
        self._sizes[id(node)] = size
        if size > self._limits.yaml_nodes:
            raise YamlLimitError(
                None,
                None,
                f"YAML expands to more than {self._limits.yaml_nodes} values (aliases "
                f"expanded; the limit {self._limits.describe('yaml_nodes')}), like an alias bomb",
                mark,
            )
        return node


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


@dataclass
class YamlDocument:
    """One YAML document: its data and the 1-based (line, column) of every value and mapping key."""

    data: Any
    line: int
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Position of `path` (its key when `key`), else of its nearest enclosing value."""
        if key and path in self.keys:
            return self.keys[path]
        for end in range(len(path), -1, -1):
            if path[:end] in self.values:
                return self.values[path[:end]]
        return (self.line, 1)


@dataclass
class YamlIssue:
    """A YAML-level problem (syntax, duplicate key) at a 1-based position."""

    line: int
    column: int
    message: str


def load_documents(
    text: str, limits: ResourceLimits | None = None
) -> tuple[list[YamlDocument], list[YamlIssue]]:
    """All non-empty documents of `text`; a syntax error or a passed limit stops at the document it is in."""
    documents: list[YamlDocument] = []
    issues: list[YamlIssue] = []
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text, limits or ResourceLimits())  # the reader checks every character here
        while loader.check_node():
            node = loader.get_node()
            if node is None or (isinstance(node, yaml.ScalarNode) and node.value == ""):
                continue
            doc = YamlDocument(loader.construct_document(node), node.start_mark.line + 1)
            _walk(node, (), doc, issues)
            documents.append(doc)
    except YamlLimitError as err:
        mark = err.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        issues.append(YamlIssue(line, column, str(err.problem)))
    except yaml.reader.ReaderError as err:  # a control character: not marked, so placed from its offset
        before = text[: err.position]
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        issues.append(
            YamlIssue(
                line,
                column,
                f"invalid YAML: character 0x{err.character:02x} is not allowed; "
                "expected printable text (remove the control character)",
            )
        )
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = str(err.problem or err.context)
        issues.append(YamlIssue(line, column, f"invalid YAML: {problem}{_hint(problem)}"))
    finally:
        if loader is not None:
            loader.dispose()
    return documents, issues


_INDENTATION = (
    "; check the indentation of this line and the one above it: the keys of one mapping start in the same "
    "column, a nested key is indented further (by 2 spaces), and YAML indents with spaces only"
)


def _hint(problem: str) -> str:
    """What PyYAML's wording means for a person editing a manifest (most often: indentation)."""
    if "'\\t'" in problem:  # found character '\t' that cannot start any token
        return "; YAML indents with spaces only: replace the tab with spaces"
    if any(
        words in problem
        for words in (
            "mapping values are not allowed",
            "expected <block end>",
            "did not find expected key",
            "did not find expected '-'",
        )
    ):
        return _INDENTATION
    if "could not find expected ':'" in problem:
        return "; expected `key: value`, with a space after the colon"
    return ""


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _walk(node: yaml.Node, path: Path_, doc: YamlDocument, issues: list[YamlIssue]) -> None:
    """Record positions under `node`, and flag duplicate mapping keys (PyYAML keeps the last silently)."""
    doc.values[path] = _pos(node)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                line, column = _pos(key_node)
                issues.append(YamlIssue(line, column, f"duplicate key {key!r}; expected each key once"))
            seen.add(key)
            doc.keys[(*path, key)] = _pos(key_node)
            _walk(value_node, (*path, key), doc, issues)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), doc, issues)
