"""App-level routes (App JWT): the App, installations, access tokens, hook deliveries."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Any

from tests.support.fake_github.api import Api, Ctx, HTTPError, Reply, invalid
from tests.support.fake_github.models import HookDelivery, Installation, Token, iso, now

NOT_ACCESSIBLE = (
    "There is at least one repository that does not exist or is not accessible to the parent"
    " installation."
)
NOT_GRANTED = "The permissions requested are not granted to this installation."


def _installation(ctx: Ctx) -> Installation:
    try:
        inst = ctx.state.installations.get(int(ctx.params["installation_id"]))
    except ValueError:
        inst = None
    if inst is None:
        raise HTTPError(404, "Not Found")
    return inst


def register(api: Api) -> None:
    @api.route("GET", "/app", "apps/get-authenticated", "jwt")
    async def get_app(ctx: Ctx) -> Reply:
        return Reply(200, ctx.render.app())

    @api.route("GET", "/app/installations", "apps/list-installations", "jwt")
    async def list_installations(ctx: Ctx) -> Reply:
        with ctx.state.lock:
            items = list(ctx.state.installations.values())
        chunk, headers = ctx.paginate(items)
        return Reply(200, [ctx.render.installation(i) for i in chunk], headers)

    @api.route("GET", "/app/installations/{installation_id}", "apps/get-installation", "jwt")
    async def get_installation(ctx: Ctx) -> Reply:
        return Reply(200, ctx.render.installation(_installation(ctx)))

    @api.route(
        "POST",
        "/app/installations/{installation_id}/access_tokens",
        "apps/create-installation-access-token",
        "jwt",
    )
    async def create_token(ctx: Ctx) -> Reply:
        inst = _installation(ctx)
        if inst.suspended:
            raise HTTPError(403, "This installation has been suspended")
        body = ctx.body or {}
        with ctx.state.lock:
            repos = [r for r in ctx.state.repos.values() if r.installation is inst]
            ids: list[int] | None = None
            if "repositories" in body or "repository_ids" in body:
                names = {n.lower() for n in body.get("repositories", [])}
                wanted = set(body.get("repository_ids", []))
                chosen = [r for r in repos if r.name.lower() in names or r.id in wanted]
                if len(chosen) != len(names) + len(wanted):
                    raise invalid("Installation", "repositories", NOT_ACCESSIBLE)
                ids = [r.id for r in chosen]
                repos = chosen
            requested = body.get("permissions") or {}
            for name, level in requested.items():
                granted = inst.permissions.get(name)
                if granted is None or (level == "write" and granted != "write"):
                    raise invalid("Installation", "permissions", f"{name}: {NOT_GRANTED}")
            permissions = dict(requested) if requested else dict(inst.permissions)
            token = Token(
                "ghs_" + secrets.token_urlsafe(27),
                inst,
                now() + timedelta(hours=1),
                ids,
                permissions,
            )
            ctx.state.tokens[token.token] = token
        out: dict[str, Any] = {
            "token": token.token,
            "expires_at": iso(token.expires_at),
            "permissions": permissions,
            "repository_selection": "selected" if ids is not None else inst.repository_selection,
        }
        if ids is not None:
            out["repositories"] = [ctx.render.repo(r) for r in repos]
        return Reply(201, out)

    @api.route("GET", "/repos/{owner}/{repo}/installation", "apps/get-repo-installation", "jwt")
    async def repo_installation(ctx: Ctx) -> Reply:
        repo = ctx.state.repo(ctx.params["owner"], ctx.params["repo"])
        if repo is None or repo.installation is None:
            raise HTTPError(404, "Not Found")
        return Reply(200, ctx.render.installation(repo.installation))

    @api.route("GET", "/app/hook/deliveries", "apps/list-webhook-deliveries", "jwt")
    async def list_deliveries(ctx: Ctx) -> Reply:
        """Newest first, cursor-paginated through Link like GitHub's."""
        status = ctx.query("status")
        with ctx.state.lock:
            items = sorted(ctx.state.deliveries, key=lambda d: d.id, reverse=True)
        if status == "success":
            items = [d for d in items if 200 <= d.status_code < 300]
        elif status == "failure":
            items = [d for d in items if not 200 <= d.status_code < 300]
        elif status is not None:
            raise invalid("Delivery", "status", "status must be one of: success, failure")
        per_page = min(max(int(ctx.query("per_page") or 30), 1), 100)
        cursor = ctx.query("cursor")
        if cursor:
            items = [d for d in items if d.id < int(cursor)]
        chunk = items[:per_page]
        headers = {}
        if len(items) > per_page:
            url = ctx.request.url.include_query_params(cursor=chunk[-1].id, per_page=per_page)
            headers["Link"] = f'<{url}>; rel="next"'
        return Reply(200, [ctx.render.delivery(d) for d in chunk], headers)

    def _delivery(ctx: Ctx) -> HookDelivery:
        with ctx.state.lock:
            for d in ctx.state.deliveries:
                if str(d.id) == ctx.params["delivery_id"]:
                    return d
        raise HTTPError(404, "Not Found")

    @api.route("GET", "/app/hook/deliveries/{delivery_id}", "apps/get-webhook-delivery", "jwt")
    async def get_delivery(ctx: Ctx) -> Reply:
        return Reply(200, ctx.render.delivery(_delivery(ctx), full=True))

    @api.route(
        "POST",
        "/app/hook/deliveries/{delivery_id}/attempts",
        "apps/redeliver-webhook-delivery",
        "jwt",
    )
    async def redeliver(ctx: Ctx) -> Reply:
        """202 at once; the same payload and GUID go out again in the background."""
        original = _delivery(ctx)
        task = asyncio.get_running_loop().create_task(ctx.fake.hooks.aredeliver(original))
        ctx.fake.background.add(task)
        task.add_done_callback(ctx.fake.background.discard)
        return Reply(202, {})
