"""Counter merging, as internal/coverage/cmerge: mode and granularity checks, set/count merges.

``set`` counters merge by OR, ``count``/``atomic`` counters by a saturating uint32 add (an
overflow becomes a warning). A relaxed merger lets the highest counter mode win on a mode clash;
a strict one refuses it.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.coverage.errors import IncompatibleReports
from app.coverage.gocovdata.inputs import LoadedPod, Result, counter_files
from app.coverage.gocovdata.meta import MODE_SET, gran_name, mode_name
from app.coverage.gocovdata.pods import CovDir
from app.coverage.gocovdata.wire import MAX_U32
from app.coverage.parsers.base import Limits


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


def merge_pod_counters(
    dirs: Sequence[CovDir], loaded: LoadedPod, merger: Merger, limits: Limits, result: Result
) -> dict[tuple[int, int], list[int]]:
    """The pod's counters merged over its counter files: ``{(package, function): counters}``."""
    table: dict[tuple[int, int], list[int]] = {}
    for _ref, cf in counter_files(dirs, loaded, limits):
        for fc in cf.funcs():
            key = (fc.pkg, fc.func)
            dst = table.get(key)
            if dst is None:
                dst = table[key] = [0] * len(fc.counters)
            merger.merge(dst, fc.counters)
        merger.take_overflow(result)
    return table
