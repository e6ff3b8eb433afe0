"""Regenerate tests/data/coveragepy/: real coverage.py output on a real package's own test suite.

The package is six 1.17.0 (MIT), a small pure-Python library whose sdist bundles its test suite.
coverage.py runs that suite with ``branch = True`` and measures ``six.py``; it then writes
``coverage report`` at precision 0 and 2, the JSON report, the Cobertura XML, the HTML directory
(trimmed to ``index.html`` + ``status.json``) and ``tool-percent.txt``: the unrounded TOTAL
percentage as coverage.py's API returns it (``Coverage.report()``), which the text table rounds.
The tests compare our parsers with the TOTAL row that coverage.py printed and with that percentage,
so every expected number comes from the tool.

Versions: the installed coverage.py (7.x, from the project's venv) plus older wheels for the
older JSON/HTML formats (6.5.0: no ``meta.format``, status.json format 2; 7.4.4: JSON format 2,
status.json format 2; both with the precision as the first of the ``nums``). The wheels are
fetched with ``pip download`` into ``.cache/`` and put on ``PYTHONPATH`` ahead of the venv.

Usage: ``.venv/bin/python scripts/testdata/coveragepy.py`` from the repository root. Needs network
only for the first ``pip download`` (sdist of six, two coverage wheels).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "coveragepy-testdata"
OUT = ROOT / "tests" / "data" / "coveragepy"
SIX = "six==1.17.0"
OLD_VERSIONS = ("6.5.0", "7.4.4")

RC = """\
[run]
branch = True
include = six.py

[report]
precision = {precision}

[html]
directory = htmlcov
"""


def pip_download(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(CACHE), *args], check=True
    )


def fetch() -> dict[str, Path | None]:
    """The six sources and one unpacked coverage wheel per old version."""
    CACHE.mkdir(parents=True, exist_ok=True)
    if not list(CACHE.glob("six-1.17.0.tar.gz")):
        pip_download("--no-binary", ":all:", SIX)
    with tarfile.open(next(CACHE.glob("six-1.17.0.tar.gz"))) as tar:
        tar.extractall(CACHE, filter="data")
    src = OUT / "six-src"
    src.mkdir(parents=True, exist_ok=True)
    for name in ("six.py", "test_six.py", "LICENSE"):
        shutil.copy(CACHE / "six-1.17.0" / name, src / name)
    paths: dict[str, Path | None] = {"current": None}
    for version in OLD_VERSIONS:
        wheels = list(CACHE.glob(f"coverage-{version}-*.whl"))
        if not wheels:
            pip_download(
                "--only-binary", ":all:", "--python-version", "3.11", f"coverage=={version}"
            )
            wheels = list(CACHE.glob(f"coverage-{version}-*.whl"))
        target = CACHE / f"coverage-{version}"
        if not target.exists():
            with zipfile.ZipFile(wheels[0]) as whl:
                whl.extractall(target)  # noqa: S202 (a PyPI wheel we just downloaded)
        paths[version] = target
    return paths


#: Asks coverage.py's API for the unrounded TOTAL percentage (``Coverage.report`` returns it).
TOOL_PERCENT = """\
import os, coverage
cov = coverage.Coverage()
cov.load()
with open(os.devnull, "w") as null:
    print(repr(cov.report(file=null)))
"""


def run(work: Path, pythonpath: Path | None, *args: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    command = (
        [sys.executable, *args] if args[0] == "-c" else [sys.executable, "-m", "coverage", *args]
    )
    done = subprocess.run(
        command,
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1):  # 1: a six test fails on this Python (tkinter.tix warning)
        raise SystemExit(f"coverage {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def generate(work: Path, pythonpath: Path | None) -> str:
    """Run six's suite under coverage.py in ``work``; returns the coverage.py version."""
    for name in ("six.py", "test_six.py"):
        shutil.copy(OUT / "six-src" / name, work / name)
    (work / ".coveragerc").write_text(RC.format(precision=0))
    run(work, pythonpath, "run", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_six.py")
    version = run(work, pythonpath, "--version").split()[2].rstrip(".")
    for precision in (0, 2):
        (work / ".coveragerc").write_text(RC.format(precision=precision))
        (work / f"report-p{precision}.txt").write_text(run(work, pythonpath, "report"))
        run(work, pythonpath, "json", "-o", f"coverage-p{precision}.json")
        run(work, pythonpath, "html", "-d", f"htmlcov-p{precision}")
    run(work, pythonpath, "xml", "-o", "coverage.xml")
    (work / "tool-percent.txt").write_text(run(work, pythonpath, "-c", TOOL_PERCENT))
    return version


def main() -> None:
    paths = fetch()
    for label, pythonpath in paths.items():
        work = CACHE / f"work-{label}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        version = generate(work, pythonpath)
        dest = OUT / f"v{version}"
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        for precision in (0, 2):
            shutil.copy(work / f"report-p{precision}.txt", dest)
            shutil.copy(work / f"coverage-p{precision}.json", dest)
            html = dest / f"htmlcov-p{precision}"
            html.mkdir()
            for name in ("index.html", "status.json"):
                shutil.copy(work / f"htmlcov-p{precision}" / name, html / name)
        shutil.copy(work / "coverage.xml", dest)
        shutil.copy(work / "tool-percent.txt", dest)
        print(f"wrote {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
