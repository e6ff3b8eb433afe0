"""Report pages: the stored HTML report of a commit (one archive, read by ranges), or one that
coverhub generates from the normalised report when the upload carried no HTML; and the redirects
from a repository, branch or pull request to the right commit's report.

Request paths are checked before anything is looked up (no ``..``, ``.``, backslashes, NUL,
absolute paths or leftover percent-encoding), and a member is then found by exact name in the
archive's index, so no request reaches outside its report. Private repositories are refused with
a reason until sign-in exists.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio.to_thread
import sqlalchemy as sa

from app.coverage.model import CoverageReport
from app.coverage.serialize import from_json
from app.errors import Forbidden, Invalid, NotFound
from app.ports.cache import Cache
from app.ports.storage import LocalStore, ObjectNotFound, ObjectStore
from app.render import html
from app.services import records
from app.services.repo_settings import flags_of_commit, pull_head_sha
from app.services.report_archive import ArchiveIndex, clean_member_name, member_chunks, read_index

#: under an upload's prefix: the commit and flag's normalised (merged) report
NORMALISED_NAME = "coverhub/report.json"
HTML_DIR = "html/"  # under an upload's prefix: where the uploaded HTML report's archive lives
PAGE_TTL = 86400.0
PRIVATE_REASON = (
    "{repo} is a private repository. coverhub shows nothing of a private repository to anonymous"
    " visitors, and signing in with GitHub is not available yet. Its badges can be shown with"
    " the repository's badge token (?token=...)."
)


@dataclass(frozen=True, slots=True)
class Redirect:
    location: str


@dataclass(frozen=True, slots=True)
class ReportFile:
    """One file of a report: its headers' facts, and its bytes on demand (after the ETag check)."""

    content_type: str
    etag: str
    untrusted: bool  # uploaded HTML: sandboxed, and served from the reports origin if set
    length: int
    encoding: str | None  # "gzip" when sent compressed as stored
    body: Callable[[], Iterator[bytes]]


def clean_request_path(rest: str) -> str:
    """The member path asked for, or Invalid (400) for anything that could leave the report."""
    if rest == "":
        return ""
    if "%" in rest:
        raise Invalid("report path has percent-encoding left after decoding (double-encoded?)")
    trailing = rest.endswith("/")
    name = clean_member_name(rest[:-1] if trailing else rest)
    return name + "/" if trailing else name


def commit_url(owner: str, repo: str, sha: str, flag: str = "default") -> str:
    url = f"/{quote(owner, safe='')}/{quote(repo, safe='')}/commit/{quote(sha, safe='')}/"
    return url if flag == "default" else url + quote(flag, safe="") + "/"


def _confined(store: ObjectStore, *keys: str) -> None:
    """On a local folder store, refuse keys reached through a symlink: a link planted in the
    folder must not make one report serve another's files, or files outside the store."""
    if not isinstance(store, LocalStore):
        return
    for key in keys:
        path = store.root
        for part in key.split("/"):
            path = path / part
            if path.is_symlink():
                raise NotFound("no report here")


