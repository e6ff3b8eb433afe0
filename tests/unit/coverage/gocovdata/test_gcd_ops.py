"""The covdata operations on synthetic GOCOVERDIRs: go's output shapes and merge semantics."""

from __future__ import annotations

import io
from typing import BinaryIO

import pytest
from gcd_build import ARGS, PACKAGES, counters_bytes, covdir, gocoverdir, meta_bytes

from app.coverage.errors import IncompatibleReports, InvalidReport
from app.coverage.gocovdata import ops, report
from app.coverage.gocovdata.counters import decode_counter_file
from app.coverage.gocovdata.meta import FuncDesc, Unit, covdata_file_hash, decode_meta_file
from app.coverage.gocovdata.pattern import compile_pattern, compile_patterns
from app.coverage.gocovdata.pods import CovDir, collect_pods
from app.coverage.gocovdata.wire import MAX_U32
from app.coverage.parsers import gocovdata as parser

pytestmark = pytest.mark.unit

RUN1 = [(0, 0, (1, 0)), (1, 0, (1,))]
RUN2 = [(0, 1, (1,)), (3, 0, (5,))]
TS = 1795000000000000000


def test_percent_per_package_in_go_format() -> None:
    out = ops.percent([covdir(gocoverdir([RUN1, RUN2]))])
    assert out.stdout == (
        "\texample.com/demo\t\tcoverage: 75.0% of statements\n"
        "\texample.com/demo/lib\t\tcoverage: 33.3% of statements\n"
        "\tgithub.com/other/dep\t\tcoverage: 0.0% of statements\n"
        "\tstrings\t\tcoverage: 100.0% of statements\n"
    )
    assert out.warnings == []


def test_percent_of_a_package_without_statements_prints_no_newline() -> None:
    # cformat.EmitPercent with noteEmpty=false: the package name, then nothing.
    pkgs = [("a/b", "b", "a", [FuncDesc("F", "a/b/f.go", (Unit(1, 1, 1, 1, 0),))]), PACKAGES[3]]
    fh, meta = meta_bytes(packages=pkgs)
    out = ops.percent([covdir({f"covmeta.{fh.hex()}": meta})])
    assert out.stdout == "\ta/b\t\t\tstrings\t\tcoverage: 0.0% of statements\n"


def test_func_output_is_tab_aligned_and_merges_like_go() -> None:
    out = ops.func([covdir(gocoverdir([RUN1, RUN2]))])
    # the literal is not listed but counted; two adjacent `init`s of different files are one row
    # (cformat.EmitFuncs compares names only)
    assert out.stdout == (
        "example.com/demo/main.go:5:\tmain\t\t66.7%\n"
        "example.com/demo/lib/a.go:4:\tinit\t\t0.0%\n"
        "example.com/demo/lib/lib.go:3:\tAdd\t\t100.0%\n"
        "example.com/demo/lib/lib.go:6:\tNothing\t\t0.0%\n"
        "github.com/other/dep/dep.go:3:\tDep\t\t0.0%\n"
        "strings/strings.go:1:\t\tFields\t\t100.0%\n"
        "total\t\t\t\t(statements)\t57.1%\n"
    )


def test_tabwrite_matches_text_tabwriter_padding() -> None:
    assert ops.tabwrite([("total", "(statements)", "0.0%")]) == "total\t(statements)\t0.0%\n"
    assert ops.tabwrite([("1234567", "x", "y"), ("a", "b", "c")]) == "1234567\tx\ty\na\tb\tc\n"
    assert ops.tabwrite([("12345678", "x", "y"), ("a", "b", "c")]) == "12345678\tx\ty\na\t\tb\tc\n"


def test_pkglist_and_pattern_filter() -> None:
    d = [covdir(gocoverdir([RUN1]))]
    assert ops.pkglist(d).stdout.splitlines() == [
        "example.com/demo",
        "example.com/demo/lib",
        "github.com/other/dep",
        "strings",
    ]
    only = compile_patterns("example.com/demo/...")
    assert ops.pkglist(d, only).stdout == "example.com/demo\nexample.com/demo/lib\n"
    none = compile_patterns("nomatch")
    assert ops.percent(d, none).stdout == ""
    assert ops.func(d, none).stdout == "total\t(statements)\t0.0%\n"
    assert ops.textfmt(d, none).text == "mode: set\n"


