"""The ingestion job of a completed workflow run: artifacts -> stored reports -> database.

1. List the run's artifacts (paginated), keep those whose names match the repository's patterns
   (default ``coverage*``), the newest per name (a re-run can leave two with one name).
2. Download each through the 302 (no token to the storage host) into a size-bounded temporary
   file, and unpack it with the same safe unpacker as the CLI (limits on inflated bytes, entries,
   ratio; no absolute paths, ``..`` or links). An artifact may be a single unzipped file.
3. Find every coverage file with the engine's detection, parse, merge.
4. Record the upload (its normalised report stored); the commit's merged report is refreshed
   (app.services.merged).
5. Publish the check run, statuses and comment (app.services.github_publish).
6. Then store the raw coverage files under ``{owner}/{repo}/{sha}/{flag}/raw/{artifact}/...``
   and the artifact's HTML report, if it has one (one archive object, report_archive): the
   developer waits for the check, not for these copies (a second or more for a 2,000-file report
   on S3). Until the HTML is stored, report pages are generated from the data; an HTML report
   that cannot be stored as an archive (a name or a size it refuses) is left out, with a warning,
   and the numbers stand. The job ends once they are stored; if storing fails, the job's attempt
   fails and the next one does it all again (publishing the same result again sends nothing).
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread

from app.coverage.errors import CoverageError
from app.coverage.model import CoverageReport
from app.coverage.paths import PathFix, PathRules, module_map, normalise_report
from app.errors import AppError, Invalid, UnsafeArchive
from app.feedback.check import ExternalId
from app.github.gateway import GitHubGateway
from app.jobs.runner import JobContext, PermanentError
from app.ports.storage import ObjectStore
from app.repoconfig import RepoConfig
from app.services import installations as inst
from app.services import records
from app.services.github_checks import find_check_runs
from app.services.github_config import load_config, read_file
from app.services.github_publish import publish, publish_error
from app.services.github_runs import RunRef, complete_run_check
from app.services.ingest import Parsed, open_parsed, record_report
from app.services.records import UploadSource
from app.services.report_archive import write_archive
from app.services.reports import HTML_DIR

log = logging.getLogger("coverhub.github")

#: the most one artifact may weigh when downloaded (compressed)
MAX_ARTIFACT_BYTES = 512 << 20
MAX_ARTIFACTS = 500


@dataclass(frozen=True)
class Artifact:
    id: int
    name: str
    created_at: str
    expired: bool
    size: int


def choose_artifacts(items: Sequence[dict[str, Any]], config: RepoConfig) -> list[Artifact]:
    """Artifacts the configuration wants, newest per name (re-runs can leave duplicates)."""
    newest: dict[str, Artifact] = {}
    for item in items:
        art = Artifact(
            int(item["id"]),
            str(item["name"]),
            str(item.get("created_at") or ""),
            bool(item.get("expired")),
            int(item.get("size_in_bytes") or 0),
        )
        if not config.wants_artifact(art.name):
            continue
        old = newest.get(art.name)
        if old is None or (art.created_at, art.id) > (old.created_at, old.id):
            newest[art.name] = art
    return sorted(newest.values(), key=lambda a: a.name)


def unpack_parse(unpacked: contextlib.ExitStack, path: Path, label: str) -> Parsed:
    """Unpack one downloaded artifact and parse it. The unpacked files stay (on ``unpacked``)
    until its raw files and HTML report are stored, once the feedback is published."""
    return unpacked.enter_context(open_parsed(path, label))


@dataclass(frozen=True)
class PendingFiles:
    """An artifact's files to store once the feedback is out: its coverage files as they came
    (under ``raw_prefix``) and its HTML report (under ``html_prefix``), if it has one."""

    label: str
    raw_prefix: str
    html_prefix: str
    parsed: Parsed


def store_files(store: ObjectStore, pending: PendingFiles) -> None:
    """The raw coverage files, streamed; one object (plus its index) for the whole HTML report,
    however many files it has."""
    parsed = pending.parsed
    if parsed.raw is not None:
        for name, stream in parsed.raw():
            store.put(pending.raw_prefix + name, stream, "application/octet-stream")
    if parsed.html is None:
        return
    try:
        write_archive(store, pending.html_prefix, parsed.html())
    except (UnsafeArchive, Invalid) as exc:  # the input's fault: the numbers stand without it
        log.warning("%s: its HTML report is not kept: %s", pending.label, exc)


async def find_pull_requests(
    ctx: JobContext, gateway: GitHubGateway, gh: Any, ref: RunRef
) -> list[int]:
    """The run's pull requests: the event's list, else our sha -> PR map, else the API.

    ``workflow_run.pull_requests`` is empty for pull requests from forks, so the fallbacks
    matter: pull_request webhooks feed our map, and ``pulls?head=OWNER:BRANCH`` (matched on the
    head sha) finds the rest.
    """
    if ref.pull_requests:
        return list(ref.pull_requests)

    def from_map() -> list[int]:
        with ctx.store.engine.connect() as conn:
            repo = records.find_repository(conn, ref.owner, ref.repo)
            return [] if repo is None else inst.pull_requests_for_sha(conn, repo.id, ref.head_sha)

    known = await anyio.to_thread.run_sync(from_map)
    if known or not (ref.head_owner and ref.head_branch):
        return known
    found: list[dict[str, Any]] = []
    for state in ("open", "all"):
        items = await gateway.paginate(
            "pulls",
            lambda page, st=state: gh.rest.pulls.async_list(  # type: ignore[misc]
                ref.owner,
                ref.repo,
                state=st,
                head=f"{ref.head_owner}:{ref.head_branch}",
                per_page=100,
                page=page,
            ),
            limit=300,
        )
        found = [p for p in items if (p.get("head") or {}).get("sha") == ref.head_sha]
        if found:
            break

    def remember() -> None:
        with ctx.store.engine.begin() as conn:
            repo_id = inst.upsert_repository(conn, ref.repository, ref.installation_id)
            for pr in found:
                inst.upsert_pull_request(conn, repo_id, pr)

    if found:
        await anyio.to_thread.run_sync(remember)
    return sorted(int(p["number"]) for p in found)


async def release_pending_check(
    gateway: GitHubGateway, gh: Any, ref: RunRef, patterns: Sequence[str]
) -> None:
    """A run without coverage must not leave the pending check it opened waiting forever.

    Only the check this run opened (its external_id names the run) is completed, as neutral;
    a check opened for another workflow on the same commit is left to that workflow.
    """
    for check in await find_check_runs(gateway, gh, ref.owner, ref.repo, ref.head_sha):
        if check.get("status") == "completed":
            continue
        opened_by = ExternalId.decode(check.get("external_id"))
        if opened_by is None or opened_by.run_id != ref.run_id:
            continue
        await complete_run_check(
            gateway,
            gh,
            ref,
            conclusion="neutral",
            title="No coverage from this workflow",
            summary=f"Workflow {ref.workflow_name or ref.run_id} finished without an artifact"
            f" named like {', '.join(patterns)}; coverhub has nothing to report for it.",
        )


async def report_failure(gateway: GitHubGateway, ref: RunRef, error: str) -> None:
    """End the run's check visibly: never a silent pass, never a check left pending."""
    try:
        async with gateway.installation(ref.installation_id) as gh:
            await complete_run_check(
                gateway,
                gh,
                ref,
                conclusion="failure",
                title="coverhub could not read this run's coverage",
                summary=f"Workflow run {ref.workflow_name or ref.run_id} (attempt {ref.attempt}):"
                f" {error}",
            )
            await publish_error(gateway, gh, ref, f"coverage could not be processed: {error}")
    except Exception as exc:  # the original error is what the job keeps
        log.warning("could not report the failure on the check run: %s", exc)


