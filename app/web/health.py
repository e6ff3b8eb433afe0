"""/healthz, /readyz, /metrics."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import __version__


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": __version__})


async def readyz(request: Request) -> Response:
    checks = await request.state.services.readiness()
    failing = [name for name, state in checks.items() if state != "ok"]
    if failing:
        return JSONResponse(
            {"status": "unavailable", "failing": failing, "checks": checks}, status_code=503
        )
    return JSONResponse({"status": "ok", "checks": checks})


async def metrics(request: Request) -> Response:
    registry = request.state.services.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
