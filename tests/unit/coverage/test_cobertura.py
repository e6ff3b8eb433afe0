"""Cobertura XML: every producer's shape, hostile input, and round trips through the writer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.coverage.errors import CoverageError, InvalidReport, LimitExceeded
from app.coverage.model import (
    BranchCounts,
    Counts,
    CoverageReport,
    FileCoverage,
    Function,
    LineHits,
)
from app.coverage.parsers import cobertura, coveragepy_json
from app.coverage.parsers.base import Limits
from app.coverage.percent import DisplayRule, coveragepy
from app.coverage.writers import cobertura as writer

pytestmark = pytest.mark.unit

DATA = Path(__file__).resolve().parents[2] / "data" / "coveragepy"
NAME = "ci/coverage.xml"

JAVA = b"""<?xml version="1.0"?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage line-rate="0.5" branch-rate="0.5" lines-covered="3" lines-valid="6"
          branches-covered="1" branches-valid="4" complexity="0" version="2.1.1" timestamp="1">
  <sources>
    <source>/build/src/main/java</source>
  </sources>
  <packages>
    <package name="com.example" line-rate="0.5" branch-rate="0.5" complexity="1">
      <classes>
        <class name="com.example.Foo" filename="com/example/Foo.java" line-rate="0.5"
               branch-rate="0.5" complexity="1">
          <methods>
            <method name="bar" signature="()V" line-rate="1" branch-rate="1" complexity="1">
              <lines>
                <line number="10" hits="7" branch="false"/>
                <line number="11" hits="7" branch="false"/>
              </lines>
            </method>
            <method name="never" signature="()V" line-rate="0" branch-rate="1">
              <lines><line number="30" hits="0" branch="false"/></lines>
            </method>
          </methods>
          <lines>
            <line number="10" hits="7" branch="false"/>
            <line number="11" hits="7" branch="true" condition-coverage="50% (1/2)">
              <conditions><condition number="0" type="jump" coverage="50%"/></conditions>
            </line>
            <line number="30" hits="0" branch="false"/>
          </lines>
        </class>
        <class name="com.example.Foo$Inner" filename="com/example/Foo.java" line-rate="0.5"
               branch-rate="0" complexity="1">
          <methods/>
          <lines>
            <line number="11" hits="2" branch="true" condition-coverage="25% (1/4)"/>
            <line number="20" hits="0" branch="false"/>
            <line number="21" hits="3" branch="false"/>
          </lines>
        </class>
      </classes>
    </package>
    <package name="com.other" line-rate="0" branch-rate="0" complexity="1">
      <classes>
        <class name="com.other.Bar" filename="com/other/Bar.java" line-rate="0" branch-rate="0">
          <methods/>
          <lines><line number="5" hits="0"/></lines>
        </class>
      </classes>
    </package>
  </packages>
</coverage>
"""

ISTANBUL = b"""<?xml version="1.0" ?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage lines-valid="3" lines-covered="2" line-rate="0.6666" branches-valid="3"
          branches-covered="1" branch-rate="0.3333" timestamp="1" complexity="0" version="0.1">
  <sources><source>/home/runner/work/app/app</source></sources>
  <packages>
    <package name="src" line-rate="0.6666" branch-rate="0.3333">
      <classes>
        <class name="index.js" filename="src/index.js" line-rate="0.6666" branch-rate="0.3333">
          <methods>
            <method name="(anonymous_0)" hits="1" signature="()V">
              <lines><line number="1" hits="1"/></lines>
            </method>
          </methods>
          <lines>
            <line number="2" hits="4" branch="false"/>
            <line number="3" hits="4" branch="true" condition-coverage="33.33333333333333% (1/3)"/>
            <line number="9" hits="0" branch="false"/>
          </lines>
        </class>
      </classes>
    </package>
  </packages>
