"""The error hierarchy: every failure a user can cause or meet has a class, a message and an exit code.

The CLI turns any `OrgsyncError` into its message on stderr and its exit code; anything else is a bug
and is the only thing allowed to show a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any


class ExitCode(IntEnum):
    """Exit codes CI can act on (documented in the README)."""

    OK = 0  # no changes / all done
    ERROR = 1  # bad input, unreachable API, nothing written
    CHANGES = 2  # plan has changes (only with --detailed-exitcode)
    BLOCKED = 3  # blocked by safety policy
    PARTIAL = 4  # apply: some changes written, others not (calls failed, or SIGTERM/SIGINT stopped the run)


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

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        hint: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.errors = errors or []
        self.trace_id = trace_id  # the answer's X-Amzn-Trace-Id: Orgvue support finds the request by it

    @property
    def codes(self) -> list[str]:
        """The documented error codes of the answer, as strings ("40302")."""
        return [str(e["code"]) for e in self.errors if e.get("code") is not None]


class AuthError(ApiError):
    """401/403: the token is missing, wrong or lacks access."""


class NotFoundError(ApiError):
    """404: an unknown dataset, draft or job."""


class TenantNotEnabledError(AuthError):
    """40345: the tenant has no API usage plan; only Orgvue support can enable it."""


class ThrottledError(ApiError):
    """429 42901: more than the tenant's requests per second or in flight, and the retries ran out."""


class QuotaExceededError(ApiError):
    """429 42902: the tenant's daily request quota is used up; retrying the same day cannot succeed."""


class UnexpectedAnswerError(ApiError):
    """A 2xx answer lacks the fields orgsync assumes (names the fields it did get, never their values)."""


class TransportError(ApiError):
    """The API could not be reached (DNS, connection refused, timeouts) after retries."""


class JobFailedError(ApiError):
    """An asynchronous job ended `failed` or did not finish within its timeout."""


class PayloadTooLargeError(ApiError):
    """A 413: the request body was too large, whatever the answer's body (often not Orgvue's error JSON)."""


class PresignedUrlRefused(ApiError):
    """A presigned storage URL (a file, a result, a job's status) was refused: expired or not valid."""


class PollExpiredError(PresignedUrlRefused):
    """A job outlived its presigned status URL (D/working/async/, D/working/security/): its end is unknown."""


class StalePlanError(OrgsyncError):
    """A saved plan no longer matches the manifests, sources or live tenant."""


class SafetyBlockedError(OrgsyncError):
    """The safety policy blocks the plan; rerun with --allow-destructive once the changes are intended."""

    exit_code = ExitCode.BLOCKED


class MaybeAppliedError(TransportError):
    """A request that is not safe to repeat was sent but its answer was lost: it may have taken effect."""


class PlanFileError(OrgsyncError):
    """A file given as a saved plan is not one, or of a format version this orgsync cannot read."""


class OrderError(OrgsyncError):
    """The plan cannot be put in a safe order (a hierarchy cycle); nothing has been written."""


class ConfirmationRefused(OrgsyncError):
    """No `yes` was given, or there is no terminal to ask: nothing was written."""


class StepError(OrgsyncError):
    """An apply step failed part-way; like any error of a step, it holds back the steps that depend on it."""


class ReportWriteError(OrgsyncError):
    """The `--report` file cannot be written (missing or read-only directory, full disk)."""


class EscapesRoot(OrgsyncError):
    """A path resolves (after following symlinks) outside the repository root (the loader names the field)."""


class TemplateProblem(OrgsyncError):
    """A template failed: undefined variable, syntax error or a sandbox refusal (the loader adds file:line)."""


class GitHubError(OrgsyncError):
    """A GitHub REST call of the Action failed (no permission, rejected body, unreachable API)."""


class PortInUseError(OrgsyncError):
    """The emulator's port cannot be bound (in use, or not allowed)."""


class DraftError(OrgsyncError):
    """A draft cannot be pulled or cleared as asked (unknown name, unmanaged dataset, conflicts with the source)."""
