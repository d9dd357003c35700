"""Load a repository: `orgsync.yaml` and every manifest document, templated and validated, into a `Project`.

All problems of all files are collected before raising, so one run shows every mistake (file:line:col).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from orgsync.errors import ConfigError, Location, Problem
from orgsync.manifest.messages import field_path, validation_problems
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project, ProjectConfig
from orgsync.manifest.paths import EscapesRoot, HiddenPath, confine, refuse_hidden, shown
from orgsync.manifest.templating import RenderBudget, Renderer
from orgsync.manifest.yamldoc import YamlDocument, load_documents

CONFIG_FILE = "orgsync.yaml"
KINDS: dict[str, type[DatasetManifest | LinksDatasetManifest]] = {
    "Dataset": DatasetManifest,
    "LinksDataset": LinksDatasetManifest,
}
MANIFEST_SUFFIXES = (".yaml", ".yml")


def load_project(root: Path, env: Mapping[str, str] | None = None) -> Project:
    """The repository at `root` as a `Project`; raises `ConfigError` carrying every problem found."""
    root = Path(root)
    renderer = Renderer(os.environ if env is None else env)
    problems: list[Problem] = []
    config_path = root / CONFIG_FILE
    if not config_path.is_file():
        raise ConfigError(
            Problem(
                Location(shown(config_path, root)),
                f"no {CONFIG_FILE} in {root.resolve()}; "
                "expected the repository root (`orgsync -C DIR ...` names it, or `orgsync init` starts one)",
            )
        )
    try:
        confine(
            config_path, root
        )  # a link out of the repository is never read: its values would reach errors
    except EscapesRoot:
        raise ConfigError(
            Problem(
                Location(CONFIG_FILE),
                f"{CONFIG_FILE} is a link to a file outside the repository; expected the file itself, "
                "inside the repository (nothing was read from it)",
            ),
            hint=f"replace the link with the file: `rm {CONFIG_FILE}` and write it in the repository",
        ) from None
    config, patterns = _load_config(config_path, root, renderer, problems)
    warnings: list[Problem] = []
    manifests: list[DatasetManifest | LinksDatasetManifest] = []
    for path in manifest_files(patterns, root, problems, warnings):
        manifests += _load_manifest_file(path, root, renderer, problems)
    if problems or config is None:
        raise ConfigError(_in_order(problems))
    return Project(root=root, config_file=config_path, config=config, manifests=manifests, warnings=warnings)


def _documents(
    path: Path, root: Path, renderer: Renderer, problems: list[Problem]
) -> list[tuple[YamlDocument, Any, set[str]]]:
    """(document, rendered data, fields whose template failed) per YAML document of `path`."""
    display = shown(path, root)
    limits = renderer.limits  # from the environment, never from the repository
    size = path.stat().st_size
    if size > limits.manifest_bytes:
        problems.append(
            Problem(
                Location(display),
                f"the file is {size} bytes, more than the limit of "
                f"{limits.manifest_bytes} ({limits.describe('manifest_bytes')}); expected a manifest, "
                "not data (put items in a source file)",
            )
        )
        return []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        problems.append(
            Problem(Location(display), f"not valid UTF-8 (byte {err.start}); expected a UTF-8 YAML file")
        )
        return []
    documents, issues = load_documents(text, limits)
    problems += [Problem(Location(display, i.line, i.column), i.message) for i in issues]
    rendered = []
    renderer.start_file()
    for doc in documents:
        try:
            data, failures = renderer.render_tree(doc.data)
        except RenderBudget as err:
            line, column = doc.where(err.path)
            problems.append(Problem(Location(display, line, column), str(err), field_path(err.path) or None))
            return []
        for where, message in failures:
            line, column = doc.where(where)
            problems.append(Problem(Location(display, line, column), message, field_path(where) or None))
        rendered.append((doc, data, {field_path(where) for where, _ in failures}))
    return rendered


def _validated(
    model: type[BaseModel],
    data: Any,
    doc: YamlDocument,
    display: str,
    problems: list[Problem],
    failed: set[str],
) -> Any:
    """`model` built from `data`, or None with its problems recorded (none again for failed templates)."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems += [p for p in validation_problems(err, doc, display, model) if p.field not in failed]
        return None


def _in_order(problems: list[Problem]) -> list[Problem]:
    """Problems file by file (in the order files were read), each file's by line and column."""
    files = {str(p.location.file): n for n, p in reversed(list(enumerate(problems)))}
    return sorted(
        problems, key=lambda p: (files[str(p.location.file)], p.location.line or 0, p.location.column or 0)
    )


