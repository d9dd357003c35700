"""The few GitHub REST calls the Action makes, with messages that say what a 403/422 means for the workflow.

The token is `GITHUB_TOKEN` of the job; it is sent only to `GITHUB_API_URL` and never printed.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from orgsync.errors import GitHubError

PER_PAGE = 100
PERMISSION_HINT = {
    "comment": "the job needs `permissions: pull-requests: write` (and on a pull request from a fork the token is "
    "read-only: run the plan with `pull_request` from branches of this repository)",
    "issue": "the job needs `permissions: issues: write`",
    "read": "the job needs `permissions: contents: read` and `pull-requests: read`",
    "push": "the job needs `permissions: contents: write` and `pull-requests: write` (and the repository setting "
    "'Allow GitHub Actions to create and approve pull requests' for the pull request)",
}


@dataclass(frozen=True)
class Comment:
    """An issue or pull-request comment: its id, body and author login."""

    id: int
    body: str
    author: str


@dataclass(frozen=True)
class Issue:
    """An issue (never a pull request): number, title, body, state, author login."""

    number: int
    title: str
    body: str
    state: str
    author: str
    url: str = ""  # html_url: the page a person opens


class GitHubApi:
    """A synchronous client of one repository's REST API (`owner/name`)."""

    def __init__(
        self,
        api_url: str,
        repository: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.repository = repository
        self._http = httpx.Client(
            base_url=api_url.rstrip("/"),
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "orgsync-action",
            },
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubApi:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        purpose: str,
        *,
        json: Any = None,
        params: dict[str, str | int] | None = None,
    ) -> Any:
        """One call; any non-2xx answer becomes a GitHubError that names the call and what to do."""
        try:
            response = self._http.request(method, path, json=json, params=params)
        except httpx.HTTPError as err:
            raise GitHubError(
                f"GitHub API {method} {path}: unreachable ({type(err).__name__})",
                hint="check GITHUB_API_URL and the runner's network",
            ) from None
        if response.is_success:
            return response.json() if response.content else None
        raise _error(method, path, purpose, response)

    def _pages(self, path: str, purpose: str, params: dict[str, str | int] | None = None) -> Iterator[Any]:
        """Every element of a paginated list, page by page."""
        page = 1
        while True:
            batch = self._call(
                "GET", path, purpose, params={**(params or {}), "per_page": PER_PAGE, "page": page}
            )
            yield from batch
            if len(batch) < PER_PAGE:
                return
            page += 1

    def comments(self, number: int) -> list[Comment]:
        """Every comment of an issue or pull request, oldest first."""
        return [
            _comment(c) for c in self._pages(f"/repos/{self.repository}/issues/{number}/comments", "read")
        ]

    def create_comment(self, number: int, body: str) -> Comment:
        return _comment(
            self._call(
                "POST", f"/repos/{self.repository}/issues/{number}/comments", "comment", json={"body": body}
            )
        )

    def update_comment(self, comment_id: int, body: str) -> Comment:
        return _comment(
            self._call(
                "PATCH",
                f"/repos/{self.repository}/issues/comments/{comment_id}",
                "comment",
                json={"body": body},
            )
        )

    def delete_comment(self, comment_id: int) -> None:
        self._call("DELETE", f"/repos/{self.repository}/issues/comments/{comment_id}", "comment")

    def open_issues(self) -> list[Issue]:
        """The repository's open issues (pull requests left out)."""
        return [
            _issue(i)
            for i in self._pages(f"/repos/{self.repository}/issues", "issue", {"state": "open"})
            if "pull_request" not in i
        ]

    def create_issue(self, title: str, body: str) -> Issue:
        return _issue(
            self._call(
                "POST", f"/repos/{self.repository}/issues", "issue", json={"title": title, "body": body}
            )
        )

    def update_issue(self, number: int, **fields: str) -> Issue:
        return _issue(self._call("PATCH", f"/repos/{self.repository}/issues/{number}", "issue", json=fields))

    def pulls_of_commit(self, sha: str) -> list[dict[str, Any]]:
        """The pull requests a commit belongs to (a merge commit: the PR it merged)."""
        result: list[dict[str, Any]] = self._call(
            "GET", f"/repos/{self.repository}/commits/{sha}/pulls", "read"
        )
        return result

    # --- a branch holding one new commit, and its pull request (draft-pull) -------------------------------
    def commit_tree(self, sha: str) -> str:
        """The tree of commit `sha`."""
        commit = self._call("GET", f"/repos/{self.repository}/git/commits/{sha}", "read")
        return str(commit["tree"]["sha"])

    def create_blob(self, content: bytes) -> str:
        """A blob of `content` (sent as base64, so any encoding survives); its sha."""
        body = {"content": base64.b64encode(content).decode("ascii"), "encoding": "base64"}
        return str(self._call("POST", f"/repos/{self.repository}/git/blobs", "push", json=body)["sha"])

    def create_tree(self, base_tree: str, blobs: dict[str, str]) -> str:
        """A tree: `base_tree` with the files at these paths replaced by these blobs; its sha."""
        entries = [
            {"path": path, "mode": "100644", "type": "blob", "sha": sha} for path, sha in blobs.items()
        ]
        answer = self._call(
            "POST",
            f"/repos/{self.repository}/git/trees",
            "push",
            json={"base_tree": base_tree, "tree": entries},
        )
        return str(answer["sha"])

    def create_commit(self, message: str, tree: str, parent: str) -> str:
        body = {"message": message, "tree": tree, "parents": [parent]}
        return str(self._call("POST", f"/repos/{self.repository}/git/commits", "push", json=body)["sha"])

    def branch_sha(self, branch: str) -> str | None:
        """The commit branch `branch` points at, or None when there is no such branch."""
        path = f"/repos/{self.repository}/git/ref/heads/{branch}"
        try:
            response = self._http.request("GET", path)
        except httpx.HTTPError as err:
            raise GitHubError(f"GitHub API GET {path}: unreachable ({type(err).__name__})") from None
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise _error("GET", path, "read", response)
        return str(response.json()["object"]["sha"])

    def set_branch(self, branch: str, sha: str, *, exists: bool) -> None:
        """Point `branch` at `sha` (created, or moved by force: the branch is orgsync's own)."""
        if exists:
            self._call(
                "PATCH",
                f"/repos/{self.repository}/git/refs/heads/{branch}",
                "push",
                json={"sha": sha, "force": True},
            )
        else:
            self._call(
                "POST",
                f"/repos/{self.repository}/git/refs",
                "push",
                json={"ref": f"refs/heads/{branch}", "sha": sha},
            )

    def open_pull(self, branch: str) -> dict[str, Any] | None:
        """The open pull request from `branch` of this repository, if any."""
        owner = self.repository.split("/")[0]
        pulls = self._call(
            "GET",
            f"/repos/{self.repository}/pulls",
            "read",
            params={"head": f"{owner}:{branch}", "state": "open"},
        )
        return pulls[0] if pulls else None

    def create_pull(self, branch: str, base: str, title: str, body: str) -> dict[str, Any]:
        fields = {"head": branch, "base": base, "title": title, "body": body}
        result: dict[str, Any] = self._call("POST", f"/repos/{self.repository}/pulls", "push", json=fields)
        return result

    def update_pull(self, number: int, title: str, body: str) -> dict[str, Any]:
        fields = {"title": title, "body": body}
        result: dict[str, Any] = self._call(
            "PATCH", f"/repos/{self.repository}/pulls/{number}", "push", json=fields
        )
        return result


