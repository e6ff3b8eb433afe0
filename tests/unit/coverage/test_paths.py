"""Repository-relative paths: CI roots, fixes, ignores, Go modules, suffix matching."""

from __future__ import annotations

import pytest

from app.coverage import percent
from app.coverage.model import Counts, CoverageReport, FileCoverage, LineHits
from app.coverage.parsers import parse_bytes
from app.coverage.paths import (
    PathError,
    PathFix,
    PathRules,
    SuffixIndex,
    clean,
    go_module_path,
    go_work_dirs,
    map_go_path,
    module_map,
    normalise_path,
    normalise_report,
)


def lcov(paths: dict[str, dict[int, int]]) -> CoverageReport:
    return CoverageReport(
        "lcov",
        "lines",
        percent.LCOV,
        {
            p: FileCoverage(p, LineHits.from_mapping(lines), native=Counts(0, len(lines)))
            for p, lines in paths.items()
        },
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/home/runner/work/proj/proj/src/a.py", "src/a.py"),
        ("/Users/runner/work/proj/proj/a.py", "a.py"),
        ("D:\\a\\proj\\proj\\src\\App.cs", "src/App.cs"),
        ("/__w/proj/proj/x/y.go", "x/y.go"),
        ("/github/workspace/lib/z.js", "lib/z.js"),
        ("/builds/group/proj/app/m.rb", "app/m.rb"),
        ("./pkg//a.py", "pkg/a.py"),
        ("pkg\\sub\\b.py", "pkg/sub/b.py"),
        # the repository name differs from the checkout dir name: not a GitHub checkout, kept
        ("/home/runner/work/proj/other/a.py", "/home/runner/work/proj/other/a.py"),
    ],
)
def test_ci_roots_and_syntax(raw, expected):
    assert normalise_path(raw, PathRules())[0] == expected


def test_clean():
    assert clean("C:\\x\\..\\y\\z.py") == "/y/z.py"
    assert clean("a/./b/../c") == "a/c"
    assert clean(".") == ""


def test_fixes_first_match_wins_and_globs():
    rules = PathRules(
        fixes=(
            PathFix.parse("/build/*/src::src"),
            PathFix.parse("^/opt/**/checkout::"),
            PathFix.parse("::prefix"),
        )
    )
    assert normalise_path("/build/abc/src/m.py", rules)[0] == "src/m.py"
    assert normalise_path("/opt/a/b/c/checkout/lib/x.py", rules)[0] == "lib/x.py"
    # the empty "before" matches everything else: prepend
    assert normalise_path("rel/y.py", rules)[0] == "prefix/rel/y.py"
    with pytest.raises(PathError, match="before::after"):
        PathFix.parse("no-separator")


def test_user_fix_wins_over_ci_root():
    rules = PathRules(fixes=(PathFix.parse("/home/runner/work/p/p/::code"),))
    assert normalise_path("/home/runner/work/p/p/a.py", rules)[0] == "code/a.py"


def test_go_modules_longest_wins_and_external():
    go_mods = {
        "go.mod": "// root\nmodule example.com/app // trailing comment\n\ngo 1.22\n",
        "tools/go.mod": 'module "example.com/app/tools"\n',
        "v2/go.mod": "module example.com/lib/v2\n",
    }
    modules = module_map(go_mods)
    assert modules == {
        "example.com/app": "",
        "example.com/app/tools": "tools",
        "example.com/lib/v2": "v2",
    }
    assert map_go_path("example.com/app/pkg/a.go", modules) == "pkg/a.go"
    assert map_go_path("example.com/app/tools/gen/g.go", modules) == "tools/gen/g.go"
    assert map_go_path("example.com/lib/v2/x.go", modules) == "v2/x.go"
    assert map_go_path("example.com/application/x.go", modules) is None
    profile = (
        b"mode: set\n"
        b"example.com/app/pkg/a.go:1.1,2.2 1 1\n"
        b"example.com/app/tools/gen/g.go:1.1,2.2 1 0\n"
        b"container/list/list.go:1.1,2.2 1 1\n"
    )
    result = normalise_report(parse_bytes(profile, "c.out"), PathRules(modules=modules))
    assert sorted(result.report.files) == ["pkg/a.go", "tools/gen/g.go"]
    assert result.external == ("container/list/list.go",)
    # the Go headline follows: 1 of 2 statements
    assert result.report.native_display() == "50.0%"


def test_go_mod_without_module_line():
    with pytest.raises(PathError, match=r"sub/go\.mod: no module directive"):
        module_map({"sub/go.mod": "go 1.22\n"})
    assert go_module_path("module `example.com/q`\n") == "example.com/q"


def test_go_work_use_dirs():
    text = "go 1.22\n\nuse (\n\t./app // main\n\t./tools\n)\nuse ./extra\n"
    assert go_work_dirs(text) == ["app", "tools", "extra"]


def test_suffix_matching_and_ambiguity():
    index = SuffixIndex(["src/pkg/a.py", "tests/a.py", "src/pkg/b.py", "lib/b.py", "c.py"])
    # the report path is longer: the repository file is a whole suffix of it
    assert index.match("/ci/build/src/pkg/a.py") == ("src/pkg/a.py", ())
    # the report path is shorter (relative to a sub directory): unique by base name + dir
    assert index.match("pkg/b.py") == ("src/pkg/b.py", ())
    # two candidates equally good: ambiguous, not guessed
    assert index.match("b.py") == (None, ("lib/b.py", "src/pkg/b.py"))
    assert index.match("other/zzz.py") == (None, ())


def test_normalise_report_with_repo_files_and_ignores():
    report = lcov(
        {
            "/ci/x/src/pkg/a.py": {1: 1},
            "b.py": {1: 0},
            "gen/api.pb.go": {1: 1},
            "vendor/v/v.go": {1: 1},
            "nowhere.py": {1: 1},
        }
    )
    rules = PathRules(
        repo_files=frozenset({"src/pkg/a.py", "lib/b.py", "src/b.py", "gen/api.pb.go"}),
        ignore=("**/*.pb.go", "vendor"),
    )
    result = normalise_report(report, rules)
    assert sorted(result.report.files) == ["b.py", "nowhere.py", "src/pkg/a.py"]
    assert result.ambiguous == {"b.py": ("lib/b.py", "src/b.py")}
    assert set(result.unmatched) == {
        "vendor/v/v.go",
        "nowhere.py",
    }
    assert set(result.ignored) == {"gen/api.pb.go", "vendor/v/v.go"}
    assert result.renamed == {"/ci/x/src/pkg/a.py": "src/pkg/a.py"}


def test_two_report_paths_landing_on_one_file_merge():
    # lcov: lines summed (1 + 2 on line 1), lines of both kept
    report = lcov({"/home/runner/work/r/r/a.c": {1: 1, 2: 0}, "a.c": {1: 2, 3: 1}})
    merged = normalise_report(report, PathRules()).report
    assert dict(merged.files["a.c"].lines.items_sorted()) == {1: 3, 2: 0, 3: 1}


def test_roots():
    rules = PathRules(roots=("/tmp/checkout",))
    assert normalise_path("/tmp/checkout/pkg/a.py", rules)[0] == "pkg/a.py"
    assert normalise_path("/tmp/checkout2/a.py", rules)[0] == "/tmp/checkout2/a.py"
