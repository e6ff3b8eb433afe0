"""``covdata merge``, ``subtract`` and ``intersect``: the files of a new GOCOVERDIR, as bytes.

cmd/covdata/merge.go, metamerge.go and subtractintersect.go: per program (pod) the meta file is
kept (or re-encoded with the selected packages only) and one counter file holds the combined
counters, with the argv/GOOS/GOARCH that every input agrees on; ``merge -pcombine`` glues every
program into one meta file. Nothing is written to disk: ``Result.files`` maps names to bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.coverage.gocovdata.cmerge import Merger
from app.coverage.gocovdata.counters import CounterFile, FuncCounters, encode_counter_file
from app.coverage.gocovdata.inputs import Matcher, Result, counter_files, load_pods
from app.coverage.gocovdata.meta import (
    MODE_SET,
    FuncDesc,
    Package,
    encode_meta_file,
    encode_package,
    func_hash,
)
from app.coverage.gocovdata.pods import CovDir
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits


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
    for loaded in load_pods(dirs, limits, result):
        meta = loaded.meta
        merger.set_mode(loaded.pod.meta_path, meta.mode, meta.granularity)
        table: dict[tuple[int, int], list[int]] = {}
        states: list[tuple[list[str] | None, str, str]] = []
        for _ref, cf in counter_files(dirs, loaded, limits):
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
    for loaded in load_pods(dirs, limits, result):
        meta = loaded.meta
        merger.set_mode(loaded.pod.meta_path, meta.mode, meta.granularity)
        table: dict[tuple[int, int], list[int]] = {}
        states: list[tuple[list[str] | None, str, str]] = []
        inidx = -1
        seen: set[tuple[int, int]] | None = set() if mode == "intersect" else None
        for ref, cf in counter_files(dirs, loaded, limits):
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
