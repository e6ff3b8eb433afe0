"""The application's error tree. Vendor errors are translated into these inside the adapters.

The web edge maps them to HTTP in one handler (app.web.errors); the CLI prints their message.
"""

from __future__ import annotations


class AppError(Exception):
    """Base of every error the application raises on purpose."""

    status_code = 500
    slug = "error"


class NotFound(AppError):
    status_code = 404
    slug = "not-found"


class Invalid(AppError):
    """Input (a request, an upload, a setting) that cannot be used; the message says why."""

    status_code = 400
    slug = "invalid"


class TooLarge(AppError):
    status_code = 413
    slug = "too-large"


class Unauthorized(AppError):
    status_code = 401
    slug = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    slug = "forbidden"


class UpstreamUnavailable(AppError):
    """A backend (database, cache, storage, queue, GitHub) cannot be reached."""

    status_code = 503
    slug = "unavailable"


class UnsafeArchive(Invalid):
    """An archive broke one of the unpacking rules (size, count, ratio, path, link)."""

    slug = "unsafe-archive"
