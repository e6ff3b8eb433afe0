"""The inputs of a run's feedback: stored reports, the base commit and the pull request's diff.

Base commit (always said, with why: :class:`~app.feedback.inputs.BaseChoice`): for a PR the merge
base of its base branch and the head (compare ``{base}...{head}``); for a push, the nearest
ancestor of the head with a report; when the merge base has no report, the nearest ancestor that
has one. Candidates are our merged upload rows on the base branch (newest first, at most
:data:`MAX_CANDIDATES`), each confirmed an ancestor by compare ``{candidate}...{target}``
(``ahead``/``identical``, ``behind_by`` 0; ``ahead_by`` says how far behind). The commits
table's ``parents`` column is filled by no event today, so the graph comes from GitHub.

The diff of a PR comes from its files (``pulls/{n}/files``, at most 3000): a file GitHub gives
no patch for (binary, too large) is "not measured".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import anyio.to_thread
import sqlalchemy as sa

from app.coverage.diff import Diff, parse_diff
from app.coverage.errors import CoverageError
from app.coverage.model import CoverageReport
from app.coverage.patch import PatchCoverage, patch_coverage
from app.coverage.serialize import from_json
from app.db.schema import uploads
from app.feedback.inputs import DEFAULT_FLAG, BaseChoice, BaseRule, FeedbackInput, Links
from app.github.gateway import GitHubGateway
from app.jobs.runner import JobContext
from app.repoconfig import RepoConfig
from app.services.github_runs import RunRef
from app.services.merged import MERGED, MERGED_NAME, upload_prefix

MAX_PR_FILES = 3000
SOURCE = "pull request files"
MAX_CANDIDATES = 20


@dataclass
class PullContext:
    """One pull request of the run: its number, base branch and diff."""

    number: int
    base_ref: str
    head_sha: str
    diff: Diff | None = None
    unpatched: tuple[str, ...] = ()
    capped: bool = False


@dataclass
class FeedbackSource:
    """What the feedback of one run is computed from: stored reports, the base commit, the
    pull request's diff (memoised per run)."""

    ctx: JobContext
    gateway: GitHubGateway
    gh: Any
    ref: RunRef
    config: RepoConfig
    problems: tuple[str, ...] = ()
    repo_id: int | None = None
    _compares: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    _reports: dict[tuple[str, str], CoverageReport | None] = field(default_factory=dict)

    async def _merged(self, column: Any, *where: Any) -> list[str]:
        """``column`` of this repository's merged upload rows matching ``where``, newest first."""

        def query() -> list[str]:
            if self.repo_id is None:
                return []
            with self.ctx.store.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(column)
                    .where(uploads.c.repository_id == self.repo_id, uploads.c.source == MERGED)
                    .where(*where)
                    .order_by(uploads.c.id.desc())
                    .limit(MAX_CANDIDATES * 4)
                )
                return list(dict.fromkeys(str(r[0]) for r in rows))

        return await anyio.to_thread.run_sync(query)

    async def report(self, sha: str, flag: str) -> CoverageReport | None:
        """The stored merged report of (sha, flag), or None when there is none."""
        if (sha, flag) not in self._reports:
            found = None
            if await self._merged(uploads.c.id, uploads.c.sha == sha, uploads.c.flag == flag):
                key = upload_prefix(self.ref.owner, self.ref.repo, sha, flag) + MERGED_NAME
                data = await anyio.to_thread.run_sync(
                    lambda: self.ctx.services.store.open(key).read()
                )
                found = from_json(data, key)
            self._reports[sha, flag] = found
        return self._reports[sha, flag]

    async def flags_of_head(self) -> list[str]:
        """Every flag with a merged report on the head commit (other runs' flags too)."""
        return sorted(await self._merged(uploads.c.flag, uploads.c.sha == self.ref.head_sha))

    async def candidates(self, flag: str, branch: str, exclude: Sequence[str]) -> list[str]:
        """Commits on ``branch`` with a merged report of ``flag``, newest first."""
        found = await self._merged(
            uploads.c.sha,
            uploads.c.flag == flag,
            uploads.c.branch == branch,
            uploads.c.sha.not_in(list(exclude)),
        )
        return found[:MAX_CANDIDATES]

    async def compare(self, basehead: str) -> dict[str, Any] | None:
        if basehead not in self._compares:
            resp = await self.gateway.call_or_none(
                "pulls",
                lambda: self.gh.rest.repos.async_compare_commits(
                    self.ref.owner, self.ref.repo, basehead, per_page=1
                ),
            )
            self._compares[basehead] = None if resp is None else resp.json()
        return self._compares[basehead]

    async def pull(self, number: int) -> PullContext | None:
        resp = await self.gateway.call_or_none(
            "pulls", lambda: self.gh.rest.pulls.async_get(self.ref.owner, self.ref.repo, number)
        )
        if resp is None:
            return None
        data = resp.json()
        pr = PullContext(number, str(data["base"]["ref"]), str(data["head"]["sha"]))
        items = await self.gateway.paginate(
            "pulls",
            lambda page: self.gh.rest.pulls.async_list_files(
                self.ref.owner, self.ref.repo, number, per_page=100, page=page
            ),
            limit=MAX_PR_FILES,
        )
        pr.diff, pr.unpatched = files_to_diff(items)
        pr.capped = len(items) >= MAX_PR_FILES
        return pr

    async def choose_base(
        self, flag: str, pr: PullContext | None, default_branch: str
    ) -> tuple[BaseChoice, CoverageReport | None]:
        head = self.ref.head_sha
        branch = pr.base_ref if pr is not None else (self.ref.head_branch or default_branch)
        if pr is not None:
            cmp = await self.compare(f"{pr.base_ref}...{head}")
            merge_base = ((cmp or {}).get("merge_base_commit") or {}).get("sha")
            if not merge_base:
                return BaseChoice(BaseRule.NONE, branch=branch), None
            found = await self.report(merge_base, flag)
            if found is not None:
                return BaseChoice(BaseRule.MERGE_BASE, merge_base, branch, merge_base), found
            target, rule, offset = str(merge_base), BaseRule.NEAREST_ANCESTOR, 0
        else:
            target, rule, offset, merge_base = head, BaseRule.FIRST_PARENT, 1, None
        for sha in await self.candidates(flag, branch, [head, target]):
            cmp = await self.compare(f"{sha}...{target}")
            if cmp is None or cmp.get("status") not in ("ahead", "identical"):
                continue
            if int(cmp.get("behind_by") or 0) != 0:
                continue
            behind = max(int(cmp.get("ahead_by") or 0) - offset, 0)
            found = await self.report(sha, flag)
            if found is not None:
                return BaseChoice(rule, sha, branch, merge_base, behind), found
        return BaseChoice(BaseRule.NONE, branch=branch, merge_base=merge_base), None

    def links(self, flag: str) -> Links:
        root = self.ctx.services.settings.public_url.rstrip("/")
        owner, repo, sha = self.ref.owner, self.ref.repo, self.ref.head_sha
        report = f"{root}/{quote(owner)}/{quote(repo)}/commit/{sha}/"
        if flag != DEFAULT_FLAG:
            report += f"{quote(flag, safe='')}/"
        return Links(report, file=report + "{path}.html", line=report + "{path}.html#L{line}")

    async def feedback(
        self, flag: str, head: CoverageReport, pr: PullContext | None, default_branch: str
    ) -> FeedbackInput:
        choice, base = await self.choose_base(flag, pr, default_branch)
        diff = pr.diff if pr is not None else None
        patch: PatchCoverage | None = None
        if diff is not None:
            patch = patch_coverage([head], diff)
        return FeedbackInput.build(
            head_sha=self.ref.head_sha,
            head=head,
            base=base,
            base_choice=choice,
            links=self.links(flag),
            flag=flag,
            pr_number=pr.number if pr is not None else None,
            default_branch_push=pr is None and self.ref.head_branch == default_branch,
            patch=patch,
            unpatched=pr.unpatched if pr is not None else (),
            files_capped=pr.capped if pr is not None else False,
            changed_paths=diff.changed_paths() if diff is not None else (),
            renames=diff.renames() if diff is not None else None,
            config_problems=self.problems,
        )