class ReportService:
    def __init__(self, store: ObjectStore, cache: Cache, engine: sa.Engine) -> None:
        self.store = store
        self.cache = cache
        self.engine = engine
        self._indexes: OrderedDict[tuple[str, str], ArchiveIndex] = OrderedDict()
        self._reports: OrderedDict[tuple[str, str], CoverageReport] = OrderedDict()

    # ------------------------------------------------------------------ database look-ups
    async def _db(self, fn: Callable[[sa.Connection], Any]) -> Any:
        def run() -> Any:
            with self.engine.connect() as conn:
                return fn(conn)

        return await anyio.to_thread.run_sync(run)

    @staticmethod
    def _repository(conn: sa.Connection, owner: str, repo: str) -> Any:
        row = records.find_repository(conn, owner, repo)
        if row is None:
            raise NotFound(f"coverhub knows no repository {owner}/{repo}.")
        if row.private:
            raise Forbidden(PRIVATE_REASON.format(repo=f"{owner}/{repo}"))
        return row

    async def latest(self, owner: str, repo: str, branch: str | None, flag: str) -> Redirect:
        """The newest report of ``branch`` (default: the repository's default branch)."""

        def query(conn: sa.Connection) -> Redirect:
            row = self._repository(conn, owner, repo)
            use = branch or row.default_branch
            upload = records.latest_upload(conn, row.id, branch=use, flag=flag)
            if upload is None:
                raise NotFound(f"{owner}/{repo} has no report for branch {use} (flag {flag}).")
            return Redirect(commit_url(owner, repo, upload["sha"], flag))

        result: Redirect = await self._db(query)
        return result

    async def pull(self, owner: str, repo: str, number: int) -> Redirect:
        def query(conn: sa.Connection) -> Redirect:
            row = self._repository(conn, owner, repo)
            head = pull_head_sha(conn, row.id, number)
            if head is None:
                raise NotFound(f"coverhub knows no pull request #{number} of {owner}/{repo}.")
            return Redirect(commit_url(owner, repo, head))

        result: Redirect = await self._db(query)
        return result

    # ------------------------------------------------------------------ report files
    async def open(
        self, owner: str, repo: str, sha: str, rest: str, *, accept_gzip: bool
    ) -> ReportFile | Redirect:
        path = clean_request_path(rest)
        flags: dict[str, str] = await self._db(
            lambda conn: flags_of_commit(conn, self._repository(conn, owner, repo).id, sha)
        )
        if not flags:
            raise NotFound(f"{owner}/{repo} has no report for commit {sha}.")
        first, sep, remainder = path.partition("/")
        if first in flags and not sep:
            return Redirect(commit_url(owner, repo, sha, first))
        if first in flags and sep:
            flag, member = first, remainder
        elif "default" in flags or len(flags) == 1:
            flag, member = ("default" if "default" in flags else next(iter(flags))), path
        elif path == "":
            return self._flag_list(owner, repo, sha, sorted(flags))
        else:
            raise NotFound(f"no report file {path!r} for commit {sha}.")
        prefix = flags[flag]
        html_keys = (prefix + HTML_DIR + "index.json", prefix + HTML_DIR + "archive.bin")
        await anyio.to_thread.run_sync(_confined, self.store, *html_keys)
        index = await anyio.to_thread.run_sync(self._index, prefix)
        if index is not None:
            return self._uploaded(prefix, index, member, accept_gzip)
        title = f"{owner}/{repo} commit {sha[:12]}" + ("" if flag == "default" else f" ({flag})")
        return await self._generated(prefix, member, title)

    def _flag_list(self, owner: str, repo: str, sha: str, flags: list[str]) -> ReportFile:
        page = html.render_message(
            f"{owner}/{repo} commit {sha[:12]}",
            "This commit has reports for several flags:",
            [(flag, commit_url(owner, repo, sha, flag)) for flag in flags],
        ).encode()
        return _page(page)

    def _index(self, prefix: str) -> ArchiveIndex | None:
        key = prefix + HTML_DIR + "index.json"
        try:
            etag = self.store.head(key).etag
        except ObjectNotFound:
            return None
        cached = self._indexes.get((key, etag))
        if cached is None:
            cached = read_index(self.store, prefix + HTML_DIR)
            self._indexes[(key, etag)] = cached
            if len(self._indexes) > 16:
                self._indexes.popitem(last=False)
        return cached

    def _uploaded(
        self, prefix: str, index: ArchiveIndex, member: str, accept_gzip: bool
    ) -> ReportFile | Redirect:
        name = member + "index.html" if member == "" or member.endswith("/") else member
        found = index.members.get(name)
        if found is None:
            if name + "/index.html" in index.members:
                return Redirect(quote(name.rsplit("/", 1)[-1]) + "/")
            raise NotFound(f"the report has no file {name!r}.")
        m = found
        send_gzip = m.encoding == "gzip" and accept_gzip
        base = prefix + HTML_DIR
        return ReportFile(
            content_type=m.content_type,
            etag=m.etag[:-1] + ('-gz"' if send_gzip else '"'),
            untrusted=True,
            length=m.length if send_gzip or m.encoding != "gzip" else m.size,
            encoding="gzip" if send_gzip else None,
            body=lambda: member_chunks(self.store, base, m, inflate=not send_gzip),
        )

    async def _generated(self, prefix: str, member: str, title: str) -> ReportFile:
        if member in ("", "index.html"):
            page_path = None
        elif member.startswith(html.FILES_DIR) and member.endswith(".html"):
            page_path = member[len(html.FILES_DIR) : -len(".html")]
        else:
            raise NotFound(f"the report has no file {member!r}.")
        key = prefix + NORMALISED_NAME
        await anyio.to_thread.run_sync(_confined, self.store, key)
        try:
            info = await anyio.to_thread.run_sync(self.store.head, key)
        except ObjectNotFound:
            raise NotFound("this upload has no stored report to show.") from None
        cache_key = (
            "report:page:" + hashlib.sha256(f"{key}\0{info.etag}\0{member}".encode()).hexdigest()
        )
        page = await self.cache.get(cache_key)
        if page is None:
            report = await anyio.to_thread.run_sync(self._report, key, info.etag)
            subtitle = (
                f"Generated by coverhub from the {report.format} report: no HTML report was"
                " uploaded with it."
            )
            if page_path is None:
                text = html.render_index(report, title=title, subtitle=subtitle)
            elif page_path in report.files:
                text = html.render_file(report, page_path, title=title, subtitle=subtitle)
            else:
                raise NotFound(f"the report has no file {page_path!r}.")
            page = text.encode()
            await self.cache.set(cache_key, page, PAGE_TTL)
        return _page(page)

    def _report(self, key: str, etag: str) -> CoverageReport:
        cached = self._reports.get((key, etag))
        if cached is None:
            cached = from_json(self.store.open(key).read(), key)
            self._reports[(key, etag)] = cached
            if len(self._reports) > 4:
                self._reports.popitem(last=False)
        return cached


def _page(page: bytes) -> ReportFile:
    return ReportFile(
        content_type="text/html; charset=utf-8",
        etag='"' + hashlib.sha256(page).hexdigest()[:32] + '"',
        untrusted=False,
        length=len(page),
        encoding=None,
        body=lambda: iter((page,)),
    )


def error_page(title: str, message: str) -> bytes:
    """The HTML page of a refused report request (404, 403, 400): it says why."""
    return html.render_message(title, message).encode()


def report_service_for(services: Any) -> ReportService:
    """The process's ReportService for a Services container (made on first use)."""
    service: ReportService | None = getattr(services, "report_service", None)
    if service is None:
        service = ReportService(services.store, services.cache, services.engine)
        services.report_service = service
    return service
