"""YAML documents with their positions: every value keeps the line and column it came from.

PyYAML composes each document into nodes (which carry marks); we construct the plain data from the nodes
and keep a map from each value's path (`("properties", 3, "type")`) to where it is, so a later error on
that path can name file:line:column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


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


def load_documents(text: str) -> tuple[list[YamlDocument], list[YamlIssue]]:
    """All non-empty documents of `text`; a syntax error stops at the document it is in."""
    loader = yaml.SafeLoader(text)
    documents: list[YamlDocument] = []
    issues: list[YamlIssue] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None or (isinstance(node, yaml.ScalarNode) and node.value == ""):
                continue
            doc = YamlDocument(loader.construct_document(node), node.start_mark.line + 1)
            _walk(node, (), doc, issues)
            documents.append(doc)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        issues.append(YamlIssue(line, column, f"invalid YAML: {err.problem or err.context}"))
    finally:
        loader.dispose()
    return documents, issues


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