def _comment(raw: dict[str, Any]) -> Comment:
    return Comment(
        id=int(raw["id"]),
        body=str(raw.get("body") or ""),
        author=str((raw.get("user") or {}).get("login", "")),
    )


def _issue(raw: dict[str, Any]) -> Issue:
    return Issue(
        number=int(raw["number"]),
        title=str(raw.get("title") or ""),
        body=str(raw.get("body") or ""),
        state=str(raw.get("state") or ""),
        author=str((raw.get("user") or {}).get("login", "")),
        url=str(raw.get("html_url") or ""),
    )


def _error(method: str, path: str, purpose: str, response: httpx.Response) -> GitHubError:
    """The message for a failed call: GitHub's own message, its field errors, and the fix for 401/403/404/422."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    message = (
        str(body.get("message") or response.reason_phrase)
        if isinstance(body, dict)
        else response.reason_phrase
    )
    details = []
    if isinstance(body, dict):
        for err in body.get("errors") or []:
            if isinstance(err, dict):
                details.append(str(err.get("message") or f"{err.get('field')}: {err.get('code')}"))
            else:
                details.append(str(err))
    what = f"GitHub API {method} {path} answered {response.status_code}: {message}"
    if details:
        what += f" ({'; '.join(details)})"
    code = response.status_code
    if code == 401:
        return GitHubError(
            what, hint="the token is missing or expired: pass `github-token: ${{ github.token }}`"
        )
    if code == 403:
        if response.headers.get("x-ratelimit-remaining") == "0":
            return GitHubError(what, hint="the GitHub API rate limit is used up; re-run the job later")
        return GitHubError(what, hint=PERMISSION_HINT.get(purpose, PERMISSION_HINT["read"]))
    if code == 404:
        return GitHubError(what, hint="check GITHUB_REPOSITORY and that the token can see this repository")
    if code == 422:
        return GitHubError(
            what,
            hint="GitHub refused the content: a comment or issue body is limited to 65,536 "
            "characters and an issue needs a title; the message above names the field",
        )
    return GitHubError(what)
