"""`coverhub upload` (the push path for any CI) and `coverhub upload-token`.

coverhub upload PATH... --url URL --token TOKEN --repo OWNER/REPO --sha SHA
                [--branch BRANCH] [--flag FLAG]
coverhub upload-token rotate OWNER/REPO     print a new upload token once (on the server)
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

from app.cli import UsageError

ENV_TOKEN = "COVERHUB_UPLOAD_TOKEN"  # noqa: S105 - the variable's name, not a secret


def register(subparsers: Any) -> None:
    up = subparsers.add_parser("upload", help="send coverage reports to a coverhub server")
    up.add_argument("paths", nargs="+", metavar="PATH", help="report files or directories")
    add_target_options(up)
    up.set_defaults(func=run_upload)

    token = subparsers.add_parser("upload-token", help="manage a repository's upload token")
    actions = token.add_subparsers(dest="action", metavar="ACTION", required=True)
    rotate = actions.add_parser("rotate", help="print a new upload token (shown once)")
    rotate.add_argument("repository", metavar="OWNER/REPO")
    rotate.set_defaults(func=run_rotate)


def add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", required=False, help="the coverhub server, e.g. https://cov.example.com"
    )
    parser.add_argument("--token", help=f"the repository's upload token (or ${ENV_TOKEN})")
    parser.add_argument("--repo", required=False, metavar="OWNER/REPO")
    parser.add_argument("--sha", required=False, help="the full commit sha the reports are of")
    parser.add_argument("--branch")
    parser.add_argument("--flag", default="default")


def _split(repository: str) -> tuple[str, str]:
    owner, sep, name = repository.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise UsageError(f"{repository!r}: expected OWNER/REPO")
    return owner, name


def pack(paths: list[str]) -> tuple[str, bytes]:
    """One file as it is; several files or a directory as one zip (what the server unpacks)."""
    files: list[tuple[str, Path]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for item in sorted(path.rglob("*")):
                if item.is_file() and not item.is_symlink():
                    files.append((item.relative_to(path.parent).as_posix(), item))
        elif path.is_file():
            files.append((path.name, path))
        else:
            raise UsageError(f"{raw}: no such file or directory")
    if not files:
        raise UsageError("nothing to upload")
    if len(files) == 1 and not Path(paths[0]).is_dir():
        return files[0][0], files[0][1].read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path in files:
            zf.write(path, name)
    return "upload.zip", buf.getvalue()


def check_target(args: argparse.Namespace) -> str:
    """The upload token, once the target options are all there (else UsageError)."""
    token: str | None = args.token or os.environ.get(ENV_TOKEN)
    given = (("--url", args.url), ("--repo", args.repo), ("--sha", args.sha), ("--token", token))
    missing = [opt for opt, value in given if not value]
    if missing:
        raise UsageError(f"missing {', '.join(missing)} (needed to upload)")
    _split(args.repo)
    assert token is not None
    return token


def send(args: argparse.Namespace, name: str, body: bytes) -> dict[str, Any]:
    """POST the body; raise UsageError with the server's own message on refusal."""
    import httpx

    token = check_target(args)
    owner, repo = _split(args.repo)
    params = {"sha": args.sha, "flag": args.flag, "name": name}
    if args.branch:
        params["branch"] = args.branch
    url = f"{args.url.rstrip('/')}/api/v1/repos/{owner}/{repo}/uploads"
    try:
        resp = httpx.post(
            url,
            params=params,
            content=body,
            timeout=60,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/octet-stream",
            },
        )
    except httpx.HTTPError as exc:
        raise UsageError(f"{url}: {exc}") from None
    if resp.status_code != 202:
        try:
            message = resp.json().get("message", resp.text)
        except ValueError:
            message = resp.text[:200]
        raise UsageError(f"{url}: {resp.status_code}: {message}")
    result: dict[str, Any] = resp.json()
    return result


def run_upload(args: argparse.Namespace) -> int:
    check_target(args)
    name, body = pack(args.paths)
    result = send(args, name, body)
    print(f"uploaded {name} ({len(body)} bytes): job {result['job']}; {result['coverage']}")
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    from app.db.engine import create_engine
    from app.services.container import secret_key_for
    from app.services.uploads import rotate_upload_token
    from app.settings import from_environ

    owner, repo = _split(args.repository)
    settings = from_environ()
    engine = create_engine(settings.database_url)
    try:
        if settings.database_url.startswith("sqlite"):
            from app.db.engine import migrate

            migrate(engine)
        with engine.begin() as conn:
            token = rotate_upload_token(conn, owner, repo, secret_key_for(settings))
    finally:
        engine.dispose()
    print(token)
    print(
        f"the upload token of {owner}/{repo}; it is shown once, keep it in a CI secret",
        file=sys.stderr,
    )
    return 0