async def ingest_run_job(ctx: JobContext) -> None:
    ref = RunRef.from_payload(ctx.payload)
    gateway = ctx.services.github
    if gateway is None:
        raise PermanentError("the GitHub App is not configured on this server")
    try:
        await ingest_run(ctx, gateway, ref)
    except PermanentError as exc:
        await report_failure(gateway, ref, str(exc))
        raise


async def config_ref(ctx: JobContext, ref: RunRef, pull_numbers: list[int]) -> str:
    """Where the configuration is read: the pull request's base branch, else the default
    branch; never the head (a fork must not relax its own gate)."""
    if ref.base_ref:
        return ref.base_ref

    def from_db() -> str | None:
        with ctx.store.engine.connect() as conn:
            repo = records.find_repository(conn, ref.owner, ref.repo)
            if repo is None or not pull_numbers:
                return None
            return inst.base_ref_of(conn, repo.id, pull_numbers[0])

    base = await anyio.to_thread.run_sync(from_db)
    return base or str(ref.repository.get("default_branch") or "main")


async def path_rules(
    gateway: GitHubGateway, gh: Any, ref: RunRef, config: RepoConfig, go: bool
) -> PathRules:
    """Path fixes and ignores from the configuration; for Go, the module map of go.mod."""
    modules: dict[str, str] = {}
    if go:
        go_mod = await read_file(gateway, gh, ref.owner, ref.repo, "go.mod", ref.head_sha)
        if go_mod is not None:
            modules = module_map({"go.mod": go_mod.decode("utf-8", "replace")})
    return PathRules(
        fixes=tuple(PathFix.parse(f) for f in config.path_fixes),
        ignore=config.path_ignore,
        modules=modules,
    )