def test_patterns_follow_go() -> None:
    assert compile_patterns("") is None
    m = compile_pattern("net/...")
    assert m("net") and m("net/http") and not m("netx")
    assert compile_pattern("...")("anything/at/all")
    assert compile_pattern("a/.../c")("a/b/x/c") and not compile_pattern("a/.../c")("a/c/d")
    assert compile_pattern("a.b")("a.b") and not compile_pattern("a.b")("axb")
    assert compile_patterns(",strings,")("strings")  # type: ignore[misc]
    empty = compile_patterns(",")
    assert empty is not None and not empty("strings")


def test_textfmt_set_mode_or() -> None:
    runs = [[(0, 0, (3, 0))], [(0, 0, (0, 7))]]
    text = ops.textfmt([covdir(gocoverdir(runs))]).text
    assert text is not None
    assert text.splitlines()[:3] == [
        "mode: set",
        "example.com/demo/main.go:5.2,6.10 2 1",
        "example.com/demo/main.go:7.3,8.1 1 1",
    ]


def test_textfmt_count_mode_saturates_with_a_warning() -> None:
    runs = [[(0, 0, (MAX_U32 - 1, 2))], [(0, 0, (5, 3))]]
    out = ops.textfmt([covdir(gocoverdir(runs, mode=2))])
    assert out.text is not None
    assert f"example.com/demo/main.go:5.2,6.10 2 {MAX_U32}" in out.text
    assert "example.com/demo/main.go:7.3,8.1 1 5" in out.text
    assert out.warnings == ["uint32 overflow during counter merge"]


def test_mode_clash_strict_for_textfmt_relaxed_for_percent() -> None:
    d1 = CovDir.from_mapping("a", gocoverdir([RUN1], mode=1))
    pkgs = PACKAGES[:2]
    fh, meta = meta_bytes(mode=2, packages=pkgs)
    files = {f"covmeta.{fh.hex()}": meta, f"covcounters.{fh.hex()}.1.1": counters_bytes(fh, RUN1)}
    d2 = CovDir.from_mapping("b", files)
    with pytest.raises(IncompatibleReports, match="counter mode clash") as info:
        ops.textfmt([d1, d2])
    assert info.value.source.startswith("b/covmeta.")
    assert "\texample.com/demo\t" in ops.percent([d1, d2]).stdout


def test_orphans_warn_in_commands_and_fail_ingest() -> None:
    files = gocoverdir([RUN1])
    files["covcounters.00112233445566778899aabbccddeeff.5.6"] = b"whatever"
    files["README"] = b"ignored"
    out = ops.percent([covdir(files, "dir")])
    assert out.warnings == [
        "skipping orphaned counter file: dir/covcounters.00112233445566778899aabbccddeeff.5.6"
    ]
    with pytest.raises(InvalidReport, match="orphaned counter file") as info:
        parser.parse_tree(_Tree(files, "art"))
    assert info.value.source == "art/covcounters.00112233445566778899aabbccddeeff.5.6"


def test_no_input_warns_and_prints_nothing() -> None:
    out = ops.func([covdir({})])
    assert (out.stdout, out.warnings) == ("", ["no applicable files found in input directories"])
    assert ops.textfmt([covdir({})]).text == ""


def test_pods_duplicates_and_order() -> None:
    a = gocoverdir([RUN1], pid0=7)
    b = gocoverdir([RUN2], pid0=3)
    pods = collect_pods([covdir(a, "x"), covdir(b, "a")]).pods
    assert len(pods) == 1
    assert pods[0].meta_path.startswith("x/covmeta.")  # first directory wins
    assert [(c.dir_index, c.pid) for c in pods[0].counters] == [(0, 7), (1, 3)]
    out = ops.percent([covdir(a, "x"), covdir(b, "a")])
    assert "\texample.com/demo\t\tcoverage: 75.0% of statements\n" in out.stdout