def _load_config(
    path: Path, root: Path, renderer: Renderer, problems: list[Problem]
) -> tuple[ProjectConfig | None, list[str]]:
    """The config (None when invalid) and its manifest patterns (read even from an invalid config)."""
    display = shown(path, root)
    documents = _documents(path, root, renderer, problems)
    default = [ProjectConfig.model_fields["manifests"].default]
    if len(documents) != 1 or not isinstance(documents[0][1], dict):
        if not any(p.location.file == display for p in problems):
            problems.append(
                Problem(Location(display, 1), "expected one YAML mapping with at least `tenant:`")
            )
        return None, default
    doc, data, failed = documents[0]
    config = _validated(ProjectConfig, data, doc, display, problems, failed)
    if config is not None:
        return config, config.manifest_patterns()
    patterns = data.get("manifests", default)
    patterns = [patterns] if isinstance(patterns, str) else patterns
    valid = isinstance(patterns, list) and all(isinstance(p, str) for p in patterns)
    return None, patterns if valid else default


def manifest_files(
    patterns: list[str], root: Path, problems: list[Problem], warnings: list[Problem]
) -> list[Path]:
    """Manifest files named by `manifests:` (folders are searched recursively), confined to the repository."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        if _leaves_root(pattern):
            problems.append(
                Problem(
                    Location(CONFIG_FILE),
                    f"manifests pattern {pattern!r} leaves the repository; "
                    "expected a folder or glob relative to the repository root, without '..'",
                    "manifests",
                )
            )
            continue
        base = root / pattern
        candidates = sorted(base.rglob("*")) if base.is_dir() else sorted(root.glob(pattern))
        files = [p for p in candidates if p.is_file() and p.suffix in MANIFEST_SUFFIXES]
        if not files:
            warnings.append(
                Problem(
                    Location(CONFIG_FILE),
                    f"manifests pattern {pattern!r} matches no .yaml file",
                    "manifests",
                    "warning",
                )
            )
        for path in files:
            try:
                found[refuse_hidden(confine(path, root), root)] = None
            except HiddenPath:
                continue  # .git/, .github/ and other dot-folders hold no manifests
            except EscapesRoot:
                problems.append(
                    Problem(
                        Location(shown(path, root)),
                        "manifest is a link to a file outside the repository; expected manifests inside it",
                        "manifests",
                    )
                )
    return list(found)


def _leaves_root(pattern: str) -> bool:
    """An absolute pattern (Path.glob refuses it; "/" would walk the whole disk) or one with a '..' part."""
    path = PurePosixPath(pattern.replace("\\", "/"))
    return path.is_absolute() or PureWindowsPath(pattern).anchor != "" or ".." in path.parts


def _load_manifest_file(
    path: Path, root: Path, renderer: Renderer, problems: list[Problem]
) -> list[DatasetManifest | LinksDatasetManifest]:
    display = shown(path, root)
    loaded = []
    for doc, data, failed in _documents(path, root, renderer, problems):
        model = _kind(data, doc, display, problems)
        manifest = _validated(model, data, doc, display, problems, failed) if model else None
        if manifest is not None:
            manifest._origin = Location(display, doc.line, 1)
            manifest._manifest_path = path
            manifest._positions = doc.values
            loaded.append(manifest)
    return loaded


def _kind(data: Any, doc: YamlDocument, display: str, problems: list[Problem]) -> type | None:
    """The model for the document's `kind`, or None with a problem recorded."""
    expected = " or ".join(KINDS)
    if not isinstance(data, dict):
        problems.append(
            Problem(
                Location(display, doc.line, 1),
                f"expected a mapping with `kind: {expected}`, got {type(data).__name__}",
            )
        )
        return None
    kind = data.get("kind")
    if kind not in KINDS:
        line, column = doc.where(("kind",))
        got = "nothing" if kind is None else repr(kind)
        problems.append(Problem(Location(display, line, column), f"expected {expected}, got {got}", "kind"))
        return None
    return KINDS[kind]


def resolve_token(env: Mapping[str, str] | None, root: Path) -> str | None:
    """The API token from ORGVUE_TOKEN, or the file named by ORGVUE_TOKEN_FILE; else None.

    The file must be an absolute path outside the repository: everything in the repository is a pull request's
    to change, so a token file there (or a symlink there) would let a PR choose what is sent as the token.
    The token is never part of a message: errors name the variable and the file, never the value.
    """
    env = os.environ if env is None else env
    token = (env.get("ORGVUE_TOKEN") or "").strip()
    if token:
        return token
    file_name = (env.get("ORGVUE_TOKEN_FILE") or "").strip()
    if not file_name:
        return None
    path = Path(file_name).expanduser()
    if not path.is_absolute():
        raise ConfigError(
            f"ORGVUE_TOKEN_FILE names {file_name}, a relative path; expected an absolute path "
            "outside the repository (e.g. $RUNNER_TEMP/orgvue-token)"
        )
    repository = Path(root).resolve()
    for candidate in (path.absolute(), path.resolve()):
        if candidate == repository or repository in candidate.parents:
            raise ConfigError(
                f"ORGVUE_TOKEN_FILE names {path}, which is inside the repository; expected a file "
                "outside it (a pull request can change anything in the repository)"
            )
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise ConfigError(
            f"ORGVUE_TOKEN_FILE names {path}, which cannot be read ({err.strerror}); "
            "expected a file holding the token"
        ) from None
    if not token:
        raise ConfigError(f"ORGVUE_TOKEN_FILE names {path}, which is empty; expected the token in it")
    return token