async def ingest_run(ctx: JobContext, gateway: GitHubGateway, ref: RunRef) -> None:
    # the downloads and unpacked artifacts stay until their files are stored, after publishing
    unpacked = contextlib.ExitStack()
    try:
        await _ingest_run(ctx, gateway, ref, unpacked)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(unpacked.close)


async def _ingest_run(
    ctx: JobContext, gateway: GitHubGateway, ref: RunRef, unpacked: contextlib.ExitStack
) -> None:
    services = ctx.services
    by_flag: dict[str, list[CoverageReport]] = {}
    pending: list[PendingFiles] = []
    # downloads stay until the end too: a single-file artifact is its own member
    tmp = unpacked.enter_context(tempfile.TemporaryDirectory(prefix="coverhub-run-"))
    async with gateway.installation(ref.installation_id) as gh:
        items = await gateway.paginate(
            "artifacts",
            lambda page: gh.rest.actions.async_list_workflow_run_artifacts(
                ref.owner, ref.repo, ref.run_id, per_page=100, page=page
            ),
            "artifacts",
            limit=MAX_ARTIFACTS,
        )
        pull_numbers = await find_pull_requests(ctx, gateway, gh, ref)
        config, problems = await load_config(
            gateway, gh, ref.owner, ref.repo, await config_ref(ctx, ref, pull_numbers)
        )
        chosen = choose_artifacts(items, config)
        if not chosen:
            log.info(
                "run %s of %s/%s has no coverage artifact (%s); nothing to do",
                ref.run_id,
                ref.owner,
                ref.repo,
                ", ".join(config.artifacts),
            )
            await release_pending_check(gateway, gh, ref, config.artifacts)
            return
        for art in chosen:
            label = f"artifact {art.name}"
            if art.expired:
                raise PermanentError(f"{label} has expired; re-run the workflow")
            path = Path(tmp) / f"{art.id}.download"
            await gateway.download(gh, ref.owner, ref.repo, art.id, path, MAX_ARTIFACT_BYTES)
            flag = config.flag_for(art.name, ref.workflow_name)
            base = f"{ref.owner}/{ref.repo}/{ref.head_sha}/{flag}/"
            try:
                parsed = await anyio.to_thread.run_sync(unpack_parse, unpacked, path, label)
            except (CoverageError, AppError) as exc:
                text = str(exc)
                raise PermanentError(
                    text if text.startswith(label) else f"{label}: {text}"
                ) from exc
            by_flag.setdefault(flag, []).append(parsed.report)
            pending.append(PendingFiles(label, f"{base}raw/{art.name}/", base + HTML_DIR, parsed))
        go = any(r.format in ("gocover", "gocovdata") for rs in by_flag.values() for r in rs)
        rules = await path_rules(gateway, gh, ref, config, go)

    from app.coverage.merge import merge

    results = {}
    combined_by_flag: dict[str, CoverageReport] = {}
    flags = sorted(by_flag)
    for flag in flags:
        reports = by_flag[flag]
        report = reports[0] if len(reports) == 1 else merge(reports)
        report = normalise_report(report, rules).report
        combined = await record_report(
            ctx,
            owner=ref.owner,
            repo=ref.repo,
            sha=ref.head_sha,
            branch=ref.head_branch,
            flag=flag,
            report=report,
            source=UploadSource("workflow_run", ref.run_id, ref.attempt, ref.workflow_name),
            repository=ref.repository,
            installation_id=ref.installation_id,
            finish=False,  # the job completes once the result is published
        )
        results[flag] = combined.native_display()
        combined_by_flag[flag] = combined
    log.info(
        "workflow run ingested",
        extra={
            "repo": f"{ref.owner}/{ref.repo}",
            "run_id": ref.run_id,
            "attempt": ref.attempt,
            "sha": ref.head_sha,
            "flags": results,
            "artifacts": [a.name for a in chosen],
            "pull_requests": pull_numbers,
        },
    )
    # The reports are recorded (committed): a failure to publish does not undo them. It fails
    # this attempt, visibly: a refusal (a missing permission) ends the job and says so on the
    # check (ingest_run_job); anything else is retried with backoff, and if every attempt fails,
    # the stuck-check sweeper completes the pending check saying how long it waited.
    try:
        async with gateway.installation(ref.installation_id) as gh:
            await publish(ctx, gateway, gh, ref, config, combined_by_flag, pull_numbers, problems)
    except Exception as exc:
        log.warning("could not publish the coverage of run %s to GitHub: %s", ref.run_id, exc)
        raise
    for files in pending:  # kept once the developer has the feedback
        await anyio.to_thread.run_sync(store_files, services.store, files)
    await ctx.commit(lambda conn: None)
