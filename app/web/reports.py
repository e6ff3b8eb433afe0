"""Report routes: thin; app.services.reports finds the file, this module sets the headers.

    GET /{owner}/{repo}/commit/{sha}/[{flag}/][{path}]   a commit's report (uploaded or generated)
    GET /{owner}/{repo}/latest                           -> the default branch's newest report
    GET /{owner}/{repo}/tree/{branch}                    -> a branch's newest report
    GET /{owner}/{repo}/pull/{number}                    -> the pull request head's report
    GET /badge/redirect/{owner}/{repo}/                  Covered-compatible alias of latest

Uploaded HTML is untrusted (it can come from a fork): it is served with a sandboxing
Content-Security-Policy without allow-same-origin, so its scripts run in an opaque origin and can
never act as coverhub's; and when COVERHUB_REPORTS_URL is set, only from that separate origin.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from app.errors import AppError, Forbidden, Invalid, NotFound
from app.services.reports import Redirect, ReportFile, error_page, report_service_for
from app.web.badges import etag_matches

#: uploaded HTML: scripts may run, but sandboxed in an opaque origin (no allow-same-origin)
UNTRUSTED_CSP = (
    "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads;"
    " frame-ancestors 'none'"
)
#: pages coverhub renders itself: no scripts at all
GENERATED_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none';"
    " base-uri 'none'; form-action 'none'"
)
_TITLES = {400: "Bad report path", 403: "Private repository", 404: "Not found"}


def _error_page(exc: AppError) -> Response:
    status = exc.status_code if isinstance(exc, Invalid | Forbidden | NotFound) else 500
    body = error_page(_TITLES.get(status, "Error"), str(exc))
    return HTMLResponse(
        body,
        status_code=status,
        headers={
            "content-security-policy": GENERATED_CSP,
            "x-content-type-options": "nosniff",
            "cache-control": "no-cache",
        },
    )


def _redirect(location: str) -> Response:
    return RedirectResponse(location, status_code=302, headers={"cache-control": "no-cache"})


def _on_reports_origin(request: Request, reports_url: str) -> bool:
    host = request.headers.get("host", "").lower()
    return host == urlsplit(reports_url).netloc.lower()


def _file_response(request: Request, f: ReportFile) -> Response:
    headers = {
        "etag": f.etag,
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "content-security-policy": UNTRUSTED_CSP if f.untrusted else GENERATED_CSP,
    }
    if f.untrusted:
        headers["vary"] = "accept-encoding"
    inm = request.headers.get("if-none-match")
    if inm is not None and etag_matches(inm, f.etag):
        return Response(status_code=304, headers=headers)
    headers["content-length"] = str(f.length)
    if f.encoding:
        headers["content-encoding"] = f.encoding
    if request.method == "HEAD":
        return Response(status_code=200, headers=headers, media_type=f.content_type)
    return StreamingResponse(f.body(), headers=headers, media_type=f.content_type)


async def commit_report(request: Request) -> Response:
    p = request.path_params
    services = request.state.services
    try:
        result = await report_service_for(services).open(
            p["owner"],
            p["repo"],
            p["sha"],
            p.get("rest", ""),
            accept_gzip="gzip" in request.headers.get("accept-encoding", ""),
        )
    except AppError as exc:
        return _error_page(exc)
    if isinstance(result, Redirect):
        return _redirect(result.location)
    reports_url = services.settings.reports_url
    if result.untrusted and reports_url and not _on_reports_origin(request, reports_url):
        query = f"?{request.url.query}" if request.url.query else ""
        return _redirect(reports_url + request.url.path + query)
    return _file_response(request, result)


async def latest(request: Request) -> Response:
    p = request.path_params
    flag = request.query_params.get("flag") or "default"
    try:
        found = await report_service_for(request.state.services).latest(
            p["owner"], p["repo"], p.get("branch"), flag
        )
    except AppError as exc:
        return _error_page(exc)
    return _redirect(found.location)


async def pull(request: Request) -> Response:
    p = request.path_params
    try:
        number = int(p["number"])
        found = await report_service_for(request.state.services).pull(p["owner"], p["repo"], number)
    except ValueError:
        return _error_page(NotFound(f"{p['number']!r} is not a pull request number."))
    except AppError as exc:
        return _error_page(exc)
    return _redirect(found.location)
