"""A fake of the GitHub REST API calls the Action makes, served on loopback, recording every request.

State is in memory: issues (and pull requests, which are issues too), comments, the PRs of a commit. A test can
make one route fail with a given status and body (`fail`) to check the messages for 403/422.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.support import serving

LIMIT = 65_536
BOT = "github-actions[bot]"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str


@dataclass
class FakeGitHub:
    """The state and the request log; `base_url` once started."""

    repository: str = "acme/people"
    requests: list[Recorded] = field(default_factory=list)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> {id, issue, body, user}
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)  # number -> issue JSON
    pulls_by_commit: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failures: dict[tuple[str, str], tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=dict)
    base_url: str = ""
    _next_id: int = 1000
    # the Git data a draft-pull writes: blobs, trees (path -> blob sha, over their base tree), commits, branches
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)

    def fail(
        self,
        method: str,
        suffix: str,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer `method` on any path ending in `suffix` with `status` and `body` from now on."""
        self.failures[(method, suffix)] = (status, body, headers or {})

    def add_pull_request(self, number: int) -> None:
        self.issues[number] = {
            "number": number,
            "title": f"PR {number}",
            "body": "",
            "state": "open",
            "user": {"login": "octocat"},
            "pull_request": {"url": "…"},
        }

    def add_comment(self, issue: int, body: str, login: str) -> int:
        self._next_id += 1
        self.comments[self._next_id] = {
            "id": self._next_id,
            "issue": issue,
            "body": body,
            "user": {"login": login},
        }
        return self._next_id

    def comments_on(self, issue: int) -> list[dict[str, Any]]:
        return sorted((c for c in self.comments.values() if c["issue"] == issue), key=lambda c: c["id"])

    def files_of_branch(self, branch: str) -> dict[str, bytes]:
        """The files a branch's commit changed over its base tree: path -> bytes."""
        tree = self.trees[self.commits[self.branches[branch]]["tree"]]
        return {path: self.blobs[sha] for path, sha in tree.items()}

    def _sha(self, kind: str) -> str:
        self._next_id += 1
        return f"{kind}{self._next_id:036d}"[-40:]

    def writes(self) -> list[tuple[str, str]]:
        """(method, path) of every request that is not a GET, in order."""
        return [(r.method, r.path) for r in self.requests if r.method != "GET"]


