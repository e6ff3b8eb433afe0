"""The fake GitHub's objects (plain dataclasses; render.py turns them into GitHub's JSON)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fake_sha(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()


@dataclass
class User:
    login: str
    id: int
    type: str = "User"  # "User", "Organization" or "Bot"


@dataclass
class Installation:
    id: int
    account: User
    repository_selection: str = "selected"
    suspended: bool = False
    permissions: dict[str, str] = field(
        default_factory=lambda: {
            "metadata": "read",
            "actions": "read",
            "checks": "write",
            "statuses": "write",
            "pull_requests": "write",
            "contents": "read",
        }
    )


@dataclass
class Repo:
    id: int
    owner: User
    name: str
    private: bool = False
    default_branch: str = "main"
    installation: Installation | None = None
    parent: Repo | None = None  # set for forks

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    @property
    def fork(self) -> bool:
        return self.parent is not None

    @property
    def installation_id(self) -> int:
        if self.installation is None:
            raise ValueError(f"the App is not installed on {self.full_name}")
        return self.installation.id


@dataclass
class PullRequest:
    id: int
    number: int
    repo: Repo  # the base repository
    head_repo: Repo | None  # None once a fork is deleted
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    user: User
    title: str = "Change things"
    state: str = "open"
    merged: bool = False
    draft: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)  # diff entries, see render.diff_entry
    created_at: datetime = field(default_factory=now)


@dataclass
class Artifact:
    id: int
    name: str
    run: WorkflowRun
    data: bytes  # what blob storage serves: a zip, or the raw file of a skipArchive upload
    zipped: bool = True
    expired: bool = False
    created_at: datetime = field(default_factory=now)

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.data).hexdigest()


@dataclass
class WorkflowRun:
    id: int
    repo: Repo
    head_repo: Repo
    head_sha: str
    head_branch: str | None
    actor: User
    event: str = "pull_request"
    status: str = "completed"
    conclusion: str | None = "success"
    run_attempt: int = 1
    name: str = "CI"
    workflow_id: int = 1001
    path: str = ".github/workflows/ci.yml"
    pull_requests: list[PullRequest] = field(default_factory=list)  # GitHub leaves forks' empty
    artifacts: list[Artifact] = field(default_factory=list)
    created_at: datetime = field(default_factory=now)


@dataclass
class CheckRun:
    id: int
    repo: Repo
    data: dict[str, Any]  # the current JSON (render.check_run adds URLs and the app)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)  # every body POSTed/PATCHed, in order


@dataclass
class Status:
    id: int
    repo: Repo
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: User
    created_at: datetime = field(default_factory=now)


@dataclass
class Comment:
    id: int
    repo: Repo
    issue_number: int
    body: str
    user: User
    via_app: bool = False  # performed_via_github_app
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    history: list[str] = field(default_factory=list)  # earlier bodies


@dataclass
class Comparison:
    repo: Repo
    base: str
    head: str
    merge_base_sha: str
    files: list[dict[str, Any]]
    commits: list[str]  # shas, oldest first
    behind_by: int = 0


@dataclass
class Token:
    token: str
    installation: Installation
    expires_at: datetime
    repository_ids: list[int] | None
    permissions: dict[str, str]


@dataclass
class HookDelivery:
    id: int
    guid: str
    event: str
    action: str | None
    installation_id: int | None
    repository_id: int | None
    url: str
    headers: dict[str, str]
    body: bytes
    redelivery: bool = False
    status_code: int = 0  # 0: could not connect
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    duration: float = 0.0
    delivered_at: datetime = field(default_factory=now)


@dataclass
class Recorded:
    """One request to a known route (401s included); `path` is without a GHES prefix."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int = 0


def zip_bytes(files: dict[str, bytes | str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content.encode() if isinstance(content, str) else content)
    return buf.getvalue()
