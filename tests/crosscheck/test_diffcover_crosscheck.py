"""Patch coverage against diff-cover itself, on a real git repository and a real coverage.py run.

The repository has a base branch and a feature branch whose commits edit, add, delete, rename
(with and without edits) files, change a binary file and a file mode. coverage.py measures the
feature branch (``coverage xml``, with branches, and ``coverage lcov``); diff-cover 11 computes
its JSON report against the base branch; ``coverhub diff --json`` must give the same total
percent, the same measured files, and per file the same measured and missing lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import gitrepo
from tests.support.gitrepo import git

pytestmark = pytest.mark.slow

VENV_BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]

BASE_FILES = {
    "pkg/__init__.py": "",
    "pkg/calc.py": ("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"),
    "pkg/old.py": "def legacy():\n    return 1\n",
    "pkg/moveme.py": "def moved():\n    return 'm'\n",
    "pkg/editme.py": "def edit(x):\n    if x:\n        return 1\n    return 2\n",
    "pkg/spaced name.py": "def spaced():\n    return 's'\n",
    "data.bin": "\x00\x01\x02",
    "tool.sh": "echo hi\n",
    "run.py": (
        "from pkg import calc, moveme, editme\ncalc.add(1, 2)\nmoveme.moved()\neditme.edit(1)\n"
    ),
}


def write(repo: Path, files: dict[str, str]) -> None:
    gitrepo.write(repo, files, "latin-1")  # data.bin holds bytes 0-2


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("dc") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, BASE_FILES)
    (repo / ".gitignore").write_text(
        ".coverage*\ncoverage.xml\ncoverage.lcov\n*.json\npart_*\npr.diff\n"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "feature")
    # commit 1: edits, a new module, a deletion, a pure rename, a binary change, a mode change
    write(
        repo,
        {
            "pkg/calc.py": (
                "def add(a, b):\n"
                "    return a + b\n"
                "\n"
                "\n"
                "def sub(a, b):\n"
                "    return a - b\n"
                "\n"
                "\n"
                "def mul(a, b):\n"
                "    if a == 0:\n"
                "        return 0\n"
                "    return a * b\n"
                "\n"
                "\n"
                "def div(a, b):\n"
                "    # never called\n"
                "    return a / b\n"
            ),
            "pkg/newmod.py": (
                "def used(x):\n"
                "    total = 0\n"
                "    for i in range(x):\n"
                "        total += i\n"
                "    return total\n"
                "\n"
                "\n"
                "def unused():\n"
                "    return 'never'\n"
            ),
            "data.bin": "\x00\x09\x08\x07",
            "README.md": "# docs\n\nnot code\n",
        },
    )
    git(repo, "rm", "-q", "pkg/old.py")
    git(repo, "mv", "pkg/moveme.py", "pkg/moved.py")
    (repo / "tool.sh").chmod(0o755)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feature 1")
    # commit 2: a rename with an edit, an edit of a spaced name, and the driver
    git(repo, "mv", "pkg/editme.py", "pkg/edited.py")
    write(
        repo,
        {
            "pkg/edited.py": (
                "def edit(x):\n    if x:\n        return 1\n    if x is None:\n"
                "        return 3\n    return 2\n"
            ),
            "pkg/spaced name.py": "def spaced():\n    return 's'\n\n\ndef more():\n    return 2\n",
            "run.py": (
                "import importlib\n"
                "from pkg import calc, moved, edited, newmod\n"
                "calc.add(1, 2)\n"
                "calc.mul(2, 3)\n"
                "moved.moved()\n"
                "edited.edit(1)\n"
                "newmod.used(3)\n"
                "importlib.import_module('pkg.spaced name').more()\n"
            ),
        },
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feature 2")
    coverage = [str(VENV_BIN / "python"), "-m", "coverage"]
    env = {**os.environ, "COVERAGE_FILE": str(repo / ".coverage")}
    subprocess.run(
        [*coverage, "run", "--branch", "--source=pkg", "run.py"], cwd=repo, check=True, env=env
    )
    subprocess.run([*coverage, "xml", "-q", "-o", "coverage.xml"], cwd=repo, check=True, env=env)
    subprocess.run([*coverage, "lcov", "-q", "-o", "coverage.lcov"], cwd=repo, check=True, env=env)
    git(repo, "diff", "--no-color", "--no-ext-diff", "-U0", "main...HEAD")
    # two partial runs, for the several-reports rules (measured: union; violations: intersection)
    for part, code in (
        ("a", "from pkg import calc, newmod\ncalc.mul(0, 3)\nnewmod.unused()\n"),
        ("b", "from pkg import calc, edited\ncalc.div(4, 2)\nedited.edit(None)\n"),
    ):
        (repo / f"part_{part}.py").write_text(code)
        part_env = {**env, "COVERAGE_FILE": str(repo / f".coverage.{part}")}
        subprocess.run(
            [*coverage, "run", "--branch", "--source=pkg", f"part_{part}.py"],
            cwd=repo,
            check=True,
            env=part_env,
        )
        subprocess.run(
            [*coverage, "xml", "-q", "-o", f"part_{part}.xml"], cwd=repo, check=True, env=part_env
        )
    (repo / "pr.diff").write_text(
        git(repo, "diff", "--no-color", "--no-ext-diff", "-U0", "main...HEAD")
    )
    return repo


def diff_cover(repo: Path, report: str, *extra: str) -> dict:
    out = repo / f"dc-{report}-{len(extra)}.json"
    subprocess.run(
        [
            str(VENV_BIN / "diff-cover"),
            *report.split(),
            "--compare-branch=main",
            f"--json-report={out}",
            *extra,
        ],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    return json.loads(out.read_text())


def coverhub_diff(repo: Path, report: str, *extra: str) -> dict:
    proc = subprocess.run(
        [
            str(VENV_BIN / "python"),
            "-m",
            "app.cli",
            "diff",
            "--report",
            *report.split(),
            "--diff",
            "pr.diff",
            "--json",
            *extra,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def assert_same(ours: dict, theirs: dict) -> None:
    assert ours["display"] == f"{theirs['total_percent_covered']}%"
    assert int(ours["percent"]) == theirs["total_percent_covered"]
    assert ours["lines"]["total"] == theirs["total_num_lines"]
    assert ours["lines"]["total"] - ours["lines"]["covered"] == theirs["total_num_violations"]
    ours_files = {f["path"]: f for f in ours["files"]}
    assert sorted(ours_files) == sorted(theirs["src_stats"])
    for path, stats in theirs["src_stats"].items():
        mine = ours_files[path]
        assert mine["missing"] == stats["violation_lines"], path
        assert mine["covered"] == len(stats["covered_lines"]), path
        assert mine["total"] == len(stats["covered_lines"]) + len(stats["violation_lines"]), path


@pytest.mark.parametrize("report", ["coverage.xml", "coverage.lcov"])
def test_patch_coverage_equals_diff_cover(repo: Path, report: str) -> None:
    theirs = diff_cover(repo, report)
    ours = coverhub_diff(repo, report)
    assert_same(ours, theirs)
    # the scenario is not trivial: several files, some lines missing, a partial total
    assert len(theirs["src_stats"]) >= 4
    assert 0 < theirs["total_percent_covered"] < 100
    assert theirs["total_num_violations"] >= 3
    # renamed-only, deleted, binary and mode-only files are neither measured nor counted;
    # the README and the binary are listed as not measured
    assert "pkg/moved.py" not in ours["files"]
    assert {"README.md", "data.bin", "tool.sh", "run.py"} <= set(ours["not_measured"])


def test_branch_coverage_equals_diff_cover(repo: Path) -> None:
    theirs = diff_cover(repo, "coverage.xml", "--branch-coverage")
    ours = coverhub_diff(repo, "coverage.xml", "--branch-coverage")
    assert_same(ours, theirs)
    plain = diff_cover(repo, "coverage.xml")
    # the scenario has a partial branch on a changed line, so the option changes the answer
    assert theirs["total_num_violations"] > plain["total_num_violations"]


def test_several_reports_equal_diff_cover(repo: Path) -> None:
    theirs = diff_cover(repo, "part_a.xml part_b.xml")
    ours = coverhub_diff(repo, "part_a.xml part_b.xml")
    assert_same(ours, theirs)
    # each report alone misses lines the other covers: the union/intersection matters
    alone = diff_cover(repo, "part_a.xml")
    assert theirs["total_num_violations"] < alone["total_num_violations"]
    assert_same(coverhub_diff(repo, "part_a.xml"), alone)


def test_no_newline_marker_known_divergence(tmp_path: Path) -> None:
    """diff-cover 11 counts git's "\\ No newline at end of file" marker as a context line, so
    every added line after it in the hunk is numbered one too high. We number them right; this
    pins diff-cover's behaviour so that the day it changes, this test says so."""
    repo = tmp_path / "nl"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text(".coverage\n*.xml\n*.json\n")
    (repo / "tail.py").write_text("def a():\n    return 1")  # no newline at the end
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "feature")
    (repo / "tail.py").write_text(
        "def a():\n    return 1\n\n\ndef b():\n    return 2\n\n\ndef c():\n    return 3\n"
    )
    (repo / "run.py").write_text("import tail\ntail.b()\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feature")
    coverage = [str(VENV_BIN / "python"), "-m", "coverage"]
    subprocess.run([*coverage, "run", "--include=tail.py", "run.py"], cwd=repo, check=True)
    subprocess.run([*coverage, "xml", "-q", "-o", "coverage.xml"], cwd=repo, check=True)
    (repo / "pr.diff").write_text(
        git(repo, "diff", "--no-color", "--no-ext-diff", "-U0", "main...HEAD")
    )
    assert "\\ No newline at end of file" in (repo / "pr.diff").read_text()
    theirs = diff_cover(repo, "coverage.xml")
    ours = coverhub_diff(repo, "coverage.xml", "--exact-line-numbers")
    # tail.py statements: 1 (def a), 2, 5 (def b), 6, 9 (def c), 10. The diff re-adds line 2
    # (it gains its newline) and adds 3..10: measured changed lines are 2, 5, 6, 9, 10; run.py
    # calls b() only, so 2 (a's body) and 10 (c's body) never ran -> 3 of 5.
    (mine,) = ours["files"]
    assert (mine["covered"], mine["total"], mine["missing"]) == (3, 5, [2, 10])
    # diff-cover shifts the hunk by one: it checks 3..11 instead of 2..10, so it sees 5, 6, 9,
    # 10 (line 2 is lost, 11 does not exist): 3 of 4, missing only 10.
    stats = theirs["src_stats"]["tail.py"]
    assert stats["violation_lines"] == [10]
    assert stats["covered_lines"] == [5, 6, 9]
    # by default (the CLI's contract is diff-cover's numbers), bug for bug
    assert_same(coverhub_diff(repo, "coverage.xml"), theirs)
    assert_same(coverhub_diff(repo, "coverage.xml", "--diff-cover-compat"), theirs)