def test_counter_file_errors_name_the_file() -> None:
    files = gocoverdir([RUN1])
    fh = next(n for n in files if n.startswith("covmeta.")).split(".")[1]
    for records, message in [
        ([(9, 0, (1,))], "unknown package 9"),
        ([(0, 5, (1,))], "unknown function 5"),
        ([(0, 0, (1,))], "1 counters for 2 units"),
    ]:
        bad = dict(files)
        bad[f"covcounters.{fh}.1.1"] = counters_bytes(bytes.fromhex(fh), records)
        with pytest.raises(InvalidReport, match=message) as info:
            ops.percent([covdir(bad, "d")])
        assert info.value.source == f"d/covcounters.{fh}.1.1"
    bad = dict(files)
    bad[f"covcounters.{fh}.1.1"] = counters_bytes(b"\x00" * 16, RUN1)
    with pytest.raises(InvalidReport, match="refers to meta hash"):
        ops.percent([covdir(bad, "d")])
    bad = dict(files)
    bad[f"covcounters.{fh}.1.1"] = files[f"covmeta.{fh}"]
    with pytest.raises(InvalidReport, match="bad magic"):
        ops.percent([covdir(bad, "d")])


def test_renamed_meta_file_is_refused() -> None:
    files = gocoverdir([RUN1])
    name = next(n for n in files if n.startswith("covmeta."))
    renamed = {"covmeta.0123": files[name]}
    with pytest.raises(InvalidReport, match="file name says hash 0123"):
        ops.percent([covdir(renamed, "d")])


def _counters_of(result: ops.Result) -> dict[tuple[int, int], tuple[int, ...]]:
    names = [n for n in result.files if n.startswith("covcounters.")]
    assert len(names) == 1
    return {
        (f.pkg, f.func): f.counters
        for f in decode_counter_file(result.files[names[0]], "x").funcs()
    }


def test_merge_keeps_meta_and_writes_pid_zero() -> None:
    files = gocoverdir([RUN1, RUN2, [(0, 0, (0, 1))]])
    out = ops.merge([covdir(files)], timestamp_ns=TS)
    meta_name = next(n for n in files if n.startswith("covmeta."))
    assert out.files[meta_name] == files[meta_name]
    counter_name = f"covcounters.{meta_name[8:]}.0.{TS}"
    assert counter_name in out.files
    assert _counters_of(out) == {(0, 0): (1, 1), (0, 1): (1,), (1, 0): (1,), (3, 0): (1,)}
    merged = decode_counter_file(out.files[counter_name], "x")
    assert dict(merged.args) == ARGS


def test_merge_with_pkg_reencodes_meta() -> None:
    files = gocoverdir([RUN1, RUN2], mode=2)
    out = ops.merge(
        [covdir(files)], compile_patterns("strings,example.com/demo/lib"), timestamp_ns=TS
    )
    meta_name = next(n for n in out.files if n.startswith("covmeta."))
    meta = decode_meta_file(out.files[meta_name], meta_name)
    assert [p.path for p in meta.packages] == ["example.com/demo/lib", "strings"]
    assert meta.file_hash == covdata_file_hash([p.blob for p in meta.packages])
    assert meta.mode_name == "count"
    assert _counters_of(out) == {(0, 0): (1,), (1, 0): (5,)}


def test_merge_pcombine_glues_programs() -> None:
    a = gocoverdir([RUN1, RUN2], mode=2)
    pkgs = [PACKAGES[3], PACKAGES[0]]
    fh, meta = meta_bytes(mode=2, packages=pkgs)
    b = {
        f"covmeta.{fh.hex()}": meta,
        f"covcounters.{fh.hex()}.1.1": counters_bytes(fh, [(0, 0, (2,)), (1, 0, (0, 4))]),
    }
    out = ops.merge([covdir(a, "a"), covdir(b, "b")], pcombine=True, timestamp_ns=TS)
    meta_name = next(n for n in out.files if n.startswith("covmeta."))
    combined = decode_meta_file(out.files[meta_name], meta_name)
    order = [p.path for p in combined.packages]
    counters = _counters_of(out)
    demo = order.index("example.com/demo")
    strings = order.index("strings")
    assert counters[(demo, 0)] == (1, 4)
    assert counters[(strings, 0)] == (7,)
    assert len(order) == 4


