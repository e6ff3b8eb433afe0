"""What feedback is computed from: one commit and flag's situation, as plain frozen data.

The wiring layer (GitHub calls, storage) builds a :class:`FeedbackInput` per commit and flag and
hands it to the pure functions of :mod:`app.feedback.gates`, :mod:`~app.feedback.status`,
:mod:`~app.feedback.check` and :mod:`~app.feedback.comment`. Nothing here does I/O.

The base is explained, never implied (peers' users complain most about opaque bases): a
:class:`BaseChoice` says which commit was used and by which rule, and its :meth:`BaseChoice.why`
is printed next to every delta.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from app.coverage.compare import Comparison, compare
from app.coverage.model import CoverageReport
from app.coverage.patch import PatchCoverage

DEFAULT_FLAG = "default"


class BaseRule(StrEnum):
    """How the base commit was chosen."""

    MERGE_BASE = "merge_base"  # pull request: the merge base of the base branch and the head
    NEAREST_ANCESTOR = "nearest_ancestor"  # the merge base had no report; an older one did
    FIRST_PARENT = "first_parent"  # push: the first parent, or the nearest first-parent ancestor
    NONE = "none"  # no report found on any candidate


@dataclass(frozen=True, slots=True)
class BaseChoice:
    """The base commit used for deltas, and why.

    ``sha`` is the commit whose report is the base (``None`` with :attr:`BaseRule.NONE`).
    ``merge_base`` is the merge base itself (for :attr:`BaseRule.NEAREST_ANCESTOR` it differs from
    ``sha``); ``behind`` counts the commits between the two (or, for a push, from the first
    parent); ``branch`` is the base branch's name.
    """

    rule: BaseRule
    sha: str | None = None
    branch: str = "main"
    merge_base: str | None = None
    behind: int = 0

    def __post_init__(self) -> None:
        if (self.sha is None) != (self.rule is BaseRule.NONE):
            raise ValueError("a base sha is given exactly when a base was found")
        if self.behind < 0:
            raise ValueError("behind must be >= 0")

    def why(self) -> str:
        """One sentence saying which commit was used and why."""
        sha = (self.sha or "")[:7]
        if self.rule is BaseRule.MERGE_BASE:
            return f"merge base of {self.branch} and the head"
        if self.rule is BaseRule.NEAREST_ANCESTOR:
            commits = "commit" if self.behind == 1 else "commits"
            return (
                f"nearest ancestor with a report: {sha} ({self.behind} {commits} behind the "
                f"merge base, which had none)"
            )
        if self.rule is BaseRule.FIRST_PARENT:
            if self.behind == 0:
                return "first parent with a report"
            commits = "commit" if self.behind == 1 else "commits"
            return (
                f"first parent with a report: {sha} ({self.behind} {commits} behind the first "
                f"parent, which had none)"
            )
        return "no base report found"


@dataclass(frozen=True, slots=True)
class Links:
    """Where the hosted report lives.

    ``report`` is the full report of this commit and flag. ``file`` is a template for one file's
    page with ``{path}``; ``line`` a template for one line with ``{path}`` and ``{line}``. Paths
    are URL-quoted ("/" kept). Templates left ``None`` make the texts unlinked.
    """

    report: str
    file: str | None = None
    line: str | None = None

    def file_url(self, path: str) -> str | None:
        return None if self.file is None else self.file.format(path=quote(path, safe="/"))

    def line_url(self, path: str, line: int) -> str | None:
        if self.line is None:
            return self.file_url(path)
        return self.line.format(path=quote(path, safe="/"), line=line)


@dataclass(frozen=True, slots=True)
class FeedbackInput:
    """One commit and flag: everything the decisions and texts need.

    ``patch`` is ``None`` when there is no diff (a push); ``unpatched`` lists the files GitHub
    gave no patch for (binary, too large) and ``files_capped`` says the PR-files listing hit its
    3000-file cap: both are shown as "not measured", never as 0% or 100%. ``comparison`` is filled
    by :meth:`build` from the two reports and the diff's paths.
    """

    head_sha: str
    head: CoverageReport
    base: CoverageReport | None
    base_choice: BaseChoice
    links: Links
    flag: str = DEFAULT_FLAG
    pr_number: int | None = None
    default_branch_push: bool = False
    patch: PatchCoverage | None = None
    unpatched: tuple[str, ...] = ()
    files_capped: bool = False
    changed_paths: frozenset[str] = frozenset()
    comparison: Comparison | None = None
    config_problems: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.base is None) != (self.base_choice.rule is BaseRule.NONE):
            raise ValueError("a base report is given exactly when a base commit was chosen")

    @classmethod
    def build(
        cls,
        *,
        head_sha: str,
        head: CoverageReport,
        base: CoverageReport | None,
        base_choice: BaseChoice,
        links: Links,
        flag: str = DEFAULT_FLAG,
        pr_number: int | None = None,
        default_branch_push: bool = False,
        patch: PatchCoverage | None = None,
        unpatched: Collection[str] = (),
        files_capped: bool = False,
        changed_paths: Collection[str] = (),
        renames: Mapping[str, str] | None = None,
        config_problems: Collection[str] = (),
    ) -> FeedbackInput:
        """An input with its comparison computed (the diff's paths make indirect changes)."""
        touched = frozenset(changed_paths)
        comparison = (
            None
            if base is None
            else compare(head, base, changed_paths=touched if touched else None, renames=renames)
        )
        return cls(
            head_sha=head_sha,
            head=head,
            base=base,
            base_choice=base_choice,
            links=links,
            flag=flag,
            pr_number=pr_number,
            default_branch_push=default_branch_push,
            patch=patch,
            unpatched=tuple(sorted(set(unpatched))),
            files_capped=files_capped,
            changed_paths=touched,
            comparison=comparison,
            config_problems=tuple(config_problems),
        )

    @property
    def not_measured(self) -> tuple[str, ...]:
        """Files of the diff whose changed lines could not be measured, sorted."""
        found = set(self.unpatched)
        if self.patch is not None:
            found.update(self.patch.not_measured)
        return tuple(sorted(found))

    @property
    def named_flag(self) -> str | None:
        """The flag's name when it is not the default one (names checks and statuses)."""
        return None if self.flag == DEFAULT_FLAG else self.flag
