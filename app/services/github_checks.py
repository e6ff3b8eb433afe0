"""Check runs on a head sha: find ours, create or update it. The PR feedback issue builds the
summaries; here: the pending check, and a failure that says what went wrong."""

from __future__ import annotations

from typing import Any

from app.github.gateway import GitHubGateway

CHECK_NAME = "coverhub"
#: GitHub's limit on output.summary (65535) with room for a truncation note
MAX_SUMMARY = 60_000


async def find_check_runs(
    gateway: GitHubGateway, gh: Any, owner: str, repo: str, sha: str, name: str = CHECK_NAME
) -> list[dict[str, Any]]:
    resp = await gateway.call(
        "checks",
        lambda: gh.rest.checks.async_list_for_ref(owner, repo, sha, check_name=name, per_page=100),
    )
    runs: list[dict[str, Any]] = resp.json().get("check_runs", [])
    return runs


async def complete_check(
    gateway: GitHubGateway,
    gh: Any,
    *,
    owner: str,
    repo: str,
    sha: str,
    conclusion: str,
    title: str,
    summary: str,
    external_id: str | None = None,
    details_url: str | None = None,
    name: str = CHECK_NAME,
) -> int:
    """Complete the unfinished check run of that name on ``sha`` (or create a completed one)."""
    if len(summary) > MAX_SUMMARY:
        summary = summary[:MAX_SUMMARY] + "\n\n(truncated)"
    data: dict[str, Any] = {
        "status": "completed",
        "conclusion": conclusion,
        "output": {"title": title[:255], "summary": summary},
    }
    if external_id is not None:
        data["external_id"] = external_id
    if details_url is not None:
        data["details_url"] = details_url
    open_runs = [
        r
        for r in await find_check_runs(gateway, gh, owner, repo, sha, name)
        if r.get("status") != "completed"
    ]
    if open_runs:
        check_id = int(open_runs[0]["id"])
        await gateway.call(
            "checks", lambda: gh.rest.checks.async_update(owner, repo, check_id, data=data)
        )
        return check_id
    resp = await gateway.call(
        "checks",
        lambda: gh.rest.checks.async_create(
            owner, repo, data={"name": name, "head_sha": sha, **data}
        ),
    )
    return int(resp.json()["id"])
