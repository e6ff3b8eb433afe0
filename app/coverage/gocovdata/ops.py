"""The ``go tool covdata`` operations as pure functions over input directories.

Every function takes the input directories (:class:`~app.coverage.gocovdata.pods.CovDir`, built
from bytes or a SourceTree by the caller) and returns a :class:`Result`: what go prints on
standard output, the text profile (``textfmt``), the files to write (``merge``, ``subtract``,
``intersect``) and the warnings go would print on standard error. Nothing here touches the file
system.

The semantics follow cmd/covdata (go1.27.3): ``percent``, ``func`` and ``pkglist`` merge counter
modes relaxed (the highest mode wins), ``textfmt`` refuses a mode clash; counters of one program
(pod) are merged per function first (set: OR, count/atomic: saturating uint32 add), then units
are merged across programs by (package, file, function, literal flag, unit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from app.coverage.errors import IncompatibleReports, InvalidReport
from app.coverage.gocovdata.counters import (
    CounterFile,
    FuncCounters,
    decode_counter_file,
    encode_counter_file,
)
from app.coverage.gocovdata.meta import (
    MODE_SET,
    FuncDesc,
    MetaFile,
    Package,
    Unit,
    decode_meta_file,
    encode_meta_file,
    encode_package,
    func_hash,
    gran_name,
    mode_name,
)
from app.coverage.gocovdata.pods import CounterRef, CovDir, Pod, collect_pods
from app.coverage.gocovdata.wire import MAX_U32
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits

Matcher = Callable[[str], bool]


@dataclass(slots=True)
class Result:
    """What one operation produced."""

    stdout: str = ""
    text: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# reading pods


@dataclass(slots=True)
class LoadedPod:
    pod: Pod
    meta: MetaFile


def _load_meta(dirs: Sequence[CovDir], pod: Pod, limits: Limits) -> MetaFile:
    data = dirs[pod.dir_index].read(pod.meta_name, limits)
    meta = decode_meta_file(data, pod.meta_path)
    if meta.hash_hex != pod.tag:
        raise InvalidReport(
            pod.meta_path, f"file name says hash {pod.tag} but the header holds {meta.hash_hex}"
        )
    return meta


def _counter_files(
    dirs: Sequence[CovDir], loaded: LoadedPod, limits: Limits
) -> Iterator[tuple[CounterRef, CounterFile]]:
    """Each counter file of the pod, decoded and checked against the pod's meta data."""
    meta = loaded.meta
    for ref in loaded.pod.counters:
        cf = decode_counter_file(dirs[ref.dir_index].read(ref.name, limits), ref.path)
        if cf.meta_hash != meta.file_hash:
            raise InvalidReport(
                ref.path,
                f"counter file refers to meta hash {cf.meta_hash.hex()}, "
                f"not {meta.hash_hex} of {loaded.pod.meta_path}",
            )
        for fc in cf.funcs():
            if fc.pkg >= len(meta.packages):
                raise InvalidReport(ref.path, f"counter record for unknown package {fc.pkg}")
            funcs = meta.packages[fc.pkg].funcs
            if fc.func >= len(funcs):
                raise InvalidReport(
                    ref.path, f"counter record for unknown function {fc.func} of package {fc.pkg}"
                )
            nunits = len(funcs[fc.func].units)
            if len(fc.counters) != nunits:
                raise InvalidReport(
                    ref.path,
                    f"function {fc.func} of package {fc.pkg} has {len(fc.counters)} counters "
                    f"for {nunits} units",
                )
        yield ref, cf


def _pods(
    dirs: Sequence[CovDir], limits: Limits, result: Result, *, strict: bool = False
) -> Iterator[LoadedPod]:
    podset = collect_pods(dirs, strict=strict)
    for orphan in podset.orphans:
        result.warnings.append(f"skipping orphaned counter file: {orphan}")
    if not podset.pods:
        result.warnings.append("no applicable files found in input directories")
    for pod in podset.pods:
        yield LoadedPod(pod, _load_meta(dirs, pod, limits))


# --------------------------------------------------------------------------------------------
# counter merging (internal/coverage/cmerge)


