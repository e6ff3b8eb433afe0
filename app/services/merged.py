"""One merged report per commit and flag, whatever reported on it.

Several workflows, matrix legs and re-runs can each record an upload for one commit and flag. The
report of the commit and flag is the merge of its current uploads (a re-run's newest attempt
replaces its older ones). It is stored as ``{owner}/{repo}/{sha}/{flag}/coverhub/report.json`` and
recorded as an upload row with source ``merged``, which badges, pages and history read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from app.coverage.model import CoverageReport
from app.coverage.serialize import from_json, to_json
from app.db.schema import uploads
from app.ports.storage import ObjectStore
from app.services import records

MERGED = "merged"
MERGED_NAME = "coverhub/report.json"


def upload_prefix(owner: str, repo: str, sha: str, flag: str) -> str:
    return f"{owner}/{repo}/{sha}/{flag}/"


def source_key(prefix: str, source: records.UploadSource) -> str:
    """Where one upload's own normalised report lives."""
    tag = source.kind
    if source.workflow_run_id is not None:
        tag += f"-{source.workflow_run_id}-{source.run_attempt or 1}"
    return f"{prefix}coverhub/uploads/{tag}.json"


def supersede_older_attempts(
    conn: sa.Connection, repository_id: int, sha: str, flag: str, source: records.UploadSource
) -> None:
    """A re-run's newest attempt replaces the older attempts of the same workflow run."""
    if source.workflow_run_id is None or source.run_attempt is None:
        return
    conn.execute(
        uploads.update()
        .where(
            uploads.c.repository_id == repository_id,
            uploads.c.sha == sha,
            uploads.c.flag == flag,
            uploads.c.source == source.kind,
            uploads.c.workflow_run_id == source.workflow_run_id,
            uploads.c.run_attempt < source.run_attempt,
        )
        .values(superseded=True)
    )


def current_sources(conn: sa.Connection, repository_id: int, sha: str, flag: str) -> list[str]:
    """Storage keys of the normalised reports of the commit and flag's current uploads."""
    rows = conn.execute(
        sa.select(
            uploads.c.storage_key,
            uploads.c.source,
            uploads.c.workflow_run_id,
            uploads.c.run_attempt,
        )
        .where(
            uploads.c.repository_id == repository_id,
            uploads.c.sha == sha,
            uploads.c.flag == flag,
            uploads.c.source != MERGED,
            uploads.c.superseded.is_(False),
        )
        .order_by(uploads.c.id)
    )
    return [
        source_key(r.storage_key, records.UploadSource(r.source, r.workflow_run_id, r.run_attempt))
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class Stored:
    """An upload's normalised report as just stored under ``key``: the report and its bytes."""

    key: str
    report: CoverageReport
    data: bytes


def merge_sources(
    store: ObjectStore, keys: list[str], known: Mapping[str, CoverageReport] | None = None
) -> CoverageReport:
    """The merge of the reports under ``keys``; ``known`` ones are not read back."""
    from app.coverage.merge import merge

    known = known or {}
    reports = [known[k] if k in known else from_json(store.open(k).read(), k) for k in keys]
    return reports[0] if len(reports) == 1 else merge(reports)


def refresh(
    conn: sa.Connection,
    store: ObjectStore,
    *,
    repository_id: int,
    commit_id: int,
    owner: str,
    repo: str,
    sha: str,
    branch: str | None,
    flag: str,
    fresh: Stored | None = None,
) -> CoverageReport:
    """Recompute and record the merged report of (sha, flag) from its current uploads.

    ``fresh`` is the upload just stored: it is used as it is in memory rather than read back
    and parsed again, and when it is the only current upload, the merged report is it, bytes
    included (serialising a 2,000-file report costs most of a second, reading it back as much).
    """
    prefix = upload_prefix(owner, repo, sha, flag)
    keys = current_sources(conn, repository_id, sha, flag)
    if fresh is not None and keys == [fresh.key]:
        # files in path order, as a report read back from its JSON has them
        files = fresh.report.files
        report = dataclasses.replace(fresh.report, files={p: files[p] for p in sorted(files)})
        data = fresh.data
    else:
        report = merge_sources(store, keys, {fresh.key: fresh.report} if fresh else None)
        data = to_json(report)
    store.put(prefix + MERGED_NAME, data, "application/json")
    records.record_upload(
        conn,
        repository_id=repository_id,
        commit_id=commit_id,
        sha=sha,
        branch=branch,
        flag=flag,
        source=records.UploadSource(MERGED),
        report=report,
        storage_key=prefix,
    )
    return report
