"""A throwaway git repository for tests: commands run in it with a fixed identity and no user or
system git configuration, and files written into it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def run(repo: Path, *args: str) -> str:
    """Run a command in ``repo`` (git's identity set); its standard output."""
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(args, cwd=repo, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def git(repo: Path, *args: str) -> str:
    return run(repo, "git", *args)


def write(repo: Path, files: dict[str, str], encoding: str = "utf-8") -> None:
    """Write ``files`` (path -> text) under ``repo``, making directories as needed."""
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode(encoding))