class Merger:
    """Counter mode/granularity tracking and counter merging, as cmerge.Merger."""

    def __init__(self, relaxed: bool) -> None:
        self.relaxed = relaxed
        self.mode = 0
        self.gran = 0
        self.overflow = False

    def set_mode(self, mdf: str, mode: int, gran: int) -> None:
        if self.mode == 0:
            self.mode, self.gran = mode, gran
            return
        if self.gran != gran:
            raise IncompatibleReports(
                mdf,
                "counter granularity clash while reading meta-data file: previous file "
                f"had {gran_name(self.gran)}, new file has {gran_name(gran)}",
            )
        if self.mode != mode:
            if not self.relaxed:
                raise IncompatibleReports(
                    mdf,
                    "counter mode clash while reading meta-data file: previous file had "
                    f"{mode_name(self.mode)}, new file has {mode_name(mode)}",
                )
            self.mode = max(self.mode, mode)

    def reset(self) -> None:
        self.mode = self.gran = 0

    def merge(self, dst: list[int], src: Sequence[int]) -> None:
        if self.mode == MODE_SET:
            for i, v in enumerate(src):
                if v:
                    dst[i] = 1
        else:
            for i, v in enumerate(src):
                total = dst[i] + v
                if total > MAX_U32:
                    total = MAX_U32
                    self.overflow = True
                dst[i] = total

    def take_overflow(self, result: Result) -> None:
        if self.overflow:
            result.warnings.append("uint32 overflow during counter merge")
            self.overflow = False


def _merge_pod_counters(
    dirs: Sequence[CovDir], loaded: LoadedPod, merger: Merger, limits: Limits, result: Result
) -> dict[tuple[int, int], list[int]]:
    table: dict[tuple[int, int], list[int]] = {}
    for _ref, cf in _counter_files(dirs, loaded, limits):
        for fc in cf.funcs():
            key = (fc.pkg, fc.func)
            dst = table.get(key)
            if dst is None:
                dst = table[key] = [0] * len(fc.counters)
            merger.merge(dst, fc.counters)
        merger.take_overflow(result)
    return table


# --------------------------------------------------------------------------------------------
# the formatter (internal/coverage/cformat)


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


# --------------------------------------------------------------------------------------------
# percent, func, pkglist, textfmt (cmd/covdata/dump.go)


def _dump(
    dirs: Sequence[CovDir], cmd: str, match: Matcher | None, limits: Limits
) -> tuple[Formatter | None, set[str], Result]:
    result = Result()
    merger = Merger(relaxed=cmd in ("percent", "func", "pkglist"))
    formatter: Formatter | None = None
    pkgpaths: set[str] = set()
    for loaded in _pods(dirs, limits, result):
        meta = loaded.meta
        merger.set_mode(loaded.pod.meta_path, meta.mode, meta.granularity)
        if formatter is None:
            formatter = Formatter(meta.mode)
        table = _merge_pod_counters(dirs, loaded, merger, limits, result)
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
    for loaded in _pods(dirs, limits, result, strict=strict_pods):
        meta = loaded.meta
        merger.set_mode(loaded.pod.meta_path, meta.mode, meta.granularity)
        if formatter is None:
            formatter = Formatter(meta.mode)
        elif relaxed and meta.mode != formatter.mode:
            formatter.mode = MODE_SET  # a mode clash: keep hit/miss only (formats.md §1.3)
            for ps in formatter.packages.values():
                for k, v in ps.units.items():
                    ps.units[k] = 1 if v else 0
        table = _merge_pod_counters(dirs, loaded, merger, limits, result)
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


# --------------------------------------------------------------------------------------------
# merge, subtract, intersect (cmd/covdata/merge.go, metamerge.go, subtractintersect.go)


def _args_summary(states: list[tuple[list[str] | None, str, str]]) -> dict[str, str]:
    """argsmerge.go: keep argv/GOOS/GOARCH only where every counter file agrees."""
    if not states:
        return {}
    osargs, goos, goarch = states[0]
    for o, s, a in states[1:]:
        if o != osargs:
            osargs = None
        if s != goos:
            goos = ""
        if a != goarch:
            goarch = ""
    out: dict[str, str] = {}
    if osargs:
        out["argc"] = str(len(osargs))
        for k, arg in enumerate(osargs):
            out[f"argv{k}"] = arg
    if goos:
        out["GOOS"] = goos
    if goarch:
        out["GOARCH"] = goarch
    return out


