"""The starter repository `orgsync init [DIR]` writes: working files that validate cleanly.

The files live in `orgsync/manifest/starter/` (installed with the package); existing files are never
overwritten.
"""

from __future__ import annotations

from importlib import resources

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
