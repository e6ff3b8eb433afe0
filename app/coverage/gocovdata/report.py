"""A module -> package -> file summary of GOCOVERDIR data, and each package's disposition.

The coverage proposal (golang/go#51430) records, for every package of a program, its
*disposition* relative to the main module: part of the main module, a dependency module, or the
standard library (whose packages carry an empty module path in the meta data). Reports can then
count the main module alone, as most application owners want, or everything.

Statement counts are go's own (``covdata percent``): units merged across runs and programs, a unit
covered when its merged counter is non-zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.coverage.gocovdata.ops import Formatter, Matcher, formatter_for
from app.coverage.gocovdata.pods import CovDir
from app.coverage.model import Counts
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits
from app.coverage.percent import GO

MAIN, DEPENDENCY, STDLIB = "main", "dependency", "stdlib"


@dataclass(frozen=True, slots=True)
class FileSummary:
    path: str
    statements: Counts


@dataclass(frozen=True, slots=True)
class PackageSummary:
    path: str
    name: str
    module: str
    disposition: str
    statements: Counts
    files: tuple[FileSummary, ...]


@dataclass(frozen=True, slots=True)
class ModuleSummary:
    path: str  # "" for the standard library
    disposition: str
    statements: Counts
    packages: tuple[PackageSummary, ...]


@dataclass(frozen=True, slots=True)
class Summary:
    main_module: str | None
    modules: tuple[ModuleSummary, ...]

    @property
    def statements(self) -> Counts:
        total = Counts()
        for m in self.modules:
            total = total + m.statements
        return total

    def by_disposition(self) -> dict[str, Counts]:
        """Statement counts of the main module, of dependencies and of the standard library."""
        out = {MAIN: Counts(), DEPENDENCY: Counts(), STDLIB: Counts()}
        for m in self.modules:
            out[m.disposition] = out[m.disposition] + m.statements
        return out


def disposition(module: str, main_module: str | None) -> str:
    if module == "":
        return STDLIB
    if main_module is not None and module == main_module:
        return MAIN
    return DEPENDENCY


def guess_main_module(formatter: Formatter) -> str | None:
    """The module of the program's ``main`` package, else the only module present."""
    for path in sorted(formatter.packages):
        if formatter.name_of.get(path) == "main" and formatter.module_of.get(path):
            return formatter.module_of[path]
    modules = {m for m in formatter.module_of.values() if m}
    return modules.pop() if len(modules) == 1 else None


def summarize_formatter(formatter: Formatter, main_module: str | None = None) -> Summary:
    if main_module is None:
        main_module = guess_main_module(formatter)
    per_module: dict[str, list[PackageSummary]] = {}
    for path in sorted(formatter.packages):
        ps = formatter.packages[path]
        per_file: dict[str, tuple[int, int]] = {}
        for (fid, unit), count in ps.units.items():
            file = ps.funcs[fid][0]
            cov, tot = per_file.get(file, (0, 0))
            per_file[file] = (cov + (unit.nx_stmts if count else 0), tot + unit.nx_stmts)
        files = tuple(FileSummary(f, Counts(*per_file[f])) for f in sorted(per_file))
        stmts = Counts()
        for f in files:
            stmts = stmts + f.statements
        module = formatter.module_of.get(path, "")
        per_module.setdefault(module, []).append(
            PackageSummary(
                path,
                formatter.name_of.get(path, ""),
                module,
                disposition(module, main_module),
                stmts,
                files,
            )
        )
    modules = []
    for module in sorted(per_module):
        pkgs = tuple(per_module[module])
        stmts = Counts()
        for p in pkgs:
            stmts = stmts + p.statements
        modules.append(ModuleSummary(module, disposition(module, main_module), stmts, pkgs))
    return Summary(main_module, tuple(modules))


def summarize(
    dirs: Sequence[CovDir],
    match: Matcher | None = None,
    *,
    main_module: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Summary:
    """The hierarchical summary of the inputs (relaxed mode merge, as ``covdata percent``)."""
    formatter, _ = formatter_for(dirs, match, limits=limits)
    if formatter is None:
        return Summary(main_module, ())
    return summarize_formatter(formatter, main_module)


def _pct(c: Counts) -> str:
    return GO.display(c.covered, c.total)


def render(summary: Summary) -> str:
    """A plain-text tree: module, package, file, each with go's percentage and statements."""
    labels = {MAIN: "main module", DEPENDENCY: "dependency", STDLIB: "standard library"}
    lines: list[str] = []
    for m in summary.modules:
        name = m.path or "(standard library)"
        lines.append(
            f"{name} [{labels[m.disposition]}]\t{_pct(m.statements)}\t{_frac(m.statements)}"
        )
        for p in m.packages:
            lines.append(f"  {p.path}\t{_pct(p.statements)}\t{_frac(p.statements)}")
            for f in p.files:
                lines.append(f"    {f.path}\t{_pct(f.statements)}\t{_frac(f.statements)}")
    split = summary.by_disposition()
    lines.append(
        "total "
        + _pct(summary.statements)
        + " | "
        + " | ".join(f"{labels[k]} {_pct(split[k])}" for k in (MAIN, DEPENDENCY, STDLIB))
    )
    return "".join(f"{line}\n" for line in lines)


def _frac(c: Counts) -> str:
    return f"{c.covered}/{c.total}"
