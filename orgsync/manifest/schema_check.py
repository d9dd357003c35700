"""`python -m orgsync.manifest.schema_check FILE...`: each YAML document against the manifest JSON Schema.

The pre-commit hook `orgsync-schema` runs it on orgsync.yaml and the manifests: a fast check of the shape
only (no sources, no templating), one line per problem naming file, line, field and what was expected.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from orgsync.manifest.schema import build_schema


def _line_of(node: yaml.Node, path: Sequence[Any]) -> int:
    """The 1-based line of the value at `path` inside the composed YAML `node` (the nearest known one)."""
    for step in path:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            found = node.value[step]
        else:
            found = None
        if found is None:
            break
        node = found
    return int(node.start_mark.line) + 1


def validators() -> dict[str | None, Draft202012Validator]:
    """One validator per document kind (None: orgsync.yaml), so a problem is named in the branch it belongs to."""
    schema = build_schema()
    branch = {"Dataset": "DatasetManifest", "LinksDataset": "LinksDatasetManifest", None: "ProjectConfig"}
    return {
        kind: Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": schema["$defs"]})
        for kind, name in branch.items()
    } | {"*": Draft202012Validator(schema)}


def _validator_for(doc: Any, by_kind: dict[str | None, Draft202012Validator]) -> Draft202012Validator:
    kind = doc.get("kind") if isinstance(doc, dict) else "*"
    return by_kind.get(kind, by_kind["*"])


def check_file(path: Path, by_kind: dict[str | None, Draft202012Validator]) -> list[str]:
    """The problems of one file, `file:line: field: message` each."""
    try:
        text = path.read_text(encoding="utf-8")
        nodes = list(yaml.compose_all(text))
        docs = list(yaml.safe_load_all(text))
    except (OSError, UnicodeDecodeError) as err:
        return [f"{path}: cannot read ({err})"]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        return [f"{path}{where}: not valid YAML ({getattr(err, 'problem', None) or err})"]
    problems = []
    for node, doc in zip(nodes, docs, strict=True):
        if doc is None or node is None:
            continue
        for error in sorted(
            _validator_for(doc, by_kind).iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))
        ):
            field = ".".join(str(p) for p in error.absolute_path) or "(document)"
            problems.append(f"{path}:{_line_of(node, list(error.absolute_path))}: {field}: {error.message}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Check every file named; exit 1 when any has a problem."""
    by_kind = validators()
    problems = [
        p for name in (sys.argv[1:] if argv is None else argv) for p in check_file(Path(name), by_kind)
    ]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
