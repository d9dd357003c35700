"""The Action's `draft-pull` step: `orgsync draft pull` in the checkout, its files committed onto branch
`orgsync/draft-<slug>` (one commit on the checked-out commit, through the Git data API), and one pull request
from it, opened or updated.

Only the files the CLI reports having written are read, each inside the working directory; the branch is moved
by force each run, so the pull request always holds exactly the draft's latest pull.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from orgsync.errors import ExitCode, GitHubError
from orgsync.escape import markdown
from orgsync.github.api import GitHubApi

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")
MAX_ROWS = 50


class Inputs(Protocol):
    """What the step reads of the Action's inputs (orgsync.github.action.Inputs)."""

    @property
    def draft(self) -> str: ...
    @property
    def directory(self) -> str: ...
    @property
    def sha(self) -> str: ...
    @property
    def ref_name(self) -> str: ...
    @property
    def event(self) -> Mapping[str, Any]: ...
    @property
    def workspace(self) -> Path: ...
    @property
    def run_url(self) -> str: ...
    def api(self) -> GitHubApi: ...


class Ran(Protocol):
    """A finished `orgsync` command (orgsync.github.action.Run)."""

    @property
    def code(self) -> int: ...
    @property
    def stdout(self) -> str: ...
    @property
    def stderr(self) -> str: ...


@dataclass(frozen=True)
class Outcome:
    """The step's exit code, its outputs, and its summary (None when the pull failed: `failed` says how)."""

    code: int
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str | None = None
    failed: Ran | None = None


def draft_pull(inputs: Inputs, orgsync: Callable[[Sequence[str]], Ran]) -> Outcome:
    """Pull the draft named by the `draft` input; commit what changed and open or update its pull request."""
    if not inputs.draft:
        raise GitHubError(
            "input `draft`: the name of the Orgvue draft to pull is required with `command: draft-pull`"
        )
    pulled = orgsync(["draft", "pull", inputs.draft, "-C", inputs.directory, "--format", "json"])
    if pulled.code != ExitCode.OK:
        outputs = {"exit-code": str(pulled.code), "pull-request": ""}
        return Outcome(pulled.code or int(ExitCode.ERROR), outputs, None, pulled)
    try:
        result: dict[str, Any] = json.loads(pulled.stdout)
    except ValueError:
        raise GitHubError("orgsync draft pull did not print its JSON result") from None
    slug = str(result.get("slug", ""))
    if not _SLUG.fullmatch(slug):
        raise GitHubError(f"orgsync draft pull gave an unusable branch slug {slug!r}")
    files = [*result.get("written", []), *([result["changeFile"]] if result.get("changeFile") else [])]
    body = pull_body(result, inputs)
    if not files:
        print("orgsync draft-pull: nothing to pull", file=sys.stderr)
        return Outcome(0, {"exit-code": "0", "pull-request": "", "has-changes": "false"}, body)
    contents = _read(inputs, files)
    branch = f"orgsync/draft-{slug}"
    title = f"orgsync: draft {result.get('draft', '')!s} ({result.get('dataset', '')!s})"[:250]
    with inputs.api() as api:
        tree = api.create_tree(
            api.commit_tree(inputs.sha), {path: api.create_blob(data) for path, data in contents.items()}
        )
        commit = api.create_commit(f"{title}\n\nPulled from Orgvue by orgsync draft pull.", tree, inputs.sha)
        api.set_branch(branch, commit, exists=api.branch_sha(branch) is not None)
        existing = api.open_pull(branch)
        if existing is not None:
            pull = api.update_pull(int(existing["number"]), title, body)
            done = "updated"
        else:
            pull = api.create_pull(branch, _base(inputs), title, body)
            done = "opened"
    print(f"orgsync draft-pull: {done} pull request #{pull['number']} from {branch}", file=sys.stderr)
    return Outcome(0, {"exit-code": "0", "pull-request": str(pull["number"]), "has-changes": "true"}, body)


def _base(inputs: Inputs) -> str:
    """The branch the pull request goes into: the one the workflow ran on, else the repository's default."""
    repository = inputs.event.get("repository")
    default = repository.get("default_branch") if isinstance(repository, dict) else None
    return inputs.ref_name or (default if isinstance(default, str) and default else "main")


def _read(inputs: Inputs, files: list[str]) -> dict[str, bytes]:
    """Repository path -> bytes of each file the pull wrote; a path outside the working directory is refused."""
    workspace = inputs.workspace.resolve()
    root = (workspace / inputs.directory).resolve()
    if not root.is_relative_to(workspace):
        raise GitHubError(f"working-directory {inputs.directory!r} is outside the workspace")
    out: dict[str, bytes] = {}
    for name in files:
        path = (root / name).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise GitHubError(f"orgsync draft pull reported a file outside the working directory: {name!r}")
        out[path.relative_to(workspace).as_posix()] = path.read_bytes()
    return out


def pull_body(result: dict[str, Any], inputs: Inputs) -> str:
    """The pull request's description: what the draft changes, where, and what was not pulled (no values)."""
    edits = result.get("edits") or {}
    lines = [
        f"### Orgvue draft {markdown(str(result.get('draft', ''))[:200])} on "
        f"{markdown(str(result.get('dataset', ''))[:200])}",
        "",
        f"{int(edits.get('update', 0))} item(s) updated, {int(edits.get('create', 0))} created, "
        f"{int(edits.get('delete', 0))} deleted.",
        "",
    ]
    for name in result.get("written", []):
        lines.append(f"- written into `{markdown(str(name))}`")
    if result.get("changeFile"):
        lines += [
            f"- the source cannot be written back ({markdown(str(result.get('changeFileReason', '')))}): the edits "
            f"are listed in `{markdown(str(result['changeFile']))}`; make them in the source system, then "
            "replace this change with the re-synced source",
        ]
    skipped = result.get("notPulled") or []
    if skipped:
        lines += [
            "",
            f"**{len(skipped)} edit(s) not pulled** (they stay in the draft):",
            "",
            "| key | property | why |",
            "|---|---|---|",
        ]
        for f in skipped[:MAX_ROWS]:
            lines.append(
                f"| {markdown(str(f.get('key', '')))} | {markdown(str(f.get('property', '')))} | "
                f"{markdown(str(f.get('detail', '')))} |"
            )
        if len(skipped) > MAX_ROWS:
            lines.append(f"\n… and {len(skipped) - MAX_ROWS} more.")
    lines += [
        "",
        "The plan comment on this pull request shows what apply will do. After merge and apply, run "
        "`orgsync draft clear` for this draft: it clears the edits the tenant then holds.",
    ]
    if inputs.run_url:
        lines += ["", f"_orgsync · [workflow run]({inputs.run_url})_"]
    return "\n".join(lines) + "\n"