def create_app(state: FakeGitHub) -> FastAPI:
    app = FastAPI()
    repo = "/repos/{owner}/{name}"

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Response:
        raw = await request.body()
        body = None
        if raw:
            import json

            body = json.loads(raw)
        state.requests.append(
            Recorded(
                request.method,
                request.url.path,
                dict(request.query_params),
                body,
                request.headers.get("authorization", ""),
            )
        )
        for (method, suffix), (status, answer, headers) in state.failures.items():
            if request.method == method and request.url.path.endswith(suffix):
                return JSONResponse(answer, status_code=status, headers=headers)
        if body is not None and isinstance(body, dict) and len(str(body.get("body", ""))) > LIMIT:
            return JSONResponse(
                {
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "IssueComment",
                            "code": "custom",
                            "field": "body",
                            "message": "body is too long (maximum is 65536 characters)",
                        }
                    ],
                },
                status_code=422,
            )
        return await call_next(request)  # type: ignore[no-any-return]

    def page(items: list[dict[str, Any]], request: Request) -> list[dict[str, Any]]:
        per_page = int(request.query_params.get("per_page", 30))
        number = int(request.query_params.get("page", 1))
        return items[(number - 1) * per_page : number * per_page]

    @app.get(repo + "/issues/{number}/comments")
    async def list_comments(number: int, request: Request) -> list[dict[str, Any]]:
        return page(
            [{k: v for k, v in c.items() if k != "issue"} for c in state.comments_on(number)], request
        )

    @app.post(repo + "/issues/{number}/comments", status_code=201)
    async def create_comment(number: int, request: Request) -> dict[str, Any]:
        body = (await request.json())["body"]
        cid = state.add_comment(number, body, BOT)
        return {k: v for k, v in state.comments[cid].items() if k != "issue"}

    @app.patch(repo + "/issues/comments/{cid}")
    async def update_comment(cid: int, request: Request) -> Any:
        if cid not in state.comments:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        state.comments[cid]["body"] = (await request.json())["body"]
        return {k: v for k, v in state.comments[cid].items() if k != "issue"}

    @app.delete(repo + "/issues/comments/{cid}", status_code=204)
    async def delete_comment(cid: int) -> Response:
        state.comments.pop(cid, None)
        return Response(status_code=204)

    @app.get(repo + "/issues")
    async def list_issues(request: Request) -> list[dict[str, Any]]:
        wanted = request.query_params.get("state", "open")
        return page(
            [i for _, i in sorted(state.issues.items()) if wanted == "all" or i["state"] == wanted], request
        )

    @app.post(repo + "/issues", status_code=201)
    async def create_issue(request: Request) -> Any:
        body = await request.json()
        if not body.get("title"):
            return JSONResponse(
                {
                    "message": "Validation Failed",
                    "errors": [{"resource": "Issue", "code": "missing_field", "field": "title"}],
                },
                status_code=422,
            )
        number = max(state.issues, default=0) + 1
        state.issues[number] = {
            "number": number,
            "title": body["title"],
            "body": body.get("body", ""),
            "state": "open",
            "user": {"login": BOT},
            "html_url": f"https://github.com/{state.repository}/issues/{number}",
        }
        return state.issues[number]

    @app.patch(repo + "/issues/{number}")
    async def update_issue(number: int, request: Request) -> Any:
        state.issues[number].update(await request.json())
        return state.issues[number]

    @app.get(repo + "/commits/{sha}/pulls")
    async def pulls(sha: str) -> list[dict[str, Any]]:
        return state.pulls_by_commit.get(sha, [])

    @app.get(repo + "/git/commits/{sha}")
    async def get_commit(sha: str) -> Any:
        made = state.commits.get(sha)
        return {"sha": sha, "tree": {"sha": made["tree"] if made else f"base-tree-of-{sha}"}}

    @app.post(repo + "/git/blobs", status_code=201)
    async def create_blob(request: Request) -> Any:
        import base64

        body = await request.json()
        sha = state._sha("b")
        state.blobs[sha] = (
            base64.b64decode(body["content"])
            if body.get("encoding") == "base64"
            else body["content"].encode()
        )
        return {"sha": sha}

    @app.post(repo + "/git/trees", status_code=201)
    async def create_tree(request: Request) -> Any:
        body = await request.json()
        sha = state._sha("t")
        state.trees[sha] = dict(state.trees.get(body.get("base_tree", ""), {})) | {
            e["path"]: e["sha"] for e in body["tree"]
        }
        return {"sha": sha}

    @app.post(repo + "/git/commits", status_code=201)
    async def create_commit(request: Request) -> Any:
        body = await request.json()
        sha = state._sha("c")
        state.commits[sha] = body
        return {"sha": sha}

    @app.get(repo + "/git/ref/heads/{branch:path}")
    async def get_ref(branch: str) -> Any:
        if branch not in state.branches:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        return {"ref": f"refs/heads/{branch}", "object": {"sha": state.branches[branch], "type": "commit"}}

    @app.post(repo + "/git/refs", status_code=201)
    async def create_ref(request: Request) -> Any:
        body = await request.json()
        branch = body["ref"].removeprefix("refs/heads/")
        if branch in state.branches:
            return JSONResponse({"message": "Reference already exists"}, status_code=422)
        state.branches[branch] = body["sha"]
        return {"ref": body["ref"], "object": {"sha": body["sha"]}}

    @app.patch(repo + "/git/refs/heads/{branch:path}")
    async def update_ref(branch: str, request: Request) -> Any:
        body = await request.json()
        if branch not in state.branches:
            return JSONResponse({"message": "Reference does not exist"}, status_code=422)
        state.branches[branch] = body["sha"]
        return {"ref": f"refs/heads/{branch}", "object": {"sha": body["sha"]}}

    @app.get(repo + "/pulls")
    async def list_pulls(request: Request) -> Any:
        head = request.query_params.get("head", "")
        wanted = request.query_params.get("state", "open")
        owner = state.repository.split("/")[0]
        return [
            p
            for p in state.pulls.values()
            if (not head or head == f"{owner}:{p['head']['ref']}")
            and (wanted == "all" or p["state"] == wanted)
        ]

    @app.post(repo + "/pulls", status_code=201)
    async def create_pull(request: Request) -> Any:
        body = await request.json()
        if body["head"] not in state.branches:
            return JSONResponse(
                {"message": "Validation Failed", "errors": [{"field": "head", "code": "invalid"}]},
                status_code=422,
            )
        number = max([*state.issues, *state.pulls], default=0) + 1
        state.pulls[number] = {
            "number": number,
            "title": body["title"],
            "body": body.get("body", ""),
            "state": "open",
            "head": {"ref": body["head"]},
            "base": {"ref": body["base"]},
        }
        return state.pulls[number]

    @app.patch(repo + "/pulls/{number}")
    async def update_pull(number: int, request: Request) -> Any:
        state.pulls[number].update(await request.json())
        return state.pulls[number]

    return app


@dataclass
class Served:
    state: FakeGitHub
    running: serving.Served

    def stop(self) -> None:
        self.running.stop()


def serve(state: FakeGitHub) -> Served:
    """Serve on a loopback socket bound and listening before this returns, so no wait for readiness is needed."""
    running = serving.serve_app(create_app(state))
    state.base_url = running.base_url
    return Served(state, running)
