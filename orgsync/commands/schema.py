"""`orgsync schema`: print the JSON Schema of the manifest format."""

from __future__ import annotations

import click

from orgsync.manifest.schema import schema_text


def run_schema() -> int:
    """Print the schema exactly as it is checked in."""
    click.echo(schema_text(), nl=False)
    return 0
