"""``covdata percent``, ``func``, ``pkglist`` and ``textfmt`` (cmd/covdata/dump.go).

Each reads every pod, merges its counters per function (:mod:`.cmerge`), keeps the packages the
matcher selects and hands their units to a :class:`~app.coverage.gocovdata.cformat.Formatter`;
:func:`formatter_for` gives reports the same merged units. ``percent``, ``func`` and ``pkglist``
merge counter modes relaxed (the highest mode wins), ``textfmt`` refuses a mode clash.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.coverage.gocovdata.cformat import Formatter
from app.coverage.gocovdata.cmerge import Merger, merge_pod_counters
from app.coverage.gocovdata.inputs import Matcher, Result, load_pods
from app.coverage.gocovdata.meta import MODE_SET
from app.coverage.gocovdata.pods import CovDir
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits


def _dump(
    dirs: Sequence[CovDir], cmd: str, match: Matcher | None, limits: Limits
) -> tuple[Formatter | None, set[str], Result]:
    result = Result()
    merger = Merger(relaxed=cmd in ("percent", "func", "pkglist"))
    formatter: Formatter | None = None
    pkgpaths: set[str] = set()
    for loaded in load_pods(dirs, limits, result):
        meta = loaded.meta
        merger.set_mode(loaded.pod.meta_path, meta.mode, meta.granularity)
        if formatter is None:
            formatter = Formatter(meta.mode)
        table = merge_pod_counters(dirs, loaded, merger, limits, result)
        for pk, pkg in enumerate(meta.packages):
            if match is not None and not match(pkg.path):
                continue
            pkgpaths.add(pkg.path)
            ps = formatter.package(pkg.path, pkg.module_path, pkg.name)
            for fn, fd in enumerate(pkg.funcs):
                formatter.add_func(ps, fd, table.get((pk, fn)))
    return formatter, pkgpaths, result


def percent(
    dirs: Sequence[CovDir],
    match: Matcher | None = None,
    *,
    with_text: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> Result:
    """``covdata percent``; with ``with_text`` also the text profile (``percent -o``)."""
    formatter, _, result = _dump(dirs, "percent", match, limits)
    if formatter is not None:
        result.stdout = formatter.percent()
    if with_text:
        result.text = formatter.textual() if formatter is not None else ""
    return result


def func(
    dirs: Sequence[CovDir], match: Matcher | None = None, *, limits: Limits = DEFAULT_LIMITS
) -> Result:
    """``covdata func``."""
    formatter, _, result = _dump(dirs, "func", match, limits)
    if formatter is not None:
        result.stdout = formatter.funcs()
    return result


def pkglist(
    dirs: Sequence[CovDir], match: Matcher | None = None, *, limits: Limits = DEFAULT_LIMITS
) -> Result:
    """``covdata pkglist``."""
    _, pkgpaths, result = _dump(dirs, "pkglist", match, limits)
    result.stdout = "".join(f"{p}\n" for p in sorted(pkgpaths))
    return result


def textfmt(
    dirs: Sequence[CovDir], match: Matcher | None = None, *, limits: Limits = DEFAULT_LIMITS
) -> Result:
    """``covdata textfmt``: ``Result.text`` is the profile ("" when no input was found)."""
    formatter, _, result = _dump(dirs, "textfmt", match, limits)
    result.text = formatter.textual() if formatter is not None else ""
    return result


def formatter_for(
    dirs: Sequence[CovDir],
    match: Matcher | None = None,
    *,
    relaxed: bool = True,
    strict_pods: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[Formatter | None, Result]:
    """The merged units of every input, for reports built on top of go's own merge."""
    result = Result()
    merger = Merger(relaxed=relaxed)
    formatter: Formatter | None = None
    for loaded in load_pods(dirs, limits, result, strict=strict_pods):
        meta = loaded.meta
        merger.set_mode(loaded.pod.meta_path, meta.mode, meta.granularity)
        if formatter is None:
            formatter = Formatter(meta.mode)
        elif relaxed and meta.mode != formatter.mode:
            formatter.mode = MODE_SET  # a mode clash: keep hit/miss only (formats.md §1.3)
            for ps in formatter.packages.values():
                for k, v in ps.units.items():
                    ps.units[k] = 1 if v else 0
        table = merge_pod_counters(dirs, loaded, merger, limits, result)
        for pk, pkg in enumerate(meta.packages):
            if match is not None and not match(pkg.path):
                continue
            ps = formatter.package(pkg.path, pkg.module_path, pkg.name)
            for fn, fd in enumerate(pkg.funcs):
                counters = table.get((pk, fn))
                if counters is not None and formatter.mode == MODE_SET:
                    counters = [1 if c else 0 for c in counters]
                formatter.add_func(ps, fd, counters)
    return formatter, result