def _arg_state(cf: CounterFile) -> tuple[list[str] | None, str, str]:
    args = cf.args
    osargs = cf.os_args()
    return (osargs or None, args.get("GOOS", ""), args.get("GOARCH", ""))


def _counter_name(meta_hash: bytes, timestamp_ns: int) -> str:
    return f"covcounters.{meta_hash.hex()}.0.{timestamp_ns}"


def _emit(
    result: Result,
    meta_hash: bytes,
    meta_bytes: bytes,
    ctabs: Sequence[dict[int, list[int]]],
    args: dict[str, str],
    timestamp_ns: int,
) -> None:
    result.files[f"covmeta.{meta_hash.hex()}"] = meta_bytes
    records = [
        FuncCounters(pidx, fid, tuple(ctab[fid]))
        for pidx, ctab in enumerate(ctabs)
        for fid in sorted(ctab)
    ]
    name = _counter_name(meta_hash, timestamp_ns)
    while name in result.files:  # two pods may not share a file name
        timestamp_ns += 1
        name = _counter_name(meta_hash, timestamp_ns)
    result.files[name] = encode_counter_file(meta_hash, [(args, records)])


def merge(
    dirs: Sequence[CovDir],
    match: Matcher | None = None,
    *,
    pcombine: bool = False,
    timestamp_ns: int,
    limits: Limits = DEFAULT_LIMITS,
) -> Result:
    """``covdata merge``: ``Result.files`` maps output file names to their bytes.

    Per program (pod) the meta file is kept unchanged and one counter file (pid 0) holds the
    merged counters; with ``match`` (``-pkg``) the meta file is re-encoded with the selected
    packages only; with ``pcombine`` every program is glued into one meta file.
    """
    result = Result()
    merger = Merger(relaxed=True)
    # pcombine state: package path -> (package, [FuncDesc], {func hash: index}, {fid: counters})
    combined: dict[str, tuple[Package, list[FuncDesc], dict[bytes, int], dict[int, list[int]]]]
    combined = {}
    comb_args: list[tuple[list[str] | None, str, str]] = []
    for loaded in _pods(dirs, limits, result):
        meta = loaded.meta
        merger.set_mode(loaded.pod.meta_path, meta.mode, meta.granularity)
        table: dict[tuple[int, int], list[int]] = {}
        states: list[tuple[list[str] | None, str, str]] = []
        for _ref, cf in _counter_files(dirs, loaded, limits):
            states.append(_arg_state(cf))
            for fc in cf.funcs():
                dst = table.setdefault((fc.pkg, fc.func), [0] * len(fc.counters))
                merger.merge(dst, fc.counters)
            merger.take_overflow(result)
        selected = [
            (pk, pkg) for pk, pkg in enumerate(meta.packages) if match is None or match(pkg.path)
        ]
        if pcombine:
            comb_args.extend(states)
            for pk, pkg in selected:
                entry = combined.get(pkg.path)
                if entry is None:
                    entry = combined[pkg.path] = (pkg, [], {}, {})
                _, fds, ftab, ctab = entry
                for fn, fd in enumerate(pkg.funcs):
                    h = func_hash(fd)
                    gfid = ftab.get(h)
                    if gfid is None:
                        gfid = ftab[h] = len(fds)
                        fds.append(fd)
                    counters = table.get((pk, fn))
                    if counters is None:
                        continue
                    if gfid in ctab:
                        merger.merge(ctab[gfid], counters)
                        merger.take_overflow(result)
                    else:
                        ctab[gfid] = list(counters)
            continue
        ctabs = [
            {fn: table[(pk, fn)] for fn in range(len(pkg.funcs)) if (pk, fn) in table}
            for pk, pkg in selected
        ]
        if match is None:
            meta_hash = meta.file_hash
            meta_bytes = dirs[loaded.pod.dir_index].read(loaded.pod.meta_name, limits)
        else:
            blobs = [pkg.blob for _, pkg in selected]
            meta_hash, meta_bytes = encode_meta_file(blobs, merger.mode, merger.gran)
        _emit(result, meta_hash, meta_bytes, ctabs, _args_summary(states), timestamp_ns)
        merger.reset()
    if pcombine:
        blobs = [
            encode_package(pkg.path, pkg.name, pkg.module_path, fds)
            for pkg, fds, _, _ in combined.values()
        ]
        meta_hash, meta_bytes = encode_meta_file(blobs, merger.mode or MODE_SET, merger.gran or 1)
        ctabs = [ctab for _, _, _, ctab in combined.values()]
        _emit(result, meta_hash, meta_bytes, ctabs, _args_summary(comb_args), timestamp_ns)
    return result