</coverage>
"""


def parse(data: bytes, limits: Limits | None = None, **kwargs: object) -> CoverageReport:
    if limits is None:
        return cobertura.parse(io.BytesIO(data), NAME, **kwargs)  # type: ignore[arg-type]
    return cobertura.parse(io.BytesIO(data), NAME, limits, **kwargs)  # type: ignore[arg-type]


def doc(lines: str, *, filename: str = "a.py", source: str | None = None) -> bytes:
    sources = f"<sources><source>{source}</source></sources>" if source is not None else ""
    return (
        f'<?xml version="1.0" ?><coverage line-rate="1" version="1">{sources}<packages>'
        f'<package name="p"><classes><class name="a" filename="{filename}"><methods/>'
        f"<lines>{lines}</lines></class></classes></package></packages></coverage>"
    ).encode()


def test_java_cobertura() -> None:
    report = parse(JAVA)
    assert (report.format, report.unit, report.rule) == (
        "cobertura",
        "lines",
        DisplayRule("cobertura", 2),
    )
    foo = report.files["/build/src/main/java/com/example/Foo.java"]
    # lines only from class/lines; Foo and Foo$Inner merged with max hits and max (c, t)
    assert dict(foo.lines) == {10: 7, 11: 7, 20: 0, 21: 3, 30: 0}
    assert foo.branches == {11: (1, 4)}
    assert foo.package == "com.example"
    assert foo.functions == (Function("bar", 10, 7), Function("never", 30, 0))
    assert foo.native == Counts(3, 5)
    bar = report.files["/build/src/main/java/com/other/Bar.java"]
    assert bar.package == "com.other"
    assert report.native_totals() == Counts(3, 6)
    assert report.native_display() == "50.00%"
    assert report.line_totals().partial == 1


def test_istanbul_cobertura() -> None:
    report = parse(ISTANBUL)
    f = report.files["/home/runner/work/app/app/src/index.js"]
    # the method's declaration line 1 is not a class line
    assert dict(f.lines) == {2: 4, 3: 4, 9: 0}
    assert f.branches == {3: (1, 3)}
    assert f.functions == (Function("(anonymous_0)", 1, 1),)
    assert report.native_display() == "66.67%"


@pytest.mark.parametrize("version", ["7.17.3", "7.4.4", "6.5.0"])
def test_coveragepy_xml_uses_coveragepy_rule(version: str) -> None:
    data = (DATA / f"v{version}" / "coverage.xml").read_bytes()
    report = parse(data)
    assert report.unit == "statements+branches"
    assert report.rule == coveragepy(0)
    (f,) = report.files.values()
    assert f.path.endswith("/six.py")
    assert f.package == "."
    lines, branches = f.line_totals(), f.branch_totals()
    # the native count is statements + branches, never the XML's statements-only line-rate
    assert f.native == Counts(lines.covered + branches.covered, lines.total + branches.total)


@pytest.mark.parametrize(
    ("filename", "sources", "expected"),
    [
        ("a.py", [], "a.py"),
        ("a.py", ["/src"], "/src/a.py"),
        ("a.py", ["/src/"], "/src/a.py"),
        ("./a.py", ["/src"], "/src/a.py"),
        ("a.py", ["."], "a.py"),
        ("/abs/a.py", ["/src"], "/abs/a.py"),
        ("C:\\x\\a.py", ["/src"], "C:\\x\\a.py"),
        ("pkg\\a.py", ["C:\\build"], "C:\\build\\pkg\\a.py"),
        ("a.py", ["/one", "/two"], "/one/a.py"),
    ],
)
def test_resolve(filename: str, sources: list[str], expected: str) -> None:
    assert cobertura.resolve(filename, sources) == expected


def test_several_sources_resolved_with_the_callers_file_test() -> None:
    data = doc('<line number="1" hits="1"/>', source="/one</source><source>/two")
    assert list(parse(data).files) == ["/one/a.py"]
    report = parse(data, exists=lambda path: path == "/two/a.py")
    assert list(report.files) == ["/two/a.py"]


def test_lines_and_branches_validated_at_the_limits() -> None:
    limits = Limits(max_line_number=100)
    report = parse(doc('<line number="100" hits="1"/>'), limits)
    assert dict(report.files["a.py"].lines) == {100: 1}
    with pytest.raises(LimitExceeded, match="line number 101 is above the limit of 100"):
        parse(doc('<line number="101" hits="1"/>'), limits)


@pytest.mark.parametrize(
    ("lines", "error", "problem"),
    [
        ('<line number="3" hits="-1"/>', InvalidReport, "line 3 has negative hits -1"),
        ('<line number="0" hits="1"/>', InvalidReport, "line number 0 is not positive"),
        ('<line number="-4" hits="1"/>', InvalidReport, "line number -4 is not positive"),
        ('<line number="3" hits="1.5"/>', InvalidReport, "hits '1.5' is not an integer"),
        ('<line number="x" hits="1"/>', InvalidReport, "number 'x' is not an integer"),
        ('<line hits="1"/>', InvalidReport, "without a number attribute"),
        ('<line number="2"/>', InvalidReport, "without a hits attribute"),
        (
            '<line number="2" hits="1" branch="true" condition-coverage="50%"/>',
            InvalidReport,
            "without a (covered/total) count",
        ),
        (
            '<line number="2" hits="1" branch="true" condition-coverage="100% (3/2)"/>',
            InvalidReport,
            "covers 3 of only 2 branches",
        ),
        (f'<line number="2" hits="{2**63}"/>', LimitExceeded, "above the limit"),
        (
            '<line number="2" hits="1" branch="true" condition-coverage="0% (0/4294967296)"/>',
            LimitExceeded,
            "4294967296 branches, above the limit",
        ),
        ('<line number="99999999999" hits="1"/>', LimitExceeded, "above the limit of 10000000"),
        ('<line number="1" hits="1">', InvalidReport, "malformed XML"),
    ],
)
def test_bad_lines_name_the_file(lines: str, error: type[CoverageError], problem: str) -> None:
    with pytest.raises(error) as caught:
        parse(doc(lines))
    assert type(caught.value) is error
    assert caught.value.source == NAME
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{NAME}: ")
    if "malformed" not in problem:
        assert caught.value.problem.startswith("class 'a.py': ")


def test_branch_counts_mapping() -> None:
    counts = BranchCounts.from_mapping({7: (1, 2), 3: (0, 4)})
    assert list(counts) == [3, 7]
    assert counts[7] == (1, 2)
    assert counts.get(5) is None
    assert 3 in counts
    assert counts == {3: (0, 4), 7: (1, 2)}
    assert {3: (0, 4), 7: (1, 2)} == counts  # noqa: SIM300 (the reflected comparison)
    assert counts != {3: (0, 4)}
    with pytest.raises(KeyError):
        counts[99]
    assert repr(counts) == "BranchCounts({3: (0, 4), 7: (1, 2)})"


def test_class_without_filename() -> None:
    data = b'<coverage><packages><package><classes><class name="x"><lines/></class></classes>'
    with pytest.raises(InvalidReport, match="<class name='x'> has no filename"):
        parse(data + b"</package></packages></coverage>")


@pytest.mark.parametrize(
    "data",
    [
        b'<report name="jacoco"><sessioninfo id="x"/></report>',
        b'<coverage generated="1"><project timestamp="1"/></coverage>'.replace(
            b"coverage", b"clover"
        ),
    ],
)
def test_other_xml_is_refused_by_its_root(data: bytes) -> None:
    with pytest.raises(InvalidReport, match=r"root element is <.*>, expected <coverage>"):
        parse(data)


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE coverage [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<coverage><sources><source>&x;</source></sources></coverage>",
        b'<?xml version="1.0"?><!DOCTYPE coverage [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<coverage line-rate="&b;"/>',
    ],
    ids=["xxe", "laughs"],
)
def test_entities_refused(data: bytes) -> None:
    with pytest.raises(InvalidReport, match="entity declaration") as caught:
        parse(data)
    assert caught.value.source == NAME
    assert cobertura.sniff("coverage.xml", data)


def test_limits_on_files_lines_and_bytes() -> None:
    two_files = JAVA
    with pytest.raises(LimitExceeded, match="more than 1 files"):
        parse(two_files, Limits(max_files=1))
    with pytest.raises(LimitExceeded, match="more than 5 measured lines"):
        parse(two_files, Limits(max_lines=5))
    assert parse(two_files, Limits(max_lines=6)).line_totals().total == 6
    with pytest.raises(LimitExceeded, match="larger than the limit of 100 bytes"):
        parse(two_files, Limits(max_bytes=100))


def test_empty_report() -> None:
    report = parse(b'<coverage line-rate="1"><packages/></coverage>')
    assert report.files == {}
    assert report.native_display() == "-"
    empty_coveragepy = b"<coverage><!-- Generated by coverage.py --><packages/></coverage>"
    assert parse(empty_coveragepy).native_display() == "100%"


def test_a_file_in_many_classes_is_merged() -> None:
    # 300 classes of the same file (Java inner classes, Go receiver types): one file of 300 lines.
    lines = "".join(f'<line number="{n}" hits="{n % 2}"/>' for n in range(1, 301))
    klass = f'<class name="c" filename="same.py"><methods/><lines>{lines}</lines></class>'
    data = f"<coverage><packages><package><classes>{klass * 300}</classes></package></packages>"
    report = parse((data + "</coverage>").encode())
    assert len(report.files["same.py"].lines) == 300


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("coverage.xml", JAVA[:400], True),
        ("x.xml", ISTANBUL[:300], True),
        ("coverage.xml", (DATA / "v7.17.3" / "coverage.xml").read_bytes()[:4096], True),
        ("clover.xml", b'<?xml version="1.0"?><coverage generated="1" clover="4"><project>', False),
        ("jacoco.xml", b'<?xml version="1.0"?><report name="x">', False),
        ("lcov.info", b"TN:\nSF:a.py\n", False),
        ("coverage.json", b'{"meta": {"version": "7"}}', False),
    ],
)
def test_sniff(name: str, head: bytes, expected: bool) -> None:
    assert cobertura.sniff(name, head) is expected


# --- the writer ---------------------------------------------------------------------------


def test_writer_round_trips_java_report() -> None:
    report = parse(JAVA)
    again = parse(writer.write(report).encode())
    assert again.files == report.files
    assert again.native_totals() == report.native_totals()


@pytest.mark.parametrize("version", ["7.17.3", "7.4.4", "6.5.0"])
def test_writer_keeps_coveragepy_headline(version: str) -> None:
    report = parse((DATA / f"v{version}" / "coverage.xml").read_bytes())
    again = parse(writer.write(report).encode())
    assert again.rule == coveragepy(0)
    assert again.unit == "statements+branches"
    assert again.native_totals() == report.native_totals()
    assert again.files == report.files


def test_writer_from_coveragepy_json() -> None:
    with (DATA / "v7.17.3" / "coverage-p2.json").open("rb") as stream:
        report = coveragepy_json.parse(stream, "coverage.json")
    again = parse(writer.write(report).encode())
    # coverage.py >= 7.13.1 lists exactly the statements, so lines + branches = the summary.
    assert again.native_totals() == report.native_totals()
    f, g = report.files["six.py"], again.files["six.py"]
    assert (g.lines, g.branches, g.functions) == (f.lines, f.branches, f.functions)


def test_writer_rates_and_escaping() -> None:
    f = FileCoverage(
        path='dir/we"ird & <name>.py',
        lines=LineHits.from_mapping({1: 1, 2: 0, 3: 5}),
        branches={3: (0, 0)},
        functions=(Function("f\n<x>", 1, 1),),
        native=Counts(2, 3),
    )
    text = writer.write(CoverageReport("lcov", "lines", DisplayRule("lcov", 1), {f.path: f}))
    assert 'line-rate="0.6667"' in text
    assert 'lines-covered="2" lines-valid="3"' in text
    assert '<package name="dir"' in text
    again = parse(text.encode())
    assert again.files[f.path].functions == f.functions
    assert again.files[f.path].branches == {3: (0, 0)}
    assert writer.rate(0, 0) == "1"
    assert writer.rate(0, 5) == "0"
    assert writer.rate(1, 100_000) == "0.0001"
    assert writer.rate(99_999, 100_000) == "0.9999"


_paths = st.lists(
    st.text(
        alphabet=st.characters(
            codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\\"
        ),
        min_size=1,
        max_size=12,
    ).filter(lambda p: not p.startswith("./")),
    min_size=0,
    max_size=4,
    unique=True,
)


@st.composite
def _files(draw: st.DrawFn) -> dict[str, FileCoverage]:
    files = {}
    for path in draw(_paths):
        lines = draw(
            st.dictionaries(
                st.integers(1, 10_000_000), st.integers(0, 2**63 - 1), min_size=0, max_size=30
            )
        )
        branch_lines = draw(st.sets(st.sampled_from(sorted(lines)))) if lines else set()
        branches = {}
        for line in branch_lines:
            total = draw(st.integers(0, 64))
            branches[line] = (draw(st.integers(0, total)), total)
        functions = tuple(
            Function(name, start, hits)
            for name, start, hits in draw(
                st.lists(
                    st.tuples(
                        st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))),
                        st.integers(1, 10_000_000),
                        st.integers(0, 2**63 - 1),
                    ),
                    max_size=4,
                )
            )
        )
        package = draw(st.one_of(st.none(), st.sampled_from(["pkg", "a.b", "ü"])))
        hits = LineHits.from_mapping(lines)
        covered = hits.covered_count()
        files[path] = FileCoverage(
            path=path,
            lines=hits,
            branches=branches,
            functions=functions,
            native=Counts(covered, len(hits)),
            package=package,
        )
    return files


@settings(max_examples=150, deadline=None)
@given(_files())
def test_writer_round_trip_property(files: dict[str, FileCoverage]) -> None:
    report = CoverageReport("cobertura", "lines", cobertura.GENERIC_RULE, files)
    again = parse(writer.write(report).encode())
    assert set(again.files) == set(files)
    for path, f in files.items():
        g = again.files[path]
        assert g.lines == f.lines
        assert dict(g.branches) == dict(f.branches)
        assert g.functions == f.functions
        assert g.native == f.native
        expected_package = f.package if f.package is not None else writer._package_of(f)
        assert g.package == expected_package
    assert again.native_display() == report.native_display()


# -- end tags are not reported inside a class's own <lines>: what follows must still be placed ---


def test_a_class_whose_lines_come_before_its_methods_keeps_both() -> None:
    data = b"""<coverage line-rate="1"><packages><package name="p"><classes>
      <class name="A" filename="a.py"><lines><line number="3" hits="1"/></lines>
        <methods><method name="f" signature="()V"><lines><line number="9" hits="2"/></lines>
        </method></methods></class>
      <class name="B" filename="b.py"><methods/><lines><line number="1" hits="0"/></lines></class>
    </classes></package><package name="q"><classes>
      <class name="C" filename="c.py"><lines><line number="2" hits="4"/></lines></class>
    </classes></package></packages></coverage>"""
    report = parse(data)
    a, b, c = (report.files[name] for name in ("a.py", "b.py", "c.py"))
    assert dict(a.lines) == {3: 1} and a.functions == (Function("f", 9, 2),)
    assert dict(b.lines) == {1: 0} and b.package == "p"
    assert dict(c.lines) == {2: 4} and c.package == "q"


@pytest.mark.parametrize(
    "line",
    [
        '<line number="3" hits="2"/>',
        '<line hits="2" number="3"/>',
        '<line number="3" hits="2" branch="false"/>',
        '<line branch="true" hits="2" number="3" condition-coverage="50% (1/2)">'
        '<conditions><condition number="0" type="jump" coverage="50%"/></conditions></line>',
    ],
)
def test_line_attributes_in_any_order_and_number(line: str) -> None:
    data = (
        '<coverage line-rate="1"><packages><package name="p"><classes>'
        f'<class name="A" filename="a.py"><methods/><lines>{line}</lines></class>'
        "</classes></package></packages></coverage>"
    ).encode()
    f = parse(data).files["a.py"]
    assert dict(f.lines) == {3: 2}
    assert dict(f.branches) == ({3: (1, 2)} if "condition-coverage" in line else {})


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('<line number="x" hits="2"/>', "<line> number 'x' is not an integer"),
        ('<line number="3" hits="y"/>', "<line> hits 'y' is not an integer"),
        ('<line number="3"/>', "<line> without a hits attribute"),
        ('<line number="3" hits="-1"/>', "line 3 has negative hits -1"),
        ('<line hits="1" number="0" branch="false"/>', "line number 0 is not positive"),
    ],
)
def test_bad_line_attributes_are_named_on_both_paths(line: str, problem: str) -> None:
    data = (
        '<coverage line-rate="1"><packages><package name="p"><classes>'
        f'<class name="A" filename="a.py"><methods/><lines>{line}</lines></class>'
        "</classes></package></packages></coverage>"
    ).encode()
    with pytest.raises(CoverageError, match=problem):
        parse(data)
