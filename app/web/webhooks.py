"""POST /webhooks/github: verify, record, enqueue, 202. Nothing slow happens here."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import Invalid, NotFound, TooLarge, Unauthorized
from app.webhooks import deliveries
from app.webhooks.events import DELIVERY_JOB, EVENT_HANDLERS
from app.webhooks.signature import verify

log = logging.getLogger("coverhub.webhooks")

#: GitHub caps payloads at 25 MB and does not deliver larger ones.
MAX_BODY = 25 * 1024 * 1024
_DELIVERY_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_EVENT = re.compile(r"^[a-z_]{1,64}$")


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"webhook body of {declared} bytes is over the {limit}-byte limit")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"webhook body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def github_webhook(request: Request) -> Response:
    services = request.state.services
    secret = services.settings.github_webhook_secret
    if not secret:
        raise NotFound("the GitHub App is not configured on this server")
    body = await _read_capped(request, MAX_BODY)
    if not verify(secret, body, request.headers.get("x-hub-signature-256")):
        raise Unauthorized("missing or wrong X-Hub-Signature-256")
    event = request.headers.get("x-github-event", "")
    delivery_id = request.headers.get("x-github-delivery", "")
    if not _EVENT.match(event):
        raise Invalid("missing or malformed X-GitHub-Event")
    if not _DELIVERY_ID.match(delivery_id):
        raise Invalid("missing or malformed X-GitHub-Delivery")
    if event == "ping":
        return JSONResponse({"status": "pong"})
    try:
        payload: Any = json.loads(body)
    except ValueError as exc:
        raise Invalid(f"webhook body is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise Invalid("webhook body is not a JSON object")
    action = payload.get("action") if isinstance(payload.get("action"), str) else None
    if event not in EVENT_HANDLERS:
        log.info(
            "ignoring event", extra={"event": event, "action": action, "delivery": delivery_id}
        )
        return JSONResponse({"status": "ignored", "event": event}, status_code=202)

    job_payload = {"event": event, "action": action, "delivery_id": delivery_id, "body": payload}
    max_attempts = services.settings.job_max_attempts

    def record() -> tuple[int | None, bool]:
        # one transaction: the delivery, its job, and the link between them
        with services.engine.begin() as conn:
            _row, before = deliveries.record(conn, delivery_id, event, action)
            if before == "done":
                return None, False
            deliveries.mark_queued(conn, delivery_id)
            job_id, is_new = services.jobs.submit_in(
                conn,
                DELIVERY_JOB,
                job_payload,
                f"delivery:{delivery_id}",
                max_attempts,
                reopen=True,  # a redelivery of a failed delivery is processed again
            )
            deliveries.set_job(conn, delivery_id, job_id)
            return job_id, is_new

    job_id, is_new = await anyio.to_thread.run_sync(record)
    if job_id is None:
        return JSONResponse({"status": "already processed"}, status_code=202)
    if is_new:
        await services.runner.notify(job_id)
    return JSONResponse({"status": "accepted", "job": job_id}, status_code=202)
