"""A real coverage.py HTML report (htmlcov), made by running coverage.py on a small program."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROGRAM = """\
def grade(score):
    if score >= 90:
        return "A"
    if score >= 75:
        return "B"
    return "C"


def unused():
    return "never"


print(grade(95), grade(80))
"""


def make_htmlcov(workdir: Path) -> Path:
    """Run coverage.py (branch mode) on a small program and return its htmlcov directory."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "grades.py").write_text(PROGRAM)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir)}
    for args in (["run", "--branch", "grades.py"], ["html", "-d", "htmlcov"]):
        subprocess.run(
            [sys.executable, "-m", "coverage", *args],
            cwd=workdir,
            env=env,
            check=True,
            capture_output=True,
        )
    out = workdir / "htmlcov"
    assert (out / "index.html").is_file()
    return out
