"""Ingestion: raw report files in object storage -> one merged report -> database rows.

Every ingestion path (the GitHub workflow_run pipeline, `coverhub upload`, the demo seed) ends
here, so that a report is parsed, merged and recorded by exactly one piece of code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import anyio.to_thread
import sqlalchemy as sa

from app.coverage.model import CoverageReport
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits, SourceTree
from app.coverage.serialize import to_json
from app.errors import AppError
from app.jobs.runner import JobContext, PermanentError
from app.services import records
from app.services.badges import invalidate_badges

log = logging.getLogger("coverhub.ingest")

INGEST_JOB = "ingest.files"


@dataclass(frozen=True, slots=True)
class IngestRequest:
    owner: str
    repo: str
    sha: str
    branch: str | None
    flag: str
    source: records.UploadSource
    #: storage keys of the raw files, already stored
    keys: tuple[str, ...]

    def to_payload(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "repo": self.repo,
            "sha": self.sha,
            "branch": self.branch,
            "flag": self.flag,
            "keys": list(self.keys),
            "source": {
                "kind": self.source.kind,
                "workflow_run_id": self.source.workflow_run_id,
                "run_attempt": self.source.run_attempt,
                "workflow_name": self.source.workflow_name,
            },
        }

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> IngestRequest:
        return cls(
            owner=p["owner"],
            repo=p["repo"],
            sha=p["sha"],
            branch=p.get("branch"),
            flag=p.get("flag") or "default",
            keys=tuple(p["keys"]),
            source=records.UploadSource(**p["source"]),
        )

    @property
    def prefix(self) -> str:
        return f"{self.owner}/{self.repo}/{self.sha}/{self.flag}/"

    def job_key(self) -> str:
        s = self.source
        return (
            f"ingest:{self.owner}/{self.repo}@{self.sha}:{self.flag}:{s.kind}:"
            f"{s.workflow_run_id}:{s.run_attempt}"
        )


def why_nothing_found(tree: Any) -> str:
    """Say why: a file named like a coverage report that does not parse is named with its
    parser's error ("coverage.xml: malformed XML ..."), never a silent pass."""
    from app.coverage import parsers
    from app.coverage.errors import CoverageError

    names = list(tree.names())
    for name in names:
        fmt = parsers.named_like(name)
        if fmt is None:
            continue
        with tree.open(name) as stream:
            try:
                parsers.parse_stream(stream, name, format=fmt)
            except CoverageError as exc:
                return f"{exc} (read as {fmt} because of its name)"
    shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
    return f"no coverage file found in it (it holds: {shown or 'nothing'})"


#: formats that carry totals but no line data
TOTALS_ONLY = frozenset({"coveragepy-html", "istanbul-summary"})


def html_members(tree: Any, directory: str) -> Iterator[tuple[str, BinaryIO]]:
    """(name inside the report, open stream) for every file of an HTML report directory."""
    prefix = directory.rstrip("/") + "/" if directory else ""
    for name in tree.names():
        if name.startswith(prefix):
            with tree.open(name) as stream:
                yield name[len(prefix) :], stream


@dataclass(frozen=True, slots=True)
class Parsed:
    """An artifact's coverage, parsed, while its unpacked files are still there."""

    report: CoverageReport
    #: the members of its coverage.py HTML report (None: it has none); valid until closed
    html: Callable[[], Iterator[tuple[str, BinaryIO]]] | None = None
    #: its coverage files, as read (the raw files to keep); valid until closed
    raw: Callable[[], Iterator[tuple[str, BinaryIO]]] | None = None


@contextlib.contextmanager
def open_parsed(
    path: Path,
    label: str,
    keep: Callable[[str, BinaryIO], None] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Parsed]:
    """Every coverage file in a file or an archive (unpacked safely), parsed and merged; the
    unpacked files stay until the context ends, so that the caller may store the HTML report
    when it suits it (the run pipeline: once the check is published).

    ``keep(member, stream)`` is called for each coverage file once everything parsed (the
    caller stores the raw files). Nothing found raises PermanentError saying why.
    """
    from app.coverage import parsers
    from app.coverage.merge import dedupe, merge
    from app.ingest import open_archive

    with open_archive(path, label=label) as tree:
        found = parsers.find_in_tree(tree, limits)
        if not found:
            raise PermanentError(f"{label}: {why_nothing_found(tree)}")
        reports = [r for _label, r in parsers.parse_group([(tree, f) for f in found], limits)]
        if keep is not None:
            for item in found:
                if not item.tree:
                    with tree.open(item.name) as stream:
                        keep(item.name, stream)
        html = [item.name for item in found if item.tree and item.format == "coveragepy-html"]
        if len(html) > 1:
            log.info("%s: %d HTML reports; the first, %r, is kept", label, len(html), html[0])
        # An HTML report or an Istanbul summary carries only totals: beside line-level reports
        # of the same run it is kept as a page (Parsed.html), not merged into the numbers.
        detailed = [r for r in reports if r.format not in TOTALS_ONLY]
        reports = dedupe(detailed or reports)
        raw = [item.name for item in found if not item.tree]
        yield Parsed(
            reports[0] if len(reports) == 1 else merge(reports),
            (lambda: html_members(tree, html[0])) if html else None,
            lambda: _members(tree, raw),
        )


