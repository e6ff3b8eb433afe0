"""POST /api/v1/repos/{owner}/{repo}/uploads: the push path for any CI (and `coverhub collect`).

Authorised by the repository's upload token (``Authorization: Bearer chu_...``). The body is one
report file or an archive (zip, tar.gz) of several; it is kept in storage as sent and ingested by
the same job as every other path. 202 with the job id; nothing slow happens in the request.
"""

from __future__ import annotations

import re
import tempfile
import uuid

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import Invalid, TooLarge, Unauthorized
from app.services.ingest import INGEST_JOB, IngestRequest
from app.services.records import UploadSource
from app.services.uploads import check_upload_token

#: the largest upload accepted (a compressed archive of reports)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_FLAG = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_NAME = re.compile(r"^[A-Za-z0-9._+-][A-Za-z0-9._+ -]{0,254}$")


def _param(
    request: Request,
    name: str,
    pattern: re.Pattern[str],
    default: str | None = None,
    what: str = "",
) -> str:
    value = request.query_params.get(name, default)
    if value is None or not pattern.match(value):
        raise Invalid(f"query parameter {name!r} is missing or not {what}")
    return value


async def upload(request: Request) -> Response:
    services = request.state.services
    owner, repo = request.path_params["owner"], request.path_params["repo"]
    sha = _param(request, "sha", _SHA, what="a full 40- or 64-hex commit sha")
    flag = _param(request, "flag", _FLAG, "default", "a flag name (letters, digits, . _ -)")
    name = _param(request, "name", _NAME, "upload", "a plain file name")
    branch = request.query_params.get("branch") or None
    if branch is not None and (len(branch) > 255 or "\x00" in branch):
        raise Invalid("query parameter 'branch' is over 255 characters or not text")
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else None

    def authorised() -> bool:
        with services.engine.connect() as conn:
            return check_upload_token(conn, owner, repo, token, services.secret_key)

    if not await anyio.to_thread.run_sync(authorised):
        raise Unauthorized(f"no valid upload token for {owner}/{repo}")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise TooLarge(f"upload of {declared} bytes is over the {MAX_UPLOAD_BYTES}-byte limit")
    key = f"{owner}/{repo}/{sha}/{flag}/raw/push-{uuid.uuid4().hex[:12]}/{name}"
    with tempfile.SpooledTemporaryFile(max_size=1 << 20) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise TooLarge(f"upload is over the {MAX_UPLOAD_BYTES}-byte limit")
            spool.write(chunk)
        if size == 0:
            raise Invalid("the upload is empty")
        spool.seek(0)
        await anyio.to_thread.run_sync(services.store.put, key, spool, "application/octet-stream")
    req = IngestRequest(
        owner=owner,
        repo=repo,
        sha=sha,
        branch=branch,
        flag=flag,
        source=UploadSource("push"),
        keys=(key,),
    )
    job_id = await services.runner.submit(INGEST_JOB, req.to_payload(), key=f"upload:{key}")
    base = services.settings.public_url
    return JSONResponse(
        {
            "status": "accepted",
            "job": job_id,
            "coverage": f"{base}/api/v1/repos/{owner}/{repo}/commits/{sha}?flag={flag}",
        },
        status_code=202,
    )
