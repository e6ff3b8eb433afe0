"""Roll-ups by directory and by module -> package -> file."""

from __future__ import annotations

from app.coverage.model import Counts, LineTotals
from app.coverage.parsers import parse_bytes
from app.coverage.paths import PathRules, module_map, normalise_report
from app.coverage.rollup import DIRECTORY, FILE, MODULE, PACKAGE, by_directory, by_package

PROFILE = (
    b"mode: set\n"
    b"example.com/app/cmd/main.go:3.1,5.2 2 1\n"
    b"example.com/app/internal/db/db.go:3.1,4.2 1 0\n"
    b"example.com/app/internal/db/db.go:6.1,9.2 3 1\n"
    b"example.com/app/internal/db/pool.go:1.1,2.2 4 0\n"
    b"example.com/app/tools/gen/gen.go:1.1,2.2 1 1\n"
)
MODULES = module_map(
    {"go.mod": "module example.com/app\n", "tools/go.mod": "module example.com/app/tools\n"}
)


def report():
    return normalise_report(parse_bytes(PROFILE, "c.out"), PathRules(modules=MODULES)).report


def test_by_directory_sums_children():
    root = by_directory(report())
    # statements: main 2/2, db.go 3/4, pool.go 0/4, gen.go 1/1 -> 6 of 11
    assert root.native == Counts(6, 11)
    internal = root.find("internal", DIRECTORY)
    assert internal is not None and internal.native == Counts(3, 8)
    db = root.find("internal/db", DIRECTORY)
    assert db is not None and [c.name for c in db.children] == ["db.go", "pool.go"]
    assert db.children[0].kind == FILE
    for _, node in root.walk():
        if node.children:
            assert node.native == sum((c.native for c in node.children), Counts())
            assert node.lines == sum((c.lines for c in node.children), LineTotals())


def test_by_package_is_module_package_file():
    root = by_package(report(), MODULES)
    assert [(n.kind, n.key) for n in root.children] == [
        (MODULE, "example.com/app"),
        (MODULE, "example.com/app/tools"),
    ]
    app = root.children[0]
    assert app.native == Counts(5, 10)
    assert [(p.kind, p.key) for p in app.children] == [
        (PACKAGE, "example.com/app/cmd"),
        (PACKAGE, "example.com/app/internal/db"),
    ]
    db = app.children[1]
    assert db.native == Counts(3, 8)
    assert [f.key for f in db.children] == ["internal/db/db.go", "internal/db/pool.go"]
    tools = root.children[1]
    assert tools.native == Counts(1, 1)


def test_by_package_without_modules():
    root = by_package(report())
    assert {n.kind for n in root.children} == {PACKAGE}
    assert root.native == Counts(6, 11)
