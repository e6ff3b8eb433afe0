"""One place maps application errors to HTTP answers."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import AppError

log = logging.getLogger("coverhub.web")


async def app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    if exc.status_code >= 500:
        log.warning("request failed: %s", exc)
    return JSONResponse({"error": exc.slug, "message": str(exc)}, status_code=exc.status_code)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path)
    return JSONResponse(
        {"error": "internal", "message": "internal error; the request id is in the logs"},
        status_code=500,
    )
