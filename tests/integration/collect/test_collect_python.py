"""``coverhub collect`` against real Python services (uvicorn/ASGI and wsgiref/WSGI) that run
under ``coverage run --branch`` with coverhub's runtime coverage endpoint; the numbers are checked
against coverage.py's own report of the same runs once the services have exited."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
from collect_support import PYSVC, collect_cli, py_service

from app.collect.collector import collect
from app.coverage.model import CoverageReport
from app.coverage.parsers import parse_bytes


def _coverage(workdir: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "coverage", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _coveragepy_report(workdir: Path, data_file: Path) -> CoverageReport:
    out = workdir / f"{data_file.name}.json"
    _coverage(workdir, "json", f"--data-file={data_file}", "-o", str(out))
    return parse_bytes(out.read_bytes(), out.name)


def _summary(report: CoverageReport) -> dict[str, object]:
    return {
        path: (f.native, dict(f.lines.items_sorted()), dict(f.branches))
        for path, f in report.files.items()
    }


def test_asgi_and_wsgi_services_match_coverage_py(tmp_path: Path):
    workdir = tmp_path / "svc"
    shutil.copytree(PYSVC, workdir)
    asgi_data, wsgi_data = workdir / "asgi.coverage", workdir / "wsgi.coverage"
    with (
        py_service("asgi", workdir, asgi_data) as asgi,
        py_service("wsgi", workdir, wsgi_data) as wsgi,
    ):
        assert asgi.get("/work?op=price&arg=pear") == "48"
        assert asgi.get("/work?op=label&arg=apple") == "APPLE"
        assert wsgi.get("/work?op=label&arg=bob") == "Bob"
        assert wsgi.get("/work?op=refund&arg=5") == "-5"
        # the endpoint answers POST only, as goverage does
        assert httpx.get(asgi.url + "/v1/cover/profile").status_code == 405
        assert httpx.get(wsgi.url + "/v1/cover/profile").status_code == 405
        one = collect([asgi.url])
        both = collect([asgi.url, wsgi.url + "/v1/cover/profile"])
        out = tmp_path / "both.lcov"
        cli = collect_cli(asgi.url, wsgi.url, "-o", str(out))
        skipped = collect_cli(asgi.url, "--skip", "^shop", "-o", str(tmp_path / "none.lcov"))
        refused = httpx.post(asgi.url + "/v1/cover/profile", json={"skipFile": ["(a*)*\\1"]})
    # the services have exited normally: coverage.py has saved what they ran
    assert asgi.proc.returncode == 0 and wsgi.proc.returncode == 0
    own_asgi = _coveragepy_report(workdir, asgi_data)
    _coverage(workdir, "combine", "--keep", "--data-file=combined", asgi_data.name, wsgi_data.name)
    own_both = _coveragepy_report(workdir, workdir / "combined")

    assert not one.failed and one.merged is not None and both.merged is not None
    assert _summary(one.merged) == _summary(own_asgi)
    assert one.merged.native_display() == own_asgi.native_display()
    assert _summary(both.merged) == _summary(own_both)
    assert both.merged.native_totals() == own_both.native_totals()
    assert both.merged.native_display() == own_both.native_display()
    total = _coverage(workdir, "report", "--data-file=combined", "--format=total")
    assert both.merged.native_display() == total.strip() + "%"
    assert cli.code == 0, cli.stderr
    lcov = parse_bytes(out.read_bytes(), out.name)
    covered = {p: {n for n, h in f.lines.items_sorted() if h} for p, f in lcov.files.items()}
    assert covered == {
        p: {n for n, h in f.lines.items_sorted() if h} for p, f in own_both.files.items()
    }
    assert skipped.code == 0 and (tmp_path / "none.lcov").read_text() == "TN:\n"
    assert refused.status_code == 400
    assert "backreferences are not supported" in refused.text
