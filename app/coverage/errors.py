"""Errors of the pure coverage core.

Every error names the input it is about (``source``) and the problem, so that a CLI or a check run
can show one clear line. Nothing here ever carries a traceback to a user.
"""

from __future__ import annotations


class CoverageError(Exception):
    """Base of every error raised by the coverage core."""

    slug = "coverage-error"

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class InvalidReport(CoverageError):
    """The input claims to be (or was detected as) a format but breaks its rules."""

    slug = "invalid-report"


class UnknownFormat(CoverageError):
    """No parser recognises the input."""

    slug = "unknown-format"


class LimitExceeded(CoverageError):
    """The input is larger than a configured bound (size, count, line number...)."""

    slug = "limit-exceeded"


class IncompatibleReports(CoverageError):
    """Reports that cannot be merged by their format's rules (e.g. Go set vs count, strict)."""

    slug = "incompatible-reports"
