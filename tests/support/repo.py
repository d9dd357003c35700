"""The one repository builder: an orgsync.yaml, manifests and data files on disk, or a copy of an example."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LOCAL_CONFIG = "tenant: T\nendpoint: local\n"


def make_repo(
    root: Path,
    *,
    example: str | None = None,
    endpoint: str | None = None,
    config: str | None = None,
    manifests: Mapping[str, str] | None = None,
    data: Mapping[str, bytes | str] | None = None,
) -> Path:
    """`root` as a repository, returned.

    `example`: start from a copy of examples/<example> (its `.orgsync` state left out); otherwise from an
    orgsync.yaml of `config` (default: tenant T on the local target). `endpoint` replaces the `endpoint: local`
    of the config. `manifests` (file name -> text) go to manifests/, `data` (file name -> content) to data/;
    both may be given again on an existing repository to change it.
    """
    if example is not None:
        shutil.copytree(EXAMPLES / example, root, ignore=shutil.ignore_patterns(".orgsync"))
    root.mkdir(parents=True, exist_ok=True)
    config_file = root / "orgsync.yaml"
    if config is not None or not config_file.exists():
        config_file.write_text(LOCAL_CONFIG if config is None else config, encoding="utf-8")
    if endpoint is not None:
        text = config_file.read_text(encoding="utf-8")
        assert "endpoint: local\n" in text, "make_repo(endpoint=...) replaces `endpoint: local`"
        config_file.write_text(text.replace("endpoint: local\n", f"endpoint: {endpoint}\n"), encoding="utf-8")
    (root / "manifests").mkdir(exist_ok=True)
    for name, text in (manifests or {}).items():
        (root / "manifests" / name).write_text(text, encoding="utf-8")
    for name, content in (data or {}).items():
        path = root / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root