def _members(tree: SourceTree, names: list[str]) -> Iterator[tuple[str, BinaryIO]]:
    for name in names:
        with tree.open(name) as stream:
            yield name, stream


def parse_file_or_archive(
    path: Path,
    label: str,
    keep: Callable[[str, BinaryIO], None] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    keep_html: Callable[[Iterator[tuple[str, BinaryIO]]], None] | None = None,
) -> CoverageReport:
    """:func:`open_parsed`'s report; ``keep_html(members)`` is called with the HTML report's
    members, if there is one, before the unpacked files go."""
    with open_parsed(path, label, keep, limits) as parsed:
        if keep_html is not None and parsed.html is not None:
            keep_html(parsed.html())
    return parsed.report


def plain_branches(report: CoverageReport) -> CoverageReport:
    """``report`` with its files in path order and their branch maps as plain dicts, as a report
    read back from storage has them: parsers build compact maps, cheap to hold and slower to look
    up, and recording and comparing a report look up every covered line several times."""
    files = {}
    for path in sorted(report.files):
        f = report.files[path]
        if type(f.branches) is not dict:
            f = dataclasses.replace(f, branches=dict(f.branches.items()))
        files[path] = f
    return dataclasses.replace(report, files=files)


async def record_report(
    ctx: JobContext,
    *,
    owner: str,
    repo: str,
    sha: str,
    branch: str | None,
    flag: str,
    source: records.UploadSource,
    report: CoverageReport,
    repository: dict[str, Any] | None = None,
    installation_id: int | None = None,
    finish: bool = True,
) -> CoverageReport:
    """Store the upload's normalised report, record it, and refresh the commit's merged report,
    all committed with the job's completion. Returns the merged report of (sha, flag)."""
    from app.services import merged
    from app.services.installations import upsert_repository

    services = ctx.services
    prefix = merged.upload_prefix(owner, repo, sha, flag)
    key = merged.source_key(prefix, source)

    def store_upload() -> merged.Stored:
        # serialised here, in a worker thread: a big report takes most of a second, which the
        # event loop (the web server itself, on embedded defaults) must not wait for
        plain = plain_branches(report)
        data = to_json(plain)
        services.store.put(key, data, "application/json")
        return merged.Stored(key, plain, data)

    stored = await anyio.to_thread.run_sync(store_upload)

    def write(conn: sa.Connection) -> CoverageReport:
        if repository is not None:
            repo_id = upsert_repository(conn, repository, installation_id)
        else:
            repo_id = records.ensure_repository(conn, owner, repo)
        commit_id = records.ensure_commit(conn, repo_id, sha, branch=branch)
        # one writer per commit at a time: the last one to refresh sees every upload
        records.lock_commit(conn, commit_id)
        merged.supersede_older_attempts(conn, repo_id, sha, flag, source)
        records.record_upload(
            conn,
            repository_id=repo_id,
            commit_id=commit_id,
            sha=sha,
            branch=branch,
            flag=flag,
            source=source,
            report=stored.report,
            storage_key=prefix,
        )
        return merged.refresh(
            conn,
            services.store,
            repository_id=repo_id,
            commit_id=commit_id,
            owner=owner,
            repo=repo,
            sha=sha,
            branch=branch,
            flag=flag,
            fresh=stored,
        )

    result: CoverageReport = await ctx.commit(write, finish=finish)
    await invalidate_badges(services, owner, repo)  # new badges on every replica
    return result


async def ingest_job(ctx: JobContext) -> None:
    """Job handler: read the raw files, parse, record the upload with the job's completion."""
    from app.coverage.errors import CoverageError
    from app.ports.storage import ObjectNotFound

    req = IngestRequest.from_payload(ctx.payload)
    services = ctx.services

    def load_and_parse() -> CoverageReport:
        reports = []
        with tempfile.TemporaryDirectory(prefix="coverhub-ingest-") as tmp:
            for n, key in enumerate(req.keys):
                name = key.rsplit("/", 1)[-1]
                local = Path(tmp) / f"{n}-{name}"
                reader = services.store.open(key)
                with local.open("wb") as out:
                    for chunk in reader.chunks():
                        out.write(chunk)
                reports.append(parse_file_or_archive(local, name))
        from app.coverage.merge import merge

        return reports[0] if len(reports) == 1 else merge(reports)

    try:
        report = await anyio.to_thread.run_sync(load_and_parse)
    except (CoverageError, ObjectNotFound, AppError) as exc:
        raise PermanentError(str(exc)) from exc
    combined = await record_report(
        ctx,
        owner=req.owner,
        repo=req.repo,
        sha=req.sha,
        branch=req.branch,
        flag=req.flag,
        source=req.source,
        report=report,
    )
    log.info(
        "report ingested",
        extra={
            "repo": f"{req.owner}/{req.repo}",
            "sha": req.sha,
            "flag": req.flag,
            "display": combined.native_display(),
        },
    )
