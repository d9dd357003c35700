"""The published JSON Schema of the manifest format, generated from the pydantic models.

One schema serves both files: a document with `kind` is a Dataset or LinksDataset manifest, any other is
`orgsync.yaml`. It is checked in as `manifests/orgsync.schema.json` (a test keeps it current) for editors
(`# yaml-language-server: $schema=...`) and `check-jsonschema` in pre-commit.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, ProjectConfig
from orgsync.repository import schema_id


def build_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) for orgsync.yaml and manifest documents."""
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (ProjectConfig, "validation"),
        (DatasetManifest, "validation"),
        (LinksDatasetManifest, "validation"),
    ]
    _, defs = models_json_schema(models, ref_template="#/$defs/{model}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id(),
        "title": "orgsync",
        "description": "orgsync.yaml (no `kind`) or one manifest document (`kind: Dataset` or `kind: LinksDataset`). "
        "String values may hold Jinja2 templates such as {{ env.NAME }}.",
        "if": {"type": "object", "required": ["kind"]},
        "then": {"oneOf": [{"$ref": "#/$defs/DatasetManifest"}, {"$ref": "#/$defs/LinksDatasetManifest"}]},
        "else": {"$ref": "#/$defs/ProjectConfig"},
        "$defs": defs["$defs"],
    }


def schema_text() -> str:
    """The schema as checked in: 2-space indented JSON with a final newline."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
