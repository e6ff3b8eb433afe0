"""Builders for feedback tests: small reports, patches and inputs, written out in full."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.coverage import percent
from app.coverage.model import Counts, CoverageReport, FileCoverage, LineHits
from app.coverage.patch import PatchCoverage, PatchFile
from app.coverage.percent import DisplayRule
from app.feedback.inputs import BaseChoice, BaseRule, FeedbackInput, Links

HEAD_SHA = "1234567890abcdef1234567890abcdef12345678"
BASE_SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
PY = percent.coveragepy(1)


def fc(path: str, hits: Mapping[int, int], native: Counts | None = None) -> FileCoverage:
    """A file whose native counts are its line counts unless given."""
    lines = LineHits.from_mapping(dict(hits))
    if native is None:
        native = Counts(sum(1 for h in hits.values() if h > 0), len(hits))
    return FileCoverage(path, lines, native=native)


def report(
    files: Sequence[FileCoverage],
    *,
    fmt: str = "coveragepy",
    unit: str = "statements",
    rule: DisplayRule = PY,
    override: Counts | None = None,
) -> CoverageReport:
    return CoverageReport(fmt, unit, rule, {f.path: f for f in files}, native_override=override)


def totals_only(
    covered: int, total: int, fmt: str = "coveragepy", unit: str = "statements"
) -> CoverageReport:
    """A report carrying only its total (exact fractions for gate tests)."""
    return report([], fmt=fmt, unit=unit, override=Counts(covered, total))


def patch(
    files: Sequence[tuple[str, int, Sequence[int]]] = (), not_measured: Sequence[str] = ()
) -> PatchCoverage:
    """``files``: (path, measured line count, missing lines)."""
    pfs = tuple(
        PatchFile(p, total - len(missing), total, tuple(missing)) for p, total, missing in files
    )
    return PatchCoverage(
        pfs, tuple(not_measured), sum(f.covered for f in pfs), sum(f.total for f in pfs)
    )


def links(flag: str = "default", *, files: bool = True) -> Links:
    root = f"https://cov.example/gh/o/r/1234567/{flag}"
    if not files:
        return Links(root)
    return Links(root, f"{root}/files/{{path}}", f"{root}/files/{{path}}#L{{line}}")


def make(
    head: CoverageReport,
    base: CoverageReport | None = None,
    *,
    choice: BaseChoice | None = None,
    flag: str = "default",
    pr: int | None = 7,
    patch_cov: PatchCoverage | None = None,
    changed: Sequence[str] = (),
    unpatched: Sequence[str] = (),
    link: Links | None = None,
    push: bool = False,
) -> FeedbackInput:
    if choice is None:
        choice = (
            BaseChoice(BaseRule.MERGE_BASE, BASE_SHA)
            if base is not None
            else BaseChoice(BaseRule.NONE)
        )
    return FeedbackInput.build(
        head_sha=HEAD_SHA,
        head=head,
        base=base,
        base_choice=choice,
        links=link or links(flag),
        flag=flag,
        pr_number=pr,
        default_branch_push=push,
        patch=patch_cov,
        unpatched=unpatched,
        changed_paths=changed,
    )
