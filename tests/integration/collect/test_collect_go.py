"""``coverhub collect`` against real instrumented Go services, checked with ``go tool covdata``.

The services answer like goverage: every scrape adds a cumulative counters file to their
GOCOVERDIR and they answer ``covdata textfmt`` over all of them. The true counts are those of the
newest counters file of each process; ``go tool covdata`` over a copy of the GOCOVERDIR holding
only that file is the reference.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from collect_support import (
    Binaries,
    collect_cli,
    counter_files,
    go_service,
    goc_v2_center,
    latest_counters_dir,
    run_once,
    silent_server,
)

from app.coverage.model import CoverageReport
from app.coverage.parsers import parse_bytes
from tests.crosscheck.gocovdata.gcd_go import Go
from tests.support.servers import free_port

WORK = "example.com/collectsvc/work"
Blocks = dict[str, dict[tuple[int, int, int, int], tuple[int, int]]]


def _blocks(report: CoverageReport) -> Blocks:
    out: Blocks = {}
    for path, f in report.files.items():
        if path.endswith("/goverage.go"):  # goverage leaves its own handler out of its answers
            continue
        assert f.blocks is not None
        out[path] = {b.key: (b.statements, b.count) for b in f.blocks}
    return out


def _go_textfmt(go: Go, dirs: list[Path], tmp: Path) -> Blocks:
    out = tmp / f"textfmt-{len(list(tmp.iterdir()))}.out"
    proc = go.covdata("textfmt", "-i=" + ",".join(map(str, dirs)), f"-o={out}")
    assert proc.returncode == 0, proc.stderr
    return _blocks(parse_bytes(out.read_bytes(), out.name))


def _go_percent(go: Go, dirs: list[Path], pkg: str) -> str:
    proc = go.covdata("percent", "-i=" + ",".join(map(str, dirs)), f"-pkg={pkg}")
    assert proc.returncode == 0, proc.stderr
    match = re.search(r"coverage: (\S+)% of statements", proc.stdout)
    assert match, proc.stdout
    return match.group(1)


def _our_percent(report: CoverageReport, pkg: str) -> str:
    covered = total = 0
    for path, f in report.files.items():
        if path.rsplit("/", 1)[0] == pkg:
            covered += f.native.covered
            total += f.native.total
    return "%.1f" % (100.0 * covered / total)


def _read(path: Path) -> CoverageReport:
    return parse_bytes(path.read_bytes(), path.name)


def test_two_services_merge_like_go_tool_covdata(go: Go, collectsvc: Binaries, tmp_path: Path):
    with (
        go_service(go, collectsvc.atomic, tmp_path / "a") as a,
        go_service(go, collectsvc.atomic, tmp_path / "b") as b,
    ):
        a.get("/work?op=fizz&n=7")
        a.get("/work?op=square&n=3")
        b.get("/work?op=upper&n=2")
        b.get("/work?op=fizz&n=4")
        out = tmp_path / "merged.out"
        result = collect_cli(a.url, b.url, "-o", str(out))
        assert result.code == 0, result.stderr
        assert "2 of 2 services" in result.stderr
        assert a.coverdir and b.coverdir
        assert counter_files(a.coverdir) == 2  # a count profile is asked twice (de-inflation)
        truth_dirs = [
            latest_counters_dir(a.coverdir, tmp_path / "a-latest"),
            latest_counters_dir(b.coverdir, tmp_path / "b-latest"),
        ]
    ours = _read(out)
    assert ours.mode == "atomic"
    assert _blocks(ours) == _go_textfmt(go, truth_dirs, tmp_path)
    # fizz ran 7 + 4 times in all: the block of `switch op` counts 7+3 (a) + 2+4 (b) calls
    assert _blocks(ours)[f"{WORK}/work.go"][(8, 2, 8, 12)] == (1, 16)
    assert _our_percent(ours, WORK) == _go_percent(go, truth_dirs, WORK)


def test_repeated_collects_do_not_inflate(go: Go, collectsvc: Binaries, tmp_path: Path):
    with go_service(go, collectsvc.atomic, tmp_path / "a") as a:
        a.get("/work?op=fizz&n=5")
        outputs = []
        for i in range(3):
            out = tmp_path / f"run{i}.out"
            assert collect_cli(a.url, "-o", str(out)).code == 0
            outputs.append(out.read_text())
        assert a.coverdir
        assert counter_files(a.coverdir) == 6  # the service itself keeps accumulating
        truth = _go_textfmt(go, [latest_counters_dir(a.coverdir, tmp_path / "latest")], tmp_path)
        # as goverage answers: the sum of all 7 snapshots once asked with --single-scrape
        raw = tmp_path / "single.out"
        assert collect_cli(a.url, "--single-scrape", "-o", str(raw)).code == 0
        inflated = _go_textfmt(go, [a.coverdir], tmp_path)
    assert outputs[0] == outputs[1] == outputs[2]
    assert _blocks(parse_bytes(outputs[0].encode(), "run0.out")) == truth
    assert truth[f"{WORK}/work.go"][(8, 2, 8, 12)] == (1, 5)
    assert _blocks(_read(raw)) == inflated
    assert inflated[f"{WORK}/work.go"][(8, 2, 8, 12)] == (1, 5 * 7)


def test_skip_patterns(go: Go, collectsvc: Binaries, tmp_path: Path):
    with go_service(go, collectsvc.atomic, tmp_path / "a") as a:
        a.get("/work?op=square&n=2")
        out = tmp_path / "skip.out"
        assert collect_cli(a.url, "--skip", r"main\.go$", "-o", str(out)).code == 0
        assert list(_blocks(_read(out))) == [f"{WORK}/work.go"]
        assert collect_cli(a.url, "--skip", "work/", "--skip", "^nothing", "-o", str(out)).code == 0
        assert list(_blocks(_read(out))) == ["example.com/collectsvc/main.go"]
        assert a.coverdir
        before = counter_files(a.coverdir)
        bad = collect_cli(a.url, "--skip", r"(\w+)\1", "-o", str(tmp_path / "bad.out"))
        assert bad.code == 1
        assert "backreferences are not supported" in bad.stderr
        assert counter_files(a.coverdir) == before  # refused before any request
        assert not (tmp_path / "bad.out").exists()


def test_unreachable_and_hanging_services_give_a_partial_result(
    go: Go, collectsvc: Binaries, tmp_path: Path
):
    dead = f"http://127.0.0.1:{free_port()}"
    with go_service(go, collectsvc.atomic, tmp_path / "a") as a, silent_server() as hang:
        a.get("/work?op=upper&n=3")
        out = tmp_path / "partial.out"
        started = time.monotonic()
        result = collect_cli(
            a.url, dead, hang, "--timeout", "0.5", "--retries", "1", "-o", str(out)
        )
        elapsed = time.monotonic() - started
        assert a.coverdir
        truth = _go_textfmt(go, [latest_counters_dir(a.coverdir, tmp_path / "latest")], tmp_path)
    assert result.code == 3
    lines = result.stderr.splitlines()
    assert [line for line in lines if dead in line] == [
        f"coverhub collect: {dead}/v1/cover/profile: cannot connect ([Errno 111] Connection "
        "refused) (tried 2 times)"
    ]
    assert [line for line in lines if hang in line] == [
        f"coverhub collect: {hang}/v1/cover/profile: no answer within 0.5s (timed out) "
        "(tried 2 times)"
    ]
    assert "PARTIAL result: 2 of 3 services did not answer" in result.stderr
    assert _blocks(_read(out)) == truth
    # bounded: 2 attempts of at most ~2 x 0.5 s each plus a 0.5 s pause, services in parallel
    assert elapsed < 10


def test_nothing_answers(tmp_path: Path):
    dead = f"http://127.0.0.1:{free_port()}"
    result = collect_cli(dead, "--retries", "0", "-o", str(tmp_path / "none.out"))
    assert result.code == 1
    assert "no service answered (1 tried); nothing written" in result.stderr
    assert not (tmp_path / "none.out").exists()


def test_goc_v2_json_answer_and_mixed_modes(go: Go, collectsvc: Binaries, tmp_path: Path):
    # A set-mode program cannot serve live counters (runtime/coverage needs atomic mode), so the
    # set-mode profile is one Go wrote at exit, served as goc v2's center serves profiles.
    c_dir = tmp_path / "c-cov"
    run_once(go, collectsvc.set, c_dir, "fizz", 6)
    c_profile = tmp_path / "c.out"
    assert go.covdata("textfmt", f"-i={c_dir}", f"-o={c_profile}").returncode == 0
    truth_c = _blocks(_read(c_profile))
    with (
        go_service(go, collectsvc.atomic, tmp_path / "a") as a,
        goc_v2_center(c_profile.read_text()) as center,
    ):
        a.get("/work?op=square&n=4")
        out = tmp_path / "mixed.out"
        result = collect_cli(a.url, center, "-o", str(out))
        assert result.code == 0, result.stderr
        assert a.coverdir
        a_dir = latest_counters_dir(a.coverdir, tmp_path / "a-latest")
    truth_a = _go_textfmt(go, [a_dir], tmp_path)
    go_percent = _go_percent(go, [a_dir, c_dir], WORK)  # covdata upgrades the mode here
    ours = _read(out)
    assert ours.mode == "set"  # different modes: hit/miss, never 0/1 summed with counts
    expected = {
        path: {
            key: (nstmt, 1 if count or truth_c[path][key][1] else 0)
            for key, (nstmt, count) in blocks.items()
        }
        for path, blocks in truth_a.items()
    }
    assert _blocks(ours) == expected
    assert _our_percent(ours, WORK) == go_percent
