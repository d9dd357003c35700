"""The error hierarchy: every failure a user can cause or meet has a class, a message and an exit code.

The CLI turns any `OrgsyncError` into its message on stderr and its exit code; anything else is a bug
and is the only thing allowed to show a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Exit codes CI can act on (documented in the README)."""

    OK = 0  # no changes / all done
    ERROR = 1  # bad input, unreachable API, nothing written
    CHANGES = 2  # plan has changes (only with --detailed-exitcode)
    BLOCKED = 3  # blocked by safety policy
    PARTIAL = 4  # apply: some calls succeeded, some failed


@dataclass(frozen=True)
class Location:
    """Where in a user's file something is: 1-based line and column, either may be unknown."""

    file: Path | str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        text = str(self.file)
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


@dataclass(frozen=True)
class Problem:
    """One finding of validation: an error blocks, a warning informs."""

    location: Location
    message: str
    field: str | None = None
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = f"{self.location}: "
        what = f"{self.field}: " if self.field else ""
        return f"{where}{what}{self.message}"


class OrgsyncError(Exception):
    """Base of every error a user may see; `exit_code` is what the CLI exits with."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigError(OrgsyncError):
    """orgsync.yaml, a manifest or a template is wrong; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | Problem | str, *, hint: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(Location("<config>"), problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems), hint=hint)


class SourceError(ConfigError):
    """A source file cannot be read or its values do not fit (file, row and column named)."""


class ApiError(OrgsyncError):
    """The Orgvue API answered with an error; `status` and the documented error entries are kept."""

    def __init__(self, message: str, *, status: int | None = None, errors: list[dict] | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.errors = errors or []


class AuthError(ApiError):
    """401/403: the token is missing, wrong or lacks access."""


class NotFoundError(ApiError):
    """404: an unknown dataset, draft or job."""


class TransportError(ApiError):
    """The API could not be reached (DNS, connection refused, timeouts) after retries."""


class JobFailedError(ApiError):
    """An asynchronous job ended `failed` or did not finish within its timeout."""


class StalePlanError(OrgsyncError):
    """A saved plan no longer matches the manifests, sources or live tenant."""


class SafetyBlockedError(OrgsyncError):
    """The safety policy blocks the plan; rerun with --allow-destructive once the changes are intended."""

    exit_code = ExitCode.BLOCKED


class GitHubError(OrgsyncError):
    """A GitHub REST call of the Action failed (no permission, rejected body, unreachable API)."""
