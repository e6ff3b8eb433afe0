"""Merging parsed Go profiles by Go's rules (re-exported as :func:`gocover.merge_profiles`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction

from app.coverage.errors import IncompatibleReports, LimitExceeded
from app.coverage.model import Counts, CoverageReport, FileCoverage, LineHits
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits
from app.coverage.parsers.gocover_build import (
    GO_BLOCK_FORMATS,
    MODES,
    BlockMap,
    SpanBudget,
    block_lines,
    build_maps,
    position,
    report_of,
)


def merge_profiles(
    reports: Sequence[CoverageReport], source: str, limits: Limits = DEFAULT_LIMITS
) -> CoverageReport:
    """Merge parsed Go profiles the way Go's tools do; ``source`` names the merge in errors.

    Inputs may be text profiles (``gocover``) or GOCOVERDIR reports (``gocovdata``): both carry
    Go blocks. The result is a ``gocover`` report (:mod:`app.coverage.writers.gocover` writes it).

    * Blocks of the same file at the same position (SL, SC, EL, EC) are one block: their NSTMT
      must be equal (else :class:`IncompatibleReports`); ``set`` ORs the counts, ``count`` and
      ``atomic`` add them, saturating at ``limits.max_count`` (x/tools, gocovmerge, covdata).
    * A block present in only some inputs is kept as it is (gocovmerge inserts it) as long as it
      does not overlap a block that the other inputs have at another position.
    * Different modes: every count becomes hit/miss (0/1) and the result is labelled ``set``
      (formats.md §1.3 service rule: 0/1 must not be summed with real counts). Go's covdata
      would instead upgrade the mode; the covered statements, hence the headline, are the same.
    * Blocks of one file that overlap without being identical (profiles of the same source from
      different Go toolchains, whose block boundaries differ) cannot be merged block by block.
      That file is then merged at line level: its blocks are dropped (``blocks=None``), line hits
      are ORed (``set``) or added, and a line stays partial only if every input that ran it had
      it partial. Its native statements are those of the first input that still has blocks,
      a block counting as covered when it ran there or when every line it touches is fully hit
      after the merge. A file that only line-level data is left for (merged that way before)
      keeps the first input's statement total and the best covered count seen for that total.
    """
    if not reports:
        raise IncompatibleReports(source, "there is no Go profile to merge")
    for r in reports:
        if r.format not in GO_BLOCK_FORMATS or r.mode not in MODES:
            raise IncompatibleReports(
                source, f"a {r.format} report cannot be merged with Go profiles by Go's rules"
            )
    modes = {r.mode for r in reports}
    mode = reports[0].mode if len(modes) == 1 else "set"
    assert mode is not None
    to_set = mode == "set"
    by_path: dict[str, list[FileCoverage]] = {}
    for r in reports:
        for path, f in r.files.items():
            by_path.setdefault(path, []).append(f)
    if len(by_path) > limits.max_files:
        raise LimitExceeded(source, f"more than {limits.max_files} source files")
    by_blocks: dict[str, BlockMap] = {}
    by_lines: dict[str, FileCoverage] = {}
    for path, inputs in by_path.items():
        if all(f.blocks is not None for f in inputs):
            maps = [_block_map(f, to_set) for f in inputs]
            if not _conflicting(maps):
                by_blocks[path] = _merge_blocks(maps, path, to_set, source, limits.max_count)
                continue
        by_lines[path] = _merge_lines(path, inputs, to_set, limits.max_count)
    built = build_maps(by_blocks, SpanBudget(source, limits.max_lines))  # all files at once
    return report_of(mode, {**built, **by_lines})


def _block_map(f: FileCoverage, to_set: bool) -> BlockMap:
    assert f.blocks is not None
    if to_set:
        return {b.key: (b.statements, 1 if b.count else 0) for b in f.blocks}
    return {b.key: (b.statements, b.count) for b in f.blocks}


def _conflicting(maps: Sequence[BlockMap]) -> bool:
    """Do two blocks overlap while not every input has both? (then they are not Go's blocks)."""
    if all(m.keys() == maps[0].keys() for m in maps[1:]):
        return False
    holders: dict[tuple[int, int, int, int], int] = {}
    for index, m in enumerate(maps):
        bit = 1 << index
        for key in m:
            holders[key] = holders.get(key, 0) | bit
    # Sweep by start position; for each group of inputs (a bit mask) remember the furthest end
    # seen. A block overlaps an earlier one exactly when that one ends after this one starts.
    furthest: dict[int, tuple[int, int]] = {}
    for key in sorted(holders):
        start, end = (key[0], key[1]), (key[2], key[3])
        if start == end:
            continue
        mask = holders[key]
        for other, other_end in furthest.items():
            if other != mask and other_end > start:
                return True
        if furthest.get(mask, (0, 0)) < end:
            furthest[mask] = end
    return False


def _merge_blocks(
    maps: Sequence[BlockMap], path: str, to_set: bool, source: str, max_count: int
) -> BlockMap:
    merged: BlockMap = dict(maps[0])
    for m in maps[1:]:
        for key, (nstmt, count) in m.items():
            previous = merged.get(key)
            if previous is None:
                merged[key] = (nstmt, count)
                continue
            if previous[0] != nstmt:
                raise IncompatibleReports(
                    source,
                    f"{path}:{position(key)} has {previous[0]} statements in one profile and "
                    f"{nstmt} in another",
                )
            total = previous[1] | count if to_set else min(previous[1] + count, max_count)
            merged[key] = (nstmt, total)
    return merged


def _merge_lines(
    path: str, inputs: Sequence[FileCoverage], to_set: bool, max_count: int
) -> FileCoverage:
    hits: dict[int, int] = {}
    full: set[int] = set()  # lines some input ran without being partial
    partials: dict[int, tuple[int, int]] = {}
    for f in inputs:
        for line, count in f.lines.items_sorted():
            if to_set:
                count = 1 if count else 0
                hits[line] = max(hits.get(line, 0), count)
            else:
                hits[line] = min(hits.get(line, 0) + count, max_count)
            if not count:
                continue
            pair = f.branches.get(line)
            if pair is None or pair[0] >= pair[1]:
                full.add(line)
            elif line not in partials or _ratio(pair) > _ratio(partials[line]):
                partials[line] = pair
    branches = {line: pair for line, pair in sorted(partials.items()) if line not in full}
    native = _line_level_native(inputs, hits, branches)
    return FileCoverage(
        path=path,
        lines=LineHits.from_mapping(hits),
        branches=branches,
        native=native,
        package=inputs[0].package,
        blocks=None,
    )


def _ratio(pair: tuple[int, int]) -> Fraction:
    return Fraction(pair[0], pair[1]) if pair[1] else Fraction(0)


def _line_level_native(
    inputs: Iterable[FileCoverage], hits: Mapping[int, int], partial: Mapping[int, object]
) -> Counts:
    inputs = list(inputs)
    for f in inputs:
        if f.blocks is None:
            continue
        covered = total = 0
        for b in f.blocks:
            total += b.statements
            if b.count or all(hits.get(n, 0) and n not in partial for n in block_lines(b.key)):
                covered += b.statements
        return Counts(covered, total)
    total = inputs[0].native.total
    best = max(f.native.covered for f in inputs if f.native.total == total)
    return Counts(min(best, total), total)
