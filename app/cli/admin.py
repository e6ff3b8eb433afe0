"""Administration commands on a repository's read side: badge tokens, badge settings, and
recording a deleted branch.

    coverhub badge-token rotate OWNER/REPO     print a new badge token once (the old one stops)
    coverhub badge-token revoke OWNER/REPO     no token works any more
    coverhub badge-config OWNER/REPO [--reset] [--stale-days N] [--thresholds 90:brightgreen,...]
    coverhub branch-deleted OWNER/REPO BRANCH  the branch's badge turns grey "stale"

Each change invalidates the repository's badges: at once on every replica sharing the Redis
cache; on an embedded server (in-process cache) within a minute for private repositories.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from app.cli import UsageError


def register(subparsers: Any) -> None:
    token = subparsers.add_parser(
        "badge-token", help="make or revoke a private repository's badge token"
    )
    actions = token.add_subparsers(dest="action", metavar="ACTION", required=True)
    rotate = actions.add_parser("rotate", help="print a new badge token (shown once)")
    rotate.add_argument("repository", metavar="OWNER/REPO")
    rotate.set_defaults(func=cmd_token_rotate)
    revoke = actions.add_parser("revoke", help="make every badge token of the repository invalid")
    revoke.add_argument("repository", metavar="OWNER/REPO")
    revoke.set_defaults(func=cmd_token_revoke)

    config = subparsers.add_parser("badge-config", help="set a repository's badge settings")
    config.add_argument("repository", metavar="OWNER/REPO")
    config.add_argument(
        "--stale-days",
        type=int,
        default=None,
        help="grey 'stale' after this many days without a new result",
    )
    config.add_argument(
        "--thresholds",
        default=None,
        help="colours by minimum percent, e.g. 90:brightgreen,75:yellow,0:red",
    )
    config.add_argument(
        "--reset",
        action="store_true",
        help="clear the settings made here first (the config file's keys, else the defaults)",
    )
    config.set_defaults(func=cmd_badge_config)

    deleted = subparsers.add_parser("branch-deleted", help="record that a branch was deleted")
    deleted.add_argument("repository", metavar="OWNER/REPO")
    deleted.add_argument("branch")
    deleted.set_defaults(func=cmd_branch_deleted)


def _split(repository: str) -> tuple[str, str]:
    owner, sep, name = repository.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise UsageError(f"{repository!r}: expected OWNER/REPO")
    return owner, name


def _run(repository: str, change: Callable[[sa.Connection, int, str], Any]) -> Any:
    """Apply ``change(conn, repository_id, secret_key)`` in one transaction, then invalidate the
    repository's badges."""
    from app.db.engine import create_engine, migrate
    from app.services.container import secret_key_for
    from app.services.repo_settings import repository_id_of
    from app.settings import from_environ

    owner, name = _split(repository)
    settings = from_environ()
    engine = create_engine(settings.database_url)
    try:
        if settings.database_url.startswith("sqlite"):
            migrate(engine)
        secret = secret_key_for(settings)
        with engine.begin() as conn:
            result = change(conn, repository_id_of(conn, owner, name), secret)
    finally:
        engine.dispose()
    if settings.redis_url:
        asyncio.run(_invalidate(settings.redis_url, owner, name, engine))
    return result


async def _invalidate(redis_url: str, owner: str, name: str, engine: sa.Engine) -> None:
    from app.ports.cache import RedisCache
    from app.services.badges import BadgeService

    cache = RedisCache(redis_url)
    try:
        await BadgeService(cache, engine, "").invalidate(owner, name)
    finally:
        await cache.close()


def cmd_token_rotate(args: argparse.Namespace) -> int:
    from app.services.repo_settings import rotate_badge_token

    token = _run(args.repository, lambda conn, rid, key: rotate_badge_token(conn, rid, key))
    print(token)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from app.services.repo_settings import revoke_badge_token

    _run(args.repository, lambda conn, rid, _key: revoke_badge_token(conn, rid))
    print(f"badge token of {args.repository} revoked")
    return 0


def cmd_badge_config(args: argparse.Namespace) -> int:
    from app.services.repo_settings import parse_thresholds, set_badge_config

    thresholds = parse_thresholds(args.thresholds) if args.thresholds else None
    if args.stale_days is None and thresholds is None and not args.reset:
        raise UsageError("nothing to change: give --reset, --stale-days and/or --thresholds")
    _run(
        args.repository,
        lambda conn, rid, _key: set_badge_config(
            conn, rid, stale_days=args.stale_days, thresholds=thresholds, reset=args.reset
        ),
    )
    print(f"badge settings of {args.repository} updated")
    return 0


def cmd_branch_deleted(args: argparse.Namespace) -> int:
    from app.services.repo_settings import mark_branch_deleted

    _run(args.repository, lambda conn, rid, _key: mark_branch_deleted(conn, rid, args.branch))
    print(f"branch {args.branch} of {args.repository} recorded as deleted")
    return 0
