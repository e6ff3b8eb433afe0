"""Reading the inputs of a ``go tool covdata`` operation: pods, their meta file and counter files.

A pod's meta file is decoded and checked against the hash its name carries; each counter file is
decoded and checked against the pod's meta data (package, function and unit counts) before any
operation sees it. :class:`Result` is what every operation returns; orphaned counter files and
empty inputs become its warnings here, as go prints them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from app.coverage.errors import InvalidReport
from app.coverage.gocovdata.counters import CounterFile, decode_counter_file
from app.coverage.gocovdata.meta import MetaFile, decode_meta_file
from app.coverage.gocovdata.pods import CounterRef, CovDir, Pod, collect_pods
from app.coverage.parsers.base import Limits

Matcher = Callable[[str], bool]


@dataclass(slots=True)
class Result:
    """What one operation produced."""

    stdout: str = ""
    text: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class LoadedPod:
    """A pod and its decoded meta file."""

    pod: Pod
    meta: MetaFile


def load_meta(dirs: Sequence[CovDir], pod: Pod, limits: Limits) -> MetaFile:
    """The pod's meta file, decoded; its header hash must be the one its name carries."""
    data = dirs[pod.dir_index].read(pod.meta_name, limits)
    meta = decode_meta_file(data, pod.meta_path)
    if meta.hash_hex != pod.tag:
        raise InvalidReport(
            pod.meta_path, f"file name says hash {pod.tag} but the header holds {meta.hash_hex}"
        )
    return meta


def counter_files(
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


def load_pods(
    dirs: Sequence[CovDir], limits: Limits, result: Result, *, strict: bool = False
) -> Iterator[LoadedPod]:
    """Every pod of the inputs with its meta file; orphans and empty inputs become warnings."""
    podset = collect_pods(dirs, strict=strict)
    for orphan in podset.orphans:
        result.warnings.append(f"skipping orphaned counter file: {orphan}")
    if not podset.pods:
        result.warnings.append("no applicable files found in input directories")
    for pod in podset.pods:
        yield LoadedPod(pod, load_meta(dirs, pod, limits))
