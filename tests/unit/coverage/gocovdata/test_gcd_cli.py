"""`coverhub covdata` on synthetic directories: flags, outputs, errors as one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from gcd_build import gocoverdir

from app.cli import main
from app.coverage.gocovdata.counters import decode_counter_file

pytestmark = pytest.mark.unit

RUN1 = [(0, 0, (1, 0)), (1, 0, (1,))]
RUN2 = [(0, 1, (1,)), (3, 0, (5,))]


def _dir(root: Path, name: str, files: dict[str, bytes]) -> Path:
    d = root / name
    d.mkdir()
    for n, data in files.items():
        (d / n).write_bytes(data)
    return d


def test_percent_both_flag_spellings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = _dir(tmp_path, "a", gocoverdir([RUN1, RUN2]))
    assert main(["covdata", "percent", f"-i={d}"]) == 0
    first = capsys.readouterr().out
    assert main(["covdata", "percent", "-i", str(d), "-pkg", "strings"]) == 0
    assert capsys.readouterr().out == "\tstrings\t\tcoverage: 100.0% of statements\n"
    assert first.startswith("\texample.com/demo\t\tcoverage: 75.0% of statements\n")


def test_textfmt_and_merge_write_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = _dir(tmp_path, "a", gocoverdir([RUN1, RUN2], mode=2))
    out = tmp_path / "p.txt"
    assert main(["covdata", "textfmt", f"-i={d}", f"-o={out}"]) == 0
    assert out.read_text().startswith("mode: count\nexample.com/demo/main.go:5.2,6.10 2 1\n")
    merged = tmp_path / "merged" / "deeper"
    assert main(["covdata", "merge", f"-i={d},{d}", "-o", str(merged)]) == 0
    names = sorted(p.name for p in merged.iterdir())
    assert len(names) == 2 and names[0].startswith("covcounters.") and ".0." in names[0]
    assert not any(n.startswith("tmp.") for n in names)
    counters = decode_counter_file((merged / names[0]).read_bytes(), names[0])
    # the same directory twice: one meta file (the first), each counter file read twice, as go does
    assert {(f.pkg, f.func): f.counters for f in counters.funcs()}[(3, 0)] == (10,)
    assert capsys.readouterr().out == ""


def test_report_subcommand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = _dir(tmp_path, "a", gocoverdir([RUN1, RUN2]))
    assert main(["covdata", "report", f"-i={d}"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "(standard library) [standard library]\t100.0%\t4/4"
    assert "example.com/demo [main module]\t57.1%\t4/7" in out
    assert "github.com/other [dependency]\t0.0%\t0/3" in out
    assert "    example.com/demo/lib/a.go\t0.0%\t0/1" in out
    assert out[-1] == "total 57.1% | main module 57.1% | dependency 0.0% | standard library 100.0%"


def test_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = gocoverdir([RUN1])
    meta = next(n for n in files if n.startswith("covmeta."))
    files[meta] = files[meta][:100]
    d = _dir(tmp_path, "bad", files)
    assert main(["covdata", "func", f"-i={d}"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"coverhub covdata: {d}/{meta}: ")
    assert "truncated" in err
    assert main(["covdata", "textfmt", f"-i={d}"]) == 1
    assert "select output file name with '-o' option" in capsys.readouterr().err
    assert main(["covdata", "merge", f"-i={d}"]) == 1
    assert "select output directory" in capsys.readouterr().err


def test_orphan_warning_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = gocoverdir([RUN1])
    files["covcounters.ffff.1.2"] = b"x"
    d = _dir(tmp_path, "o", files)
    assert main(["covdata", "pkglist", f"-i={d}"]) == 0
    captured = capsys.readouterr()
    assert captured.err == f"warning: skipping orphaned counter file: {d}/covcounters.ffff.1.2\n"
    assert captured.out.splitlines()[0] == "example.com/demo"
