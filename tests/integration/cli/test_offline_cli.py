"""`coverhub report | merge | diff` run as real processes on real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

GO_A = (
    "mode: count\n"
    "example.com/app/pkg/a.go:3.10,5.2 2 1\n"
    "example.com/app/pkg/a.go:6.2,8.3 3 0\n"
    "example.com/app/cmd/main.go:1.1,2.2 1 0\n"
)
GO_B = "mode: count\nexample.com/app/pkg/a.go:3.10,5.2 2 2\nexample.com/app/pkg/a.go:6.2,8.3 3 1\n"
LCOV = "TN:\nSF:/home/runner/work/app/app/web/x.js\nDA:1,1\nDA:2,0\nDA:3,5\nend_of_record\n"


def run(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )


def ok_json(cwd: Path, *args: str) -> dict:
    proc = run(cwd, *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "a.out").write_text(GO_A)
    (tmp_path / "b.out").write_text(GO_B)
    (tmp_path / "lcov.info").write_text(LCOV)
    (tmp_path / "go.mod").write_text("module example.com/app\n\ngo 1.22\n")
    return tmp_path


def test_report_json_contract(work: Path) -> None:
    out = ok_json(work, "report", "a.out", "--json")
    assert set(out) == {"format", "native", "lines", "branches", "files"}
    # statements: a.go 2 of 5 covered, main.go 0 of 1 -> 2 of 6; go prints "%.1f" of 33.33..
    assert out["format"] == "gocover"
    assert out["native"] == {
        "unit": "statements",
        "covered": 2,
        "total": 6,
        "percent": 100.0 * 2 / 6,
        "display": "33.3%",
    }
    # lines (block projection): a.go 3..4 hit, 6..8 missed; main.go 1..2 missed (EC=2 -> EL
    # excluded: line 1 only) -> 2 covered of 6
    assert out["lines"] == {"covered": 2, "total": 6, "partial": 0}
    assert out["branches"] == {"covered": 0, "total": 0}
    paths = [f["path"] for f in out["files"]]
    assert paths == ["example.com/app/cmd/main.go", "example.com/app/pkg/a.go"]
    first = out["files"][0]
    assert set(first) == {"path", "native", "lines", "branches"}
    assert first["native"] == {
        "unit": "statements",
        "covered": 0,
        "total": 1,
        "percent": 0.0,
        "display": "0.0%",
    }


def test_report_merges_and_maps_go_modules(work: Path) -> None:
    out = ok_json(work, "report", "a.out", "b.out", "--go-module", ".", "--json")
    # count mode: a.go blocks 1+2 and 0+1 -> all 5 statements run; main.go 0 of 1 -> 5 of 6
    assert out["native"]["covered"] == 5 and out["native"]["total"] == 6
    assert out["native"]["display"] == "83.3%"
    assert [f["path"] for f in out["files"]] == ["cmd/main.go", "pkg/a.go"]


def test_report_directory_archive_ignore_and_fix(work: Path) -> None:
    with zipfile.ZipFile(work / "artifact.zip", "w") as zf:
        zf.write(work / "lcov.info", "cov/lcov.info")
        zf.write(work / "a.out", "go/cover.out")
    out = ok_json(work, "report", "artifact.zip", "--go-module", ".", "--json")
    # lcov: CI root stripped; mixed merge with the Go profile, native = lines
    assert out["format"] == "mixed"
    assert [f["path"] for f in out["files"]] == ["cmd/main.go", "pkg/a.go", "web/x.js"]
    assert out["native"]["unit"] == "lines"
    # lines: Go 2 of 6 + lcov 2 of 3 = 4 of 9
    assert (out["native"]["covered"], out["native"]["total"]) == (4, 9)
    out = ok_json(
        work, "report", "artifact.zip", "--go-module", ".", "--ignore", "cmd/**",
        "--path-fix", "web::frontend", "--json",
    )  # fmt: skip
    assert [f["path"] for f in out["files"]] == ["frontend/x.js", "pkg/a.go"]
    # a directory is searched too
    (work / "sub").mkdir()
    (work / "sub" / "lcov.info").write_text(LCOV)
    out = ok_json(work, "report", "sub", "--json")
    assert out["format"] == "lcov" and out["native"]["display"] == "66.7%"


def test_report_table(work: Path) -> None:
    proc = run(work, "report", "a.out", "b.out")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == [
        "Name",
        "Stmts",
        "Miss",
        "Cover",
        "Lines",
        "Partial",
        "Line",
        "miss",
        "Unified",
    ]
    total = next(line for line in lines if line.startswith("TOTAL")).split()
    assert total == ["TOTAL", "6", "1", "83.3%", "6", "0", "1", "83.33%"]
    assert "83.3% of statements (as go prints it)" in proc.stdout
    assert "Unified (hits / (hits + partials + misses), lines): 83.33%" in proc.stdout


def test_merge_writes_a_profile_that_reads_back(work: Path) -> None:
    proc = run(work, "merge", "a.out", "b.out", "-o", "merged.out", "--format", "gocover")
    assert proc.returncode == 0, proc.stderr
    text = (work / "merged.out").read_text()
    assert text.startswith("mode: count\n")
    assert "example.com/app/pkg/a.go:3.10,5.2 2 3" in text
    assert "example.com/app/pkg/a.go:6.2,8.3 3 1" in text
    out = ok_json(work, "report", "merged.out", "--json")
    assert out["native"]["display"] == "83.3%"
    # lcov out of an lcov input, to stdout
    proc = run(work, "merge", "lcov.info", "lcov.info", "-o", "-", "--format", "lcov")
    assert proc.returncode == 0, proc.stderr
    assert "DA:3,10" in proc.stdout and "DA:1,2" in proc.stdout


def test_diff_json_contract(work: Path) -> None:
    (work / "pr.diff").write_text(
        "diff --git a/pkg/a.go b/pkg/a.go\n--- a/pkg/a.go\n+++ b/pkg/a.go\n"
        "@@ -3,0 +4,4 @@\n+a\n+b\n+c\n+d\n"
        "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n"
        "@@ -1 +1 @@\n-x\n+y\n"
    )
    out = ok_json(
        work, "diff", "--report", "a.out", "--go-module", ".", "--diff", "pr.diff", "--json"
    )
    # a.go measured lines 3,4 (hit) and 6,7,8 (missed); added 4..7 -> measured {4,6,7}, missing
    # {6,7}: 1 of 3 = 33.33..% -> diff-cover prints 33%
    assert out == {
        "percent": 1 / 3 * 100,
        "display": "33%",
        "lines": {"covered": 1, "total": 3},
        "files": [{"path": "pkg/a.go", "covered": 1, "total": 3, "missing": [6, 7]}],
        "not_measured": ["README.md"],
    }
    proc = run(
        work,
        "diff",
        "--report",
        "a.out",
        "--go-module",
        ".",
        "--diff",
        "-",
        stdin=(work / "pr.diff").read_text(),
    )
    assert proc.returncode == 0, proc.stderr
    assert "TOTAL" in proc.stdout and "33%" in proc.stdout and "6-7" in proc.stdout


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_errors_are_one_line(work: Path) -> None:
    assert one_line_error(run(work, "report", "nope.xml")) == (
        "coverhub report: nope.xml: no such file or directory"
    )
    (work / "notes.txt").write_text("hello\n")
    line = one_line_error(run(work, "report", "notes.txt"))
    assert line.startswith("coverhub report: notes.txt: no known coverage format")
    (work / "bad.out").write_text("mode: set\nx.go:1.1,2.2 1 -3\n")
    line = one_line_error(run(work, "report", "bad.out"))
    assert line.startswith("coverhub report: bad.out")
    with zipfile.ZipFile(work / "slip.zip", "w") as zf:
        zf.writestr("../../etc/cron.d/x", "boom")
    line = one_line_error(run(work, "report", "slip.zip"))
    assert line == "coverhub report: slip.zip: member '../../etc/cron.d/x': '..' in the path"
    line = one_line_error(run(work, "report", "a.out", "--path-fix", "nocolons"))
    assert line == "coverhub report: --path-fix nocolons: a path fix is written before::after"
    (work / "broken.diff").write_text("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n")
    line = one_line_error(run(work, "diff", "--report", "a.out", "--diff", "broken.diff"))
    assert line == "coverhub diff: broken.diff: diff ends inside a hunk (truncated?)"
    line = one_line_error(run(work, "diff", "--report", "a.out", "--diff", "missing.diff"))
    assert line == "coverhub diff: missing.diff: No such file or directory"
    line = one_line_error(run(work, "merge", "a.out", "lcov.info", "-o", "m.out"))
    assert line.startswith(
        "coverhub merge: the merged report is mixed: choose an output with --format"
    )
    (work / "empty").mkdir()
    line = one_line_error(run(work, "report", "empty"))
    assert line == "coverhub report: empty: no coverage file found"


# --------------------------------------------------------------------------------------------
# real tool outputs (tests/data): coverhub prints what the tools print

DATA = ROOT / "tests" / "data"


@pytest.mark.parametrize(
    ("path", "display", "counts", "lines", "branches"),
    [
        # nyc 17 text-summary.txt: Statements 96.52% (139/144), Branches 139/145, Lines 130/132.
        # The directory holds that run five times (clover, cobertura, lcov, final, summary):
        # it counts once, read from coverage-final.json.
        ("js/nyc", "96.52%", (139, 144), (130, 132), (139, 145)),
        # c8 10: Statements 98.47% (259/263), Branches 131/136, Lines 259/263
        ("js/c8", "98.47%", (259, 263), (259, 263), (131, 136)),
        # coverage.py 7.17.3 `coverage report --precision=2`: TOTAL 56.09%; tool-percent.txt
        # (the JSON's percent_covered) 56.090225563909776 = 373/665
        ("coveragepy/v7.17.3/coverage-p2.json", "56.09%", (373, 665), (310, 505), (63, 160)),
        # lcov 1.16 --summary of a.info: lines 84.8% (112 of 132), branches 111 of 145
        ("lcov/a.info", "84.8%", (112, 132), (112, 132), (111, 145)),
    ],
)
def test_report_on_real_outputs(tmp_path, path, display, counts, lines, branches) -> None:
    out = ok_json(tmp_path, "report", str(DATA / path), "--json")
    assert out["native"]["display"] == display
    assert (out["native"]["covered"], out["native"]["total"]) == counts
    assert (out["lines"]["covered"], out["lines"]["total"]) == lines
    assert (out["branches"]["covered"], out["branches"]["total"]) == branches


def test_report_on_a_real_coveragepy_html_directory(tmp_path) -> None:
    out = ok_json(tmp_path, "report", str(DATA / "coveragepy/v7.17.3/htmlcov-p2"), "--json")
    assert out["format"] == "coveragepy-html"
    assert out["native"]["percent"] == 56.090225563909776
    assert out["native"]["display"] == "56.09%"


def test_merge_of_real_go_profiles_equals_go_covdata(tmp_path) -> None:
    # go1.27.3: the two -coverpkg profiles merged by `go tool covdata textfmt` over both runs
    stdlib = DATA / "go/stdlib"
    proc = run(
        tmp_path, "merge", str(stdlib / "coverpkg.container_list.count.out"),
        str(stdlib / "coverpkg.path.count.out"), "-o", "merged.out", "--format", "gocover",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr

    def blocks(text: str) -> set[str]:
        return {line for line in text.splitlines()[1:] if line}

    ours = (tmp_path / "merged.out").read_text()
    go = (stdlib / "coverpkg.covdata.count.out").read_text()
    assert ours.splitlines()[0] == go.splitlines()[0] == "mode: count"
    assert blocks(ours) == blocks(go)


def test_go_work_and_module_path_forms(tmp_path) -> None:
    (tmp_path / "go.work").write_text("go 1.22\n\nuse (\n\t./svc\n\t./lib // shared\n)\n")
    for sub, module in (("svc", "example.com/svc"), ("lib", "example.com/lib")):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "go.mod").write_text(f"module {module}\n")
    (tmp_path / "c.out").write_text(
        "mode: set\nexample.com/svc/api/h.go:1.1,2.2 1 1\nexample.com/lib/util/u.go:1.1,2.2 1 0\n"
        "github.com/dep/x/x.go:1.1,2.2 1 1\n"
    )
    out = ok_json(tmp_path, "report", "c.out", "--go-module", ".", "--json")
    # the dependency is external to the workspace: dropped; 1 of 2 statements left
    assert [f["path"] for f in out["files"]] == ["lib/util/u.go", "svc/api/h.go"]
    assert out["native"]["display"] == "50.0%"
    out = ok_json(tmp_path, "report", "c.out", "--go-module", "example.com/svc", "--json")
    assert [f["path"] for f in out["files"]] == ["api/h.go"]
    line = one_line_error(run(tmp_path, "report", "c.out", "--go-module", "nowhere"))
    assert line == "coverhub report: --go-module nowhere: no such file, directory or module path"


def test_report_rolled_up_by_directory_and_package(work: Path) -> None:
    proc = run(work, "report", "a.out", "--go-module", ".", "--by", "package")
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()]
    # module -> package -> file; the module row sums its packages: 2 of 6 statements
    assert rows[2][:4] == ["example.com/app", "6", "4", "33.3%"]
    assert rows[3][:4] == ["example.com/app/cmd", "1", "1", "0.0%"]
    assert rows[4][:4] == ["main.go", "1", "1", "0.0%"]
    assert rows[5][:4] == ["example.com/app/pkg", "5", "3", "40.0%"]
    proc = run(work, "report", "a.out", "--go-module", ".", "--by", "directory")
    assert proc.returncode == 0, proc.stderr
    names = [line.split()[0] for line in proc.stdout.splitlines()[2:6]]
    assert names == ["cmd/", "main.go", "pkg/", "a.go"]
