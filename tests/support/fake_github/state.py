"""What the fake GitHub knows (seeded by tests) and what it was sent (read by tests).

Everything lives in memory behind one lock: the servers run in a background thread while the
test thread seeds and inspects. Seeding helpers return the objects (models.py); tests may change
their fields (e.g. ``artifact.expired = True``) at any time.
"""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from typing import Any

from tests.support.fake_github.models import (
    Artifact,
    CheckRun,
    Comment,
    Comparison,
    HookDelivery,
    Installation,
    PullRequest,
    Recorded,
    Repo,
    Status,
    Token,
    User,
    WorkflowRun,
    fake_sha,
    now,
    zip_bytes,
)

_IDS = itertools.count(1000)


class State:
    """The fake's world. Seed with add_*; read check_runs, statuses, comments, requests."""

    def __init__(self, app_id: int, app_slug: str) -> None:
        self.lock = threading.RLock()
        self.app_id = app_id
        self.app_slug = app_slug
        self.bot = User(f"{app_slug}[bot]", 41000000 + app_id, "Bot")
        self.users: dict[str, User] = {self.bot.login: self.bot}
        self.installations: dict[int, Installation] = {}
        self.repos: dict[str, Repo] = {}
        self.runs: dict[int, WorkflowRun] = {}
        self.artifacts: dict[int, Artifact] = {}
        self.pulls: list[PullRequest] = []
        self.comparisons: list[Comparison] = []
        self.contents: dict[tuple[int, str, str], bytes] = {}  # (repo id, ref, path)
        self.check_runs: list[CheckRun] = []
        self.statuses: list[Status] = []
        self.comments: list[Comment] = []
        self.tokens: dict[str, Token] = {}
        self.deliveries: list[HookDelivery] = []
        self.requests: list[Recorded] = []
        self.schema_errors: list[str] = []  # responses off the official schema (a fake bug)
        self.server_errors: list[str] = []  # tracebacks of the fake's own crashes (500s)

    def next_id(self) -> int:
        # one counter per process: ids never repeat across resets, so a client that cached an
        # installation token in an earlier test cannot hit a same-numbered installation
        return next(_IDS)

    # ------------------------------------------------------------------ seeding

    def user(self, login: str, type_: str = "User") -> User:
        with self.lock:
            if login not in self.users:
                self.users[login] = User(login, self.next_id(), type_)
            return self.users[login]

    def add_installation(
        self, account: str = "octo-org", type_: str = "Organization"
    ) -> Installation:
        with self.lock:
            inst = Installation(self.next_id(), self.user(account, type_))
            self.installations[inst.id] = inst
            return inst

    def add_repo(
        self,
        full_name: str,
        installation: Installation | None = None,
        *,
        private: bool = False,
        default_branch: str = "main",
        fork_of: Repo | None = None,
    ) -> Repo:
        owner, name = full_name.split("/")
        with self.lock:
            repo = Repo(
                self.next_id(),
                self.user(owner),
                name,
                private=private,
                default_branch=default_branch,
                installation=installation,
                parent=fork_of,
            )
            self.repos[full_name.lower()] = repo
            return repo

    def add_pull_request(
        self,
        repo: Repo,
        *,
        head_sha: str,
        head_ref: str = "feature",
        base_ref: str | None = None,
        base_sha: str | None = None,
        head_repo: Repo | None = None,
        number: int | None = None,
        user: str = "contributor",
        files: list[dict[str, Any]] | None = None,
        state: str = "open",
    ) -> PullRequest:
        with self.lock:
            pr = PullRequest(
                id=self.next_id(),
                number=number
                or 1 + max((p.number for p in self.pulls if p.repo is repo), default=0),
                repo=repo,
                head_repo=head_repo or repo,
                head_ref=head_ref,
                head_sha=head_sha,
                base_ref=base_ref or repo.default_branch,
                base_sha=base_sha or fake_sha(f"base-of-{head_sha}"),
                user=self.user(user),
                state=state,
                files=list(files or []),
            )
            self.pulls.append(pr)
            return pr

    def add_workflow_run(
        self,
        repo: Repo,
        *,
        head_sha: str,
        head_branch: str | None = "feature",
        head_repo: Repo | None = None,
        pull_requests: list[PullRequest] | None = None,
        actor: str = "contributor",
        **fields: Any,
    ) -> WorkflowRun:
        with self.lock:
            run = WorkflowRun(
                id=self.next_id(),
                repo=repo,
                head_repo=head_repo or repo,
                head_sha=head_sha,
                head_branch=head_branch,
                actor=self.user(actor),
                pull_requests=list(pull_requests or []),
                **fields,
            )
            self.runs[run.id] = run
            return run

    def add_artifact(
        self,
        run: WorkflowRun,
        name: str,
        files: dict[str, bytes | str] | None = None,
        *,
        raw: bytes | None = None,
        expired: bool = False,
        age: timedelta = timedelta(0),
    ) -> Artifact:
        """A zip built from `files`, or `raw` bytes served as they are.

        `raw` starting with the zip magic is served as a zip (hand-made hostile archives: bombs,
        traversal, links); other `raw` bytes are one unzipped file (upload-artifact skipArchive).
        """
        if (files is None) == (raw is None):
            raise ValueError("give files (a zip is built) or raw (bytes served as they are)")
        with self.lock:
            art = Artifact(
                id=self.next_id(),
                name=name,
                run=run,
                data=zip_bytes(files) if files is not None else raw or b"",
                zipped=files is not None or (raw or b"").startswith(b"PK\x03\x04"),
                expired=expired,
                created_at=now() - age,
            )
            run.artifacts.append(art)
            self.artifacts[art.id] = art
            return art

    def put_file(self, repo: Repo, path: str, content: bytes | str, ref: str | None = None) -> None:
        """A file for the contents API at `ref` (a branch name or sha; default: default branch)."""
        data = content.encode() if isinstance(content, str) else content
        with self.lock:
            self.contents[(repo.id, ref or repo.default_branch, path)] = data

    def set_comparison(
        self,
        repo: Repo,
        base: str,
        head: str,
        *,
        merge_base_sha: str | None = None,
        files: list[dict[str, Any]] | None = None,
        commits: list[str] | None = None,
        behind_by: int = 0,
    ) -> Comparison:
        with self.lock:
            cmp = Comparison(
                repo,
                base,
                head,
                merge_base_sha or base,
                list(files or []),
                list(commits or [head]),
                behind_by,
            )
            self.comparisons.append(cmp)
            return cmp

    def add_comment(
        self, repo: Repo, issue_number: int, body: str, user: str = "someone"
    ) -> Comment:
        """A comment by a person (or, with user=state.bot.login, one the App wrote earlier)."""
        with self.lock:
            author = self.bot if user == self.bot.login else self.user(user)
            comment = Comment(
                self.next_id(), repo, issue_number, body, author, via_app=author is self.bot
            )
            self.comments.append(comment)
            return comment

    # ------------------------------------------------------------------ reading

    def repo(self, owner: str, name: str) -> Repo | None:
        return self.repos.get(f"{owner}/{name}".lower())

    def checks_for(self, head_sha: str | None = None, name: str | None = None) -> list[CheckRun]:
        with self.lock:
            return [
                c
                for c in self.check_runs
                if (head_sha is None or c.data["head_sha"] == head_sha)
                and (name is None or c.data["name"] == name)
            ]

    def shown_check(self, head_sha: str, name: str) -> CheckRun | None:
        """The check run GitHub shows for ``name`` on ``head_sha``: the newest of that name (the
        PR's checks, required checks and ``filter=latest`` listings all take it)."""
        runs = self.checks_for(head_sha, name)
        return max(runs, key=lambda c: c.id) if runs else None

    def statuses_for(self, sha: str, context: str | None = None) -> list[Status]:
        with self.lock:
            return [
                s
                for s in self.statuses
                if s.sha == sha and (context is None or s.context.lower() == context.lower())
            ]

    def comments_on(self, repo: Repo, issue_number: int) -> list[Comment]:
        with self.lock:
            return [c for c in self.comments if c.repo is repo and c.issue_number == issue_number]

    def requests_to(self, method: str, path_contains: str = "") -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.method == method and path_contains in r.path]

    def expire_tokens(self) -> None:
        """Make every issued installation token expired (the next use answers 401)."""
        with self.lock:
            for token in self.tokens.values():
                token.expires_at = now() - timedelta(seconds=1)
