"""REST API under /api/v1 (read side; more arrives with the dashboard)."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import NotFound
from app.services import records


async def _db(request: Request, fn: Any, *args: Any, **kwargs: Any) -> Any:
    engine = request.state.services.engine

    def run() -> Any:
        with engine.connect() as conn:
            return fn(conn, *args, **kwargs)

    return await anyio.to_thread.run_sync(run)


def _repo_or_404(conn: Any, owner: str, name: str) -> Any:
    repo = records.find_repository(conn, owner, name)
    if repo is None or repo.private:
        # private repositories are not shown before sign-in exists; same answer as unknown
        raise NotFound(f"no repository {owner}/{name}")
    return repo


async def list_repos(request: Request) -> Response:
    return JSONResponse({"repositories": await _db(request, records.list_repositories)})


async def repo_coverage(request: Request) -> Response:
    owner, name = request.path_params["owner"], request.path_params["repo"]
    branch = request.query_params.get("branch")
    flag = request.query_params.get("flag", "default")

    def query(conn: Any) -> dict[str, Any]:
        repo = _repo_or_404(conn, owner, name)
        use_branch = branch or repo.default_branch
        upload = records.latest_upload(conn, repo.id, branch=use_branch, flag=flag)
        if upload is None:
            raise NotFound(f"no coverage for {owner}/{name} branch {use_branch} flag {flag}")
        upload["files"] = records.upload_files_of(conn, upload["id"])
        return upload

    return JSONResponse(await _db(request, query))


async def commit_coverage(request: Request) -> Response:
    owner, name, sha = (request.path_params[k] for k in ("owner", "repo", "sha"))
    flag = request.query_params.get("flag", "default")

    def query(conn: Any) -> dict[str, Any]:
        repo = _repo_or_404(conn, owner, name)
        upload = records.latest_upload(conn, repo.id, sha=sha, flag=flag)
        if upload is None:
            raise NotFound(f"no coverage for {owner}/{name} commit {sha} flag {flag}")
        upload["files"] = records.upload_files_of(conn, upload["id"])
        return upload

    return JSONResponse(await _db(request, query))


async def branch_history(request: Request) -> Response:
    owner, name, branch = (request.path_params[k] for k in ("owner", "repo", "branch"))
    flag = request.query_params.get("flag", "default")

    def query(conn: Any) -> dict[str, Any]:
        repo = _repo_or_404(conn, owner, name)
        return {
            "branch": branch,
            "flag": flag,
            "history": records.branch_history(conn, repo.id, branch, flag=flag),
        }

    return JSONResponse(await _db(request, query))
