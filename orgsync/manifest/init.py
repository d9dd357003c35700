"""`orgsync init [DIR]`: write a working starter repository that validates cleanly.

The files live in `orgsync/manifest/starter/` (installed with the package); existing files are never
overwritten.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from orgsync.errors import ConfigError, Location, Problem
from orgsync.manifest.schema import schema_text

# target path in the new repository -> file in the packaged starter folder
STARTER_FILES = {
    "orgsync.yaml": "orgsync.yaml",
    "manifests/people.yaml": "manifests/people.yaml",
    "manifests/positions.yaml": "manifests/positions.yaml",
    "manifests/assignments.yaml": "manifests/assignments.yaml",
    "data/people.csv": "data/people.csv",
    "data/positions.csv": "data/positions.csv",
    "data/assignments.csv": "data/assignments.csv",
    ".github/workflows/orgsync.yml": "workflow.yaml",
}
GITIGNORE = ".orgsync/\nplan.json\nplan.md\n"


def starter_files() -> dict[str, str]:
    """Target path -> text of every file `init` writes."""
    starter = resources.files("orgsync.manifest") / "starter"
    files = {target: (starter / source).read_text(encoding="utf-8") for target, source in STARTER_FILES.items()}
    files[".gitignore"] = GITIGNORE
    files["orgsync.schema.json"] = schema_text()  # editors resolve `$schema=` to this copy
    return files


def run_init(directory: Path) -> int:
    """Write the starter repository into `directory`; refuse if any of its files already exist."""
    files = starter_files()
    existing = [name for name in files if (directory / name).exists()]
    if existing:
        raise ConfigError([Problem(Location(str(directory / name)), "already exists; init never overwrites files")
                           for name in existing], hint="run `orgsync init` in an empty folder")
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    click.echo(f"Wrote a starter repository in {directory} ({len(files)} files). Next:\n"
               f"  orgsync validate -C {directory}\n  orgsync plan -C {directory}")
    return 0
