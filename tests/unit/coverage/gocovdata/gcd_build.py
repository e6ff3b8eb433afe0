"""Synthetic GOCOVERDIR data built with the package's own encoders (no Go needed)."""

from __future__ import annotations

from app.coverage.gocovdata.counters import FuncCounters, encode_counter_file
from app.coverage.gocovdata.meta import (
    MODE_NAMES,
    FuncDesc,
    Unit,
    encode_meta_file,
    encode_package,
    package_hash,
    runtime_file_hash,
)
from app.coverage.gocovdata.pods import CovDir

MODULE = "example.com/demo"

PACKAGES: list[tuple[str, str, str, list[FuncDesc]]] = [
    (
        "example.com/demo",
        "main",
        MODULE,
        [
            FuncDesc(
                "main", "example.com/demo/main.go", (Unit(5, 2, 6, 10, 2), Unit(7, 3, 8, 1, 1))
            ),
            FuncDesc("func1", "example.com/demo/main.go", (Unit(10, 20, 10, 30, 1),), True),
        ],
    ),
    (
        "example.com/demo/lib",
        "lib",
        MODULE,
        [
            FuncDesc("Add", "example.com/demo/lib/lib.go", (Unit(3, 2, 3, 14, 1),)),
            FuncDesc("Nothing", "example.com/demo/lib/lib.go", (Unit(6, 17, 6, 17, 0),)),
            FuncDesc("init", "example.com/demo/lib/a.go", (Unit(4, 2, 4, 9, 1),)),
            FuncDesc("init", "example.com/demo/lib/b.go", (Unit(4, 2, 4, 9, 1),)),
        ],
    ),
    (
        "github.com/other/dep",
        "dep",
        "github.com/other",
        [FuncDesc("Dep", "github.com/other/dep/dep.go", (Unit(3, 2, 4, 5, 3),))],
    ),
    ("strings", "strings", "", [FuncDesc("Fields", "strings/strings.go", (Unit(1, 1, 2, 2, 4),))]),
]


def meta_bytes(
    mode: int = 1, packages: list[tuple[str, str, str, list[FuncDesc]]] | None = None
) -> tuple[bytes, bytes]:
    """(file hash, covmeta bytes) as a running program writes them."""
    pkgs = PACKAGES if packages is None else packages
    blobs = [encode_package(p, n, m, f) for p, n, m, f in pkgs]
    hashes = [package_hash(p, n, m, f) for p, n, m, f in pkgs]
    file_hash = runtime_file_hash(hashes, mode, 1)
    return encode_meta_file(blobs, mode, 1, file_hash)


ARGS = {"GOARCH": "amd64", "GOOS": "linux", "argc": "2", "argv0": "./demo", "argv1": "x"}


def counters_bytes(
    file_hash: bytes,
    records: list[tuple[int, int, tuple[int, ...]]],
    flavor: int = 2,
    big: bool = False,
) -> bytes:
    funcs = [FuncCounters(p, f, c) for p, f, c in records]
    return encode_counter_file(file_hash, [(ARGS, funcs)], flavor, big)


def gocoverdir(
    runs: list[list[tuple[int, int, tuple[int, ...]]]],
    mode: int = 1,
    label: str = "d",
    pid0: int = 100,
) -> dict[str, bytes]:
    file_hash, meta = meta_bytes(mode)
    files = {f"covmeta.{file_hash.hex()}": meta}
    for k, records in enumerate(runs):
        files[f"covcounters.{file_hash.hex()}.{pid0 + k}.{1700000000000000000 + k}"] = (
            counters_bytes(file_hash, records)
        )
    return files


def covdir(files: dict[str, bytes], label: str = "d") -> CovDir:
    return CovDir.from_mapping(label, files)


__all__ = ["MODE_NAMES", "PACKAGES", "counters_bytes", "covdir", "gocoverdir", "meta_bytes"]