def _subtract_intersect(
    dirs: Sequence[CovDir],
    mode: str,
    match: Matcher | None,
    timestamp_ns: int,
    limits: Limits,
) -> Result:
    result = Result()
    merger = Merger(relaxed=False)
    for loaded in _pods(dirs, limits, result):
        meta = loaded.meta
        merger.set_mode(loaded.pod.meta_path, meta.mode, meta.granularity)
        table: dict[tuple[int, int], list[int]] = {}
        states: list[tuple[list[str] | None, str, str]] = []
        inidx = -1
        seen: set[tuple[int, int]] | None = set() if mode == "intersect" else None
        for ref, cf in _counter_files(dirs, loaded, limits):
            states.append(_arg_state(cf))
            if ref.dir_index != inidx:
                if ref.dir_index == 0:
                    seen = None
                elif mode == "intersect":
                    if seen is not None:
                        table = {k: v for k, v in table.items() if k in seen}
                    seen = set()
                inidx = ref.dir_index
            for fc in cf.funcs():
                key = (fc.pkg, fc.func)
                if inidx == 0:
                    dst = table.setdefault(key, [0] * len(fc.counters))
                    merger.merge(dst, fc.counters)
                    continue
                val = table.get(key)
                if val is None:
                    continue
                if mode == "subtract":
                    for i, c in enumerate(fc.counters):
                        if c:
                            val[i] = 0
                else:
                    assert seen is not None
                    seen.add(key)
                    for i, c in enumerate(fc.counters):
                        if not c:
                            val[i] = 0
            merger.take_overflow(result)
        if seen is not None:
            table = {k: v for k, v in table.items() if k in seen}
        selected = [
            (pk, pkg) for pk, pkg in enumerate(meta.packages) if match is None or match(pkg.path)
        ]
        ctabs = [
            {fn: table[(pk, fn)] for fn in range(len(pkg.funcs)) if (pk, fn) in table}
            for pk, pkg in selected
        ]
        if match is None:
            meta_hash = meta.file_hash
            meta_bytes = dirs[loaded.pod.dir_index].read(loaded.pod.meta_name, limits)
        else:
            blobs = [pkg.blob for _, pkg in selected]
            meta_hash, meta_bytes = encode_meta_file(blobs, merger.mode, merger.gran)
        _emit(result, meta_hash, meta_bytes, ctabs, _args_summary(states), timestamp_ns)
        merger.reset()
    return result


def subtract(
    dirs: Sequence[CovDir],
    match: Matcher | None = None,
    *,
    timestamp_ns: int,
    limits: Limits = DEFAULT_LIMITS,
) -> Result:
    """``covdata subtract -i=A,B``: A's counters, zeroed wherever B's are non-zero."""
    if len(dirs) != 2:
        raise ValueError("supply exactly two input dirs for subtract operation")
    return _subtract_intersect(dirs, "subtract", match, timestamp_ns, limits)


def intersect(
    dirs: Sequence[CovDir],
    match: Matcher | None = None,
    *,
    timestamp_ns: int,
    limits: Limits = DEFAULT_LIMITS,
) -> Result:
    """``covdata intersect``: counters zeroed where any later input has zero, and functions
    absent from a later input dropped."""
    return _subtract_intersect(dirs, "intersect", match, timestamp_ns, limits)
