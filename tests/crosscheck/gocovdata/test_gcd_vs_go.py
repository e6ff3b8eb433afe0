"""`coverhub covdata` against `go tool covdata` on real GOCOVERDIRs (see conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gcd_go import Data, Go, inputs, ours

from app.coverage.gocovdata.meta import decode_meta_file
from app.coverage.gocovdata.pods import CovDir
from app.coverage.parsers import gocovdata as parser
from app.coverage.parsers import gocover

pytestmark = pytest.mark.slow

INPUTS = {
    "set": ["set1"],
    "set-2dirs": ["set1", "set2"],
    "count-2dirs": ["cnt1", "cnt2"],
    "gofmt": ["gofmt"],
    "two-programs-one-dir": ["mixed"],
    "mode-clash": ["set1", "cnt1"],
    "count+gofmt": ["cnt1", "gofmt", "cnt2"],
    "same-dir-twice": ["cnt1", "cnt1"],  # one meta file, every counter file counted twice
}
MODE_CLASH = {"mode-clash", "count+gofmt"}  # set and count programs together
PATTERNS = ["", "example.com/covapp/...", "go/...,cmd/gofmt", "example.com/covapp/calc", "nomatch"]


def test_the_runs_include_failures(data: Data) -> None:
    # every directory got its counter files, including from runs that exited with an error
    assert data.exit_codes["set1"] == [0, 0, 3]
    assert data.exit_codes["set2"] == [1]
    assert data.exit_codes["cnt2"] == [0, 2]
    assert data.exit_codes["gofmt"][2] != 0
    for name, codes in data.exit_codes.items():
        counters = [p for p in data[name].iterdir() if p.name.startswith("covcounters.")]
        assert len(counters) == len(codes), name
    metas = [p for p in data["mixed"].iterdir() if p.name.startswith("covmeta.")]
    assert len(metas) == 2


@pytest.mark.parametrize("cmd", ["percent", "pkglist", "func"])
@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("case", [c for c in INPUTS if c != "same-dir-twice"])
def test_report_commands_match_go(go: Go, data: Data, cmd: str, pattern: str, case: str) -> None:
    args = [cmd, "-i=" + inputs(data, INPUTS[case])]
    if pattern:
        args.append("-pkg=" + pattern)
    want = go.covdata(*args)
    got = ours(*args)
    assert want.returncode == 0, want.stderr
    assert got.code == 0, got.stderr
    assert got.stdout == want.stdout


@pytest.mark.parametrize("pattern", ["", "example.com/covapp/...", "go/..."])
@pytest.mark.parametrize("case", list(INPUTS))
def test_textfmt_matches_go_byte_for_byte(
    go: Go, data: Data, tmp_path: Path, pattern: str, case: str
) -> None:
    extra = ["-pkg=" + pattern] if pattern else []
    go_out, our_out = tmp_path / "go.txt", tmp_path / "ours.txt"
    want = go.covdata("textfmt", "-i=" + inputs(data, INPUTS[case]), "-o=" + str(go_out), *extra)
    got = ours("textfmt", "-i", inputs(data, INPUTS[case]), "-o", str(our_out), *extra)
    if case in MODE_CLASH:  # textfmt refuses mixed counter modes, in go and here
        assert want.returncode != 0 and "counter mode clash" in want.stderr
        assert got.code != 0 and "counter mode clash" in got.stderr
        assert got.stderr.count("\n") == 1
        return
    assert want.returncode == 0, want.stderr
    assert got.code == 0, got.stderr
    assert our_out.read_bytes() == go_out.read_bytes()
    assert go_out.read_bytes().startswith(b"mode: ")


def test_percent_with_text_output(go: Go, data: Data, tmp_path: Path) -> None:
    args = ["percent", "-i=" + inputs(data, ["cnt1", "cnt2"])]
    want = go.covdata(*args, "-o=" + str(tmp_path / "go.txt"))
    got = ours(*args, "-o=" + str(tmp_path / "ours.txt"))
    assert got.stdout == want.stdout
    assert (tmp_path / "ours.txt").read_bytes() == (tmp_path / "go.txt").read_bytes()


def _answers(go: Go, directory: Path, tmp_path: Path, tag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for cmd in ("percent", "func", "pkglist"):
        proc = go.covdata(cmd, "-i=" + str(directory))
        assert proc.returncode == 0, proc.stderr
        out[cmd] = proc.stdout
    text = tmp_path / f"{tag}.txt"
    proc = go.covdata("textfmt", "-i=" + str(directory), "-o=" + str(text))
    out["textfmt"] = text.read_text() if proc.returncode == 0 else "error: " + proc.stderr
    return out


WRITES = [
    ("merge", ["set1", "set2"], []),
    ("merge", ["cnt1", "cnt2"], ["-pkg=example.com/covapp/calc,example.com/covapp"]),
    ("merge", ["mixed", "set2"], []),
    ("merge", ["gofmt"], ["-pkg=go/..."]),
    ("merge", ["cnt1", "gofmt", "cnt2"], ["-pcombine"]),
    ("subtract", ["cnt1", "cnt2"], []),
    ("subtract", ["set1", "set2"], ["-pkg=example.com/covapp/..."]),
    ("intersect", ["cnt1", "cnt2"], []),
    ("intersect", ["set1", "set2", "set1"], []),
    ("intersect", ["gofmt", "gofmt"], ["-pkg=cmd/gofmt"]),
]


@pytest.mark.parametrize(("cmd", "dirs", "extra"), WRITES, ids=lambda v: str(v))
def test_written_gocoverdir_reads_back_like_gos_own(
    go: Go, data: Data, tmp_path: Path, cmd: str, dirs: list[str], extra: list[str]
) -> None:
    go_dir, our_dir = tmp_path / "go", tmp_path / "ours"
    go_dir.mkdir()
    want = go.covdata(cmd, "-i=" + inputs(data, dirs), "-o=" + str(go_dir), *extra)
    assert want.returncode == 0, want.stderr
    got = ours(cmd, "-i=" + inputs(data, dirs), "-o", str(our_dir), *extra)
    assert got.code == 0, got.stderr
    assert _answers(go, our_dir, tmp_path, "ours") == _answers(go, go_dir, tmp_path, "go")
    # meta files are deterministic: the same names and bytes as go's (copied or re-encoded)
    go_meta = {p.name: p.read_bytes() for p in go_dir.iterdir() if p.name.startswith("covmeta.")}
    our_meta = {p.name: p.read_bytes() for p in our_dir.iterdir() if p.name.startswith("covmeta.")}
    assert our_meta == go_meta
    counters = sorted(p.name for p in our_dir.iterdir() if p.name.startswith("covcounters."))
    assert len(counters) == len(our_meta)
    assert all(name.split(".")[2] == "0" for name in counters)  # merged files carry pid 0


class _DirTree:
    def __init__(self, root: Path) -> None:
        self.root = root

    def names(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir())

    def open(self, name: str):  # type: ignore[no-untyped-def]
        return (self.root / name).open("rb")

    def label(self) -> str:
        return str(self.root)


@pytest.mark.parametrize("name", ["set1", "cnt1", "gofmt", "mixed"])
def test_parser_equals_the_text_profile_of_go(
    go: Go, data: Data, tmp_path: Path, name: str
) -> None:
    text = tmp_path / "profile.txt"
    proc = go.covdata("textfmt", "-i=" + str(data[name]), "-o=" + str(text))
    assert proc.returncode == 0, proc.stderr
    with text.open("rb") as stream:
        want = gocover.parse(stream, str(text))
    got = parser.parse_tree(_DirTree(data[name]))
    assert got.native_totals() == want.native_totals()
    assert got.native_display() == want.native_display()
    assert got.mode == want.mode
    assert set(got.files) == set(want.files)
    for path, f in got.files.items():
        w = want.files[path]
        assert (f.blocks, f.lines, dict(f.branches), f.native) == (
            w.blocks,
            w.lines,
            dict(w.branches),
            w.native,
        )
        assert f.package == path.rsplit("/", 1)[0]


def test_real_meta_files_pass_every_integrity_check(data: Data) -> None:
    for name in ("set1", "cnt1", "gofmt"):
        d = CovDir.from_mapping(name, {p.name: p.read_bytes() for p in data[name].iterdir()})
        for meta_name in [n for n in d.names() if n.startswith("covmeta.")]:
            meta = decode_meta_file(d.read(meta_name), meta_name)
            assert meta.hash_hex == meta_name.split(".", 1)[1]


def test_corrupt_real_file_gives_one_clear_line(data: Data, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    for p in data["set1"].iterdir():
        content = p.read_bytes()
        if p.name.startswith("covcounters."):
            content = content[: len(content) // 2]
        (bad / p.name).write_bytes(content)
    got = ours("percent", "-i=" + str(bad))
    assert got.code == 1
    assert got.stdout == ""
    lines = got.stderr.strip().splitlines()
    assert len(lines) == 1 and "covcounters." in lines[0] and str(bad) in lines[0]


def test_usage_errors(data: Data) -> None:
    assert "select input directories" in ours("percent").stderr
    assert "exactly two" in ours("subtract", "-i=" + inputs(data, ["set1"]), "-o=/tmp/x").stderr
    assert "select output file" in ours("textfmt", "-i=" + inputs(data, ["set1"])).stderr
    assert "not a readable directory" in ours("pkglist", "-i=/nonexistent/dir").stderr


def test_orphaned_counter_files_same_answer_plus_a_warning(
    go: Go, data: Data, tmp_path: Path
) -> None:
    mixed = tmp_path / "orphans"
    mixed.mkdir()
    for p in data["set1"].iterdir():
        (mixed / p.name).write_bytes(p.read_bytes())
    orphans = [p for p in data["cnt1"].iterdir() if p.name.startswith("covcounters.")]
    for p in orphans:
        (mixed / p.name).write_bytes(p.read_bytes())
    want = go.covdata("percent", "-i=" + str(mixed))
    got = ours("percent", "-i=" + str(mixed))
    assert (got.code, got.stdout) == (want.returncode, want.stdout) == (0, want.stdout)
    assert want.stderr == ""  # go skips orphans silently; we say so on stderr
    assert got.stderr.count("warning: skipping orphaned counter file: ") == len(orphans)
