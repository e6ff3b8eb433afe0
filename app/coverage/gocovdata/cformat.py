"""go's text outputs, as internal/coverage/cformat: units per package, text profile, percent, func.

:class:`Formatter` accumulates the units of every selected package (merging a unit seen in
several programs) and writes the ``textfmt`` profile, the ``percent`` lines and the ``func``
table; :func:`tabwrite` aligns that table as text/tabwriter does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.coverage.gocovdata.meta import MODE_SET, FuncDesc, Unit, mode_name
from app.coverage.gocovdata.wire import MAX_U32


@dataclass(slots=True)
class _PkgState:
    funcs: list[tuple[str, str, bool]] = field(default_factory=list)
    func_index: dict[tuple[str, str, bool], int] = field(default_factory=dict)
    units: dict[tuple[int, Unit], int] = field(default_factory=dict)


class Formatter:
    """Accumulates units per package and writes go's text, percent and func outputs."""

    def __init__(self, mode: int) -> None:
        self.mode = mode
        self.packages: dict[str, _PkgState] = {}
        self.module_of: dict[str, str] = {}
        self.name_of: dict[str, str] = {}

    def package(self, path: str, module: str, name: str = "") -> _PkgState:
        ps = self.packages.get(path)
        if ps is None:
            ps = self.packages[path] = _PkgState()
            self.module_of[path] = module
            self.name_of[path] = name
        return ps

    def add_func(self, ps: _PkgState, fd: FuncDesc, counters: Sequence[int] | None) -> None:
        fkey = (fd.srcfile, fd.name, fd.literal)
        idx = ps.func_index.get(fkey)
        if idx is None:
            idx = ps.func_index[fkey] = len(ps.funcs)
            ps.funcs.append(fkey)
        units = ps.units
        for i, unit in enumerate(fd.units):
            count = counters[i] if counters is not None else 0
            ukey = (idx, unit)
            prev = units.get(ukey, 0)
            if self.mode == MODE_SET:
                units[ukey] = 1 if (count or prev) else 0
            else:
                units[ukey] = min(prev + count, MAX_U32)

    def sorted_units(self, ps: _PkgState) -> list[tuple[tuple[int, Unit], int]]:
        funcs = ps.funcs

        def key(item: tuple[tuple[int, Unit], int]) -> tuple[str, int, int, int, int, int]:
            (fid, u), _ = item
            return (funcs[fid][0], u.st_line, u.en_line, u.st_col, u.en_col, u.nx_stmts)

        return sorted(ps.units.items(), key=key)

    def textual(self) -> str:
        out = [f"mode: {mode_name(self.mode)}\n"]
        for path in sorted(self.packages):
            ps = self.packages[path]
            for (fid, u), count in self.sorted_units(ps):
                out.append(
                    f"{ps.funcs[fid][0]}:{u.st_line}.{u.st_col},{u.en_line}.{u.en_col} "
                    f"{u.nx_stmts} {count}\n"
                )
        return "".join(out)

    def package_counts(self, path: str) -> tuple[int, int]:
        covered = total = 0
        for (_fid, u), count in self.packages[path].units.items():
            total += u.nx_stmts
            if count:
                covered += u.nx_stmts
        return covered, total

    def percent(self) -> str:
        out = []
        for path in sorted(self.packages):
            covered, total = self.package_counts(path)
            out.append(f"\t{path}\t\t")
            if total:
                out.append(f"coverage: {100.0 * covered / total:.1f}% of statements\n")
        return "".join(out)

    def funcs(self) -> str:
        rows: list[tuple[str, str, str]] = []
        all_stmts = cov_stmts = 0

        def perc(covered: int, total: int) -> str:
            return f"{100.0 * covered / (total or 1):.1f}%"

        for path in sorted(self.packages):
            ps = self.packages[path]
            if not ps.units:
                continue
            cur: tuple[str, str, bool] | None = None
            fline = 0
            cst = tst = 0
            for (fid, u), count in self.sorted_units(ps):
                fkey = ps.funcs[fid]
                if cur is None:
                    cur, fline = fkey, u.st_line
                elif cur[1] != fkey[1]:
                    if not cur[2]:
                        rows.append((f"{cur[0]}:{fline}:", cur[1], perc(cst, tst)))
                    all_stmts += tst
                    cov_stmts += cst
                    cst = tst = 0
                    cur, fline = fkey, u.st_line
                tst += u.nx_stmts
                if count:
                    cst += u.nx_stmts
            assert cur is not None
            if not cur[2]:
                rows.append((f"{cur[0]}:{fline}:", cur[1], perc(cst, tst)))
            all_stmts += tst
            cov_stmts += cst
        rows.append(("total", "(statements)", perc(cov_stmts, all_stmts)))
        return tabwrite(rows)


def tabwrite(rows: Sequence[tuple[str, ...]]) -> str:
    """text/tabwriter with minwidth 1, tabwidth 8, padding 1, padchar '\\t' (cformat.EmitFuncs),
    for rows that all have the same number of cells; the last cell is not aligned."""
    if not rows:
        return ""
    ncols = len(rows[0]) - 1
    widths = []
    for col in range(ncols):
        width = max(max(len(r[col]) for r in rows) + 1, 1)
        widths.append((width + 7) // 8 * 8)
    lines = []
    for r in rows:
        parts = []
        for col in range(ncols):
            parts.append(r[col] + "\t" * ((widths[col] - len(r[col]) + 7) // 8))
        parts.append(r[-1])
        lines.append("".join(parts) + "\n")
    return "".join(lines)