def files_to_diff(items: Sequence[dict[str, Any]]) -> tuple[Diff, tuple[str, ...]]:
    """PR files as the unified diff git would print, and the files GitHub gave no patch for
    (binary or too large: "not measured"). Removed files and pure renames need no patch.

    A patch that does not parse (cut short, say) makes its file "not measured" too: one odd
    file must not cost the pull request its whole feedback.
    """
    parts: list[tuple[str, str]] = []
    unpatched: list[str] = []
    for item in items:
        path = str(item["filename"])
        old = str(item.get("previous_filename") or path)
        status = item.get("status")
        patch = item.get("patch")
        if patch is None:
            pure_rename = status == "renamed" and not item.get("changes")
            if status not in ("removed", "unchanged") and not pure_rename:
                unpatched.append(path)
            continue
        head = f"diff --git a/{old} b/{path}\n"
        if status == "renamed":
            head += f"rename from {old}\nrename to {path}\n"
        if status == "added":
            head += f"new file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        elif status == "removed":
            head += f"deleted file mode 100644\n--- a/{old}\n+++ /dev/null\n"
        else:
            head += f"--- a/{old}\n+++ b/{path}\n"
        parts.append((path, head + patch + ("" if patch.endswith("\n") else "\n")))
    try:
        return parse_diff("".join(p for _, p in parts), SOURCE), tuple(unpatched)
    except CoverageError:
        pass
    good = []
    for path, part in parts:
        try:
            parse_diff(part, SOURCE)
        except CoverageError:
            unpatched.append(path)
        else:
            good.append(part)
    return parse_diff("".join(good), SOURCE), tuple(unpatched)