def test_subtract_and_intersect() -> None:
    a = covdir(gocoverdir([[(0, 0, (3, 2)), (1, 0, (1,)), (3, 0, (4,))]], mode=2), "a")
    b = covdir(gocoverdir([[(0, 0, (0, 9)), (3, 0, (1,))]], mode=2, pid0=200), "b")
    sub = ops.subtract([a, b], timestamp_ns=TS)
    assert _counters_of(sub) == {(0, 0): (3, 0), (1, 0): (1,), (3, 0): (0,)}
    inter = ops.intersect([a, b], timestamp_ns=TS)
    # functions absent from b are dropped; counters zero in b are zeroed
    assert _counters_of(inter) == {(0, 0): (0, 2), (3, 0): (4,)}
    with pytest.raises(ValueError, match="exactly two"):
        ops.subtract([a], timestamp_ns=TS)


class _Tree:
    def __init__(self, files: dict[str, bytes], label: str) -> None:
        self.files = files
        self._label = label

    def names(self) -> list[str]:
        return list(self.files)

    def open(self, name: str) -> BinaryIO:
        return io.BytesIO(self.files[name])

    def label(self) -> str:
        return self._label


def test_parse_tree_report() -> None:
    files = gocoverdir([RUN1, RUN2], mode=2)
    tree = _Tree({**files, "sub/other.txt": b"x"}, "artifact")
    assert parser.sniff_tree(tree)
    assert not parser.sniff_tree(_Tree({"covmeta.txt/x": b""}, "t"))
    rep = parser.parse_tree(tree)
    assert rep.format == "gocovdata" and rep.unit == "statements" and rep.mode == "count"
    assert rep.native_display() == "57.1%"
    main = rep.files["example.com/demo/main.go"]
    assert main.package == "example.com/demo"
    assert main.blocks is not None and [b.count for b in main.blocks] == [1, 0, 1]
    assert dict(main.lines) == {5: 1, 6: 1, 7: 0, 10: 1}
    assert rep.files["strings/strings.go"].package == "strings"
    assert rep.files["example.com/demo/lib/lib.go"].native.total == 1


def test_parse_tree_mixed_modes_become_set() -> None:
    fh, meta = meta_bytes(mode=2, packages=PACKAGES[:1])
    files = gocoverdir([RUN1])
    files[f"covmeta.{fh.hex()}"] = meta
    files[f"covcounters.{fh.hex()}.9.9"] = counters_bytes(fh, [(0, 0, (0, 40))])
    rep = parser.parse_tree(_Tree(files, "t"))
    assert rep.mode == "set"
    main = rep.files["example.com/demo/main.go"]
    assert main.blocks is not None and [b.count for b in main.blocks] == [1, 1, 0]


def test_parse_tree_without_meta_is_a_clear_error() -> None:
    with pytest.raises(InvalidReport, match="no covmeta file"):
        parser.parse_tree(_Tree({"notes.txt": b""}, "t"))


def test_summary_hierarchy_and_disposition() -> None:
    summary = report.summarize([covdir(gocoverdir([RUN1, RUN2]))])
    assert summary.main_module == "example.com/demo"
    by = {m.path: m for m in summary.modules}
    assert by["example.com/demo"].disposition == report.MAIN
    assert by["github.com/other"].disposition == report.DEPENDENCY
    assert by[""].disposition == report.STDLIB
    lib = next(p for p in by["example.com/demo"].packages if p.path.endswith("/lib"))
    assert [f.path.rsplit("/", 1)[1] for f in lib.files] == ["a.go", "b.go", "lib.go"]
    split = summary.by_disposition()
    assert (split[report.MAIN].covered, split[report.MAIN].total) == (4, 7)
    assert (split[report.DEPENDENCY].covered, split[report.DEPENDENCY].total) == (0, 3)
    assert (split[report.STDLIB].covered, split[report.STDLIB].total) == (4, 4)
    assert summary.statements.total == 14
    explicit = report.summarize([covdir(gocoverdir([RUN1]))], main_module="github.com/other")
    assert {m.path: m.disposition for m in explicit.modules}["example.com/demo"] == "dependency"
