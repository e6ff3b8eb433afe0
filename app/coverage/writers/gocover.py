"""Write a :class:`CoverageReport` as a Go text profile (``coverhub merge --format gocover``).

The output is what ``go tool covdata textfmt`` writes: ``mode: X``, then one
``FILE:SL.SC,EL.EC NSTMT COUNT`` line per block, files in path order and blocks by
(SL, SC, EL, EC). It reads back with :mod:`app.coverage.parsers.gocover` into an equal report,
and Go's own tools (``go tool cover -func/-html``) read it.

Only Go block data can be written: a report from another format, or a file that was merged at line
level (profiles of different toolchains, ``blocks is None``), has no statements to write and is
refused with :class:`IncompatibleReports`.
"""

from __future__ import annotations

from app.coverage.errors import IncompatibleReports
from app.coverage.model import CoverageReport
from app.coverage.parsers.gocover import MODES


def write(report: CoverageReport) -> str:
    """The Go text profile of a Go report (see the module docstring)."""
    mode = report.mode
    if mode not in MODES:
        raise IncompatibleReports(
            "gocover output", f"a {report.format} report has no Go counter mode to write"
        )
    out = [f"mode: {mode}\n"]
    for path in sorted(report.files):
        f = report.files[path]
        if f.blocks is None:
            raise IncompatibleReports(
                path,
                "has no Go blocks (it was merged at line level or comes from another format) "
                "and cannot be written as a Go profile",
            )
        if "\n" in path or "\r" in path or not path:
            raise IncompatibleReports(path or "''", "this path cannot be written in a Go profile")
        for b in sorted(f.blocks, key=lambda b: b.key):
            out.append(
                f"{path}:{b.start_line}.{b.start_col},{b.end_line}.{b.end_col} "
                f"{b.statements} {b.count}\n"
            )
    return "".join(out)
