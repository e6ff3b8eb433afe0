"""Reading a repository's files through the contents API: its coverhub configuration (from the
base branch, never a pull request's head) and the go.mod files that map Go import paths."""

from __future__ import annotations

import base64
import logging
from typing import Any

from app.github.gateway import GitHubGateway
from app.repoconfig import CONFIG_PATHS, MAX_CONFIG_BYTES, Problem, RepoConfig, parse

log = logging.getLogger("coverhub.github")


async def read_file(
    gateway: GitHubGateway,
    gh: Any,
    owner: str,
    repo: str,
    path: str,
    ref: str,
    max_bytes: int = 1 << 20,
) -> bytes | None:
    """A file's bytes at ``ref``, or None when there is no such file."""
    resp = await gateway.call_or_none(
        "contents", lambda: gh.rest.repos.async_get_content(owner, repo, path, ref=ref)
    )
    return None if resp is None else _decode(resp.json(), path, max_bytes)


def _decode(doc: Any, path: str, max_bytes: int) -> bytes | None:
    if not isinstance(doc, dict) or doc.get("type") != "file":
        return None  # a directory or a symlink to one
    if int(doc.get("size") or 0) > max_bytes:
        return b"\x00" * (max_bytes + 1)  # let the parser say it is too big
    return base64.b64decode(doc.get("content") or "")


async def load_config(
    gateway: GitHubGateway, gh: Any, owner: str, repo: str, ref: str
) -> tuple[RepoConfig, list[Problem]]:
    """The first configuration file found at ``ref`` (defaults when there is none)."""
    for path in CONFIG_PATHS:
        data = await read_file(gateway, gh, owner, repo, path, ref, MAX_CONFIG_BYTES)
        if data is not None:
            config, problems = parse(data, path)
            if problems:
                log.info(
                    "configuration problems in %s/%s %s@%s: %s",
                    owner,
                    repo,
                    path,
                    ref,
                    "; ".join(map(str, problems)),
                )
            return config, problems
    return RepoConfig(), []
