"""Clover XML (app.coverage.parsers.clover): OpenClover, PHPUnit and Istanbul layouts and semantics.

Istanbul's clover.xml from c8/nyc is checked against the tools' own figures in
tests/crosscheck/test_js_lcov_crosscheck.py; here: hand-made reports of each producer, whose
expected values follow from reference/formats.md §6.4, and hostile input.
"""

from __future__ import annotations

import io

import pytest

from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.model import Counts, CoverageReport, Function
from app.coverage.parsers import clover
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits

pytestmark = pytest.mark.unit

NAME = "artifacts/clover.xml"

OPENCLOVER = """<?xml version="1.0" encoding="UTF-8"?>
<coverage generated="1700000000000" clover="4.4.1">
  <project timestamp="1700000000000" name="shop">
    <metrics statements="5" coveredstatements="3" conditionals="4" coveredconditionals="3"
             methods="2" coveredmethods="1" elements="11" coveredelements="7" packages="1"/>
    <package name="com.shop">
      <metrics statements="5" coveredstatements="3" conditionals="4" coveredconditionals="3"
               methods="2" coveredmethods="1"/>
      <file name="Cart.java" path="/build/src/main/java/com/shop/Cart.java">
        <metrics statements="5" coveredstatements="3" conditionals="4" coveredconditionals="3"
                 methods="2" coveredmethods="1"/>
        <line num="10" count="4" type="method" signature="add(Item) : void"/>
        <line num="11" count="4" type="stmt"/>
        <line num="12" type="cond" truecount="3" falsecount="1"/>
        <line num="13" count="3" type="stmt"/>
        <line num="15" type="cond" truecount="0" falsecount="4"/>
        <line num="16" count="0" type="stmt"/>
        <line num="20" count="0" type="method" signature="clear() : void"/>
        <line num="21" count="0" type="stmt"/>
      </file>
    </package>
  </project>
</coverage>
"""

PHPUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<coverage generated="1700000000">
  <project timestamp="1700000000">
    <file name="/app/src/Money.php">
      <class name="Money" namespace="App">
        <metrics complexity="3" methods="2" coveredmethods="1" conditionals="0"
                 coveredconditionals="0" statements="4" coveredstatements="3" elements="6"
                 coveredelements="4"/>
      </class>
      <line num="7" type="method" name="__construct" visibility="public" complexity="1"
            crap="1" count="2"/>
      <line num="9" type="stmt" count="2"/>
      <line num="12" type="method" name="format" visibility="public" complexity="2"
            crap="6" count="0"/>
      <line num="14" type="stmt" count="0"/>
      <line num="14" type="stmt" count="0"/>
      <metrics loc="20" ncloc="18" classes="1" methods="2" coveredmethods="1" conditionals="0"
               coveredconditionals="0" statements="4" coveredstatements="3" elements="6"
               coveredelements="4"/>
    </file>
    <package name="App\\Util">
      <file name="/app/src/Util/Str.php">
        <line num="3" type="stmt" count="1"/>
        <metrics loc="5" ncloc="5" classes="0" methods="0" coveredmethods="0" conditionals="0"
                 coveredconditionals="0" statements="1" coveredstatements="1" elements="1"
                 coveredelements="1"/>
      </file>
    </package>
    <metrics files="2" loc="25" ncloc="23" classes="1" methods="2" coveredmethods="1"
             conditionals="0" coveredconditionals="0" statements="5" coveredstatements="4"
             elements="7" coveredelements="5"/>
  </project>
</coverage>
"""

ISTANBUL = """<?xml version="1.0" encoding="UTF-8"?>
<coverage generated="1795237961294" clover="3.2.0">
  <project timestamp="1795237961295" name="All files">
    <metrics statements="3" coveredstatements="2" conditionals="5" coveredconditionals="3"
             methods="2" coveredmethods="2" elements="10" coveredelements="7" complexity="0"
             loc="3" ncloc="3" packages="1" files="1" classes="1"/>
    <file name="index.js" path="/src/pkg/index.js">
      <metrics statements="3" coveredstatements="2" conditionals="5" coveredconditionals="3"
               methods="2" coveredmethods="2"/>
      <line num="4" count="14" type="stmt"/>
      <line num="6" count="3" type="cond" truecount="3" falsecount="1"/>
      <line num="9" count="0" type="stmt"/>
    </file>
  </project>
</coverage>
"""


def parse(
    text: str | bytes, limits: Limits = DEFAULT_LIMITS, semantics: clover.Semantics = "auto"
) -> CoverageReport:
    data = text.encode() if isinstance(text, str) else text
    return clover.parse(io.BytesIO(data), NAME, limits, semantics)


def test_sniff() -> None:
    assert clover.sniff("clover.xml", OPENCLOVER.encode())
    assert clover.sniff("clover.xml", PHPUNIT.encode())
    assert clover.sniff("x.xml", ISTANBUL.encode())
    assert not clover.sniff("coverage.xml", b'<coverage line-rate="0.5"><packages/></coverage>')
    assert not clover.sniff("x.xml", b'<report name="x"/>')
    assert not clover.sniff("x.xml", b"not xml at all")


def test_openclover_semantics() -> None:
    report = parse(OPENCLOVER)
    f = report.files["/build/src/main/java/com/shop/Cart.java"]
    assert f.package == "com.shop"
    # truecount/falsecount are evaluation counts: 2 branches per cond line
    assert f.branches == {12: (2, 2), 15: (1, 2)}
    # a cond line without count is hit when the condition was evaluated at all
    assert dict(f.lines) == {10: 4, 11: 4, 12: 4, 13: 3, 15: 4, 16: 0, 20: 0, 21: 0}
    assert f.functions == (Function("add(Item) : void", 10, 4), Function("clear() : void", 20, 0))
    # TPC from the file's metrics: (3 + 3 + 1) / (5 + 4 + 2)
    assert f.native == Counts(7, 11)
    assert report.native_display() == "63.6%"
    assert report.format == "clover"


def test_istanbul_semantics_detected_from_the_header() -> None:
    report = parse(ISTANBUL)
    f = report.files["/src/pkg/index.js"]
    # truecount = covered branches, falsecount = uncovered ones, any number per line
    assert f.branches == {6: (3, 4)}
    assert dict(f.lines) == {4: 14, 6: 3, 9: 0}
    assert f.native == Counts(7, 10)  # lines + branches + functions from metrics
    forced = parse(ISTANBUL, semantics="openclover").files["/src/pkg/index.js"]
    assert forced.branches == {6: (2, 2)}
    forced = parse(OPENCLOVER, semantics="istanbul").files[
        "/build/src/main/java/com/shop/Cart.java"
    ]
    assert forced.branches == {12: (3, 4), 15: (0, 4)}


def test_istanbul_header_needs_both_markers() -> None:
    renamed = ISTANBUL.replace('name="All files"', 'name="mine"')
    assert parse(renamed).files["/src/pkg/index.js"].branches == {6: (2, 2)}


def test_phpunit_layout() -> None:
    report = parse(PHPUNIT)
    assert set(report.files) == {"/app/src/Money.php", "/app/src/Util/Str.php"}
    money = report.files["/app/src/Money.php"]
    assert money.package is None and report.files["/app/src/Util/Str.php"].package == "App\\Util"
    assert dict(money.lines) == {7: 2, 9: 2, 12: 0, 14: 0}  # line 14 listed twice
    assert money.functions == (Function("__construct", 7, 2), Function("format", 12, 0))
    # the file's own metrics (after its lines), not the class's
    assert money.native == Counts(4, 6)
    assert report.native_totals() == Counts(5, 7)
    assert report.native_display() == "71.4%"


def test_files_without_metrics_count_elements_from_lines() -> None:
    xml = """<coverage generated="1"><project><file name="a.php">
      <line num="1" type="method" name="f" count="1"/>
      <line num="2" type="stmt" count="0"/>
      <line num="3" type="cond" truecount="1" falsecount="0" count="1"/>
    </file></project></coverage>"""
    f = parse(xml).files["a.php"]
    assert f.native == Counts(1 + 0 + 1, 1 + 1 + 2)
    assert f.branches == {3: (1, 2)}


# --------------------------------------------------------------------------------------------
# hostile input


def doc(line: str, *, path: str = "a.js") -> str:
    return (
        f'<coverage generated="1"><project><file path="{path}">{line}</file></project></coverage>'
    )


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (doc('<line num="1" type="stmt" count="-1"/>'), InvalidReport, "negative count -1"),
        (doc('<line num="1" type="stmt" count="1.5"/>'), InvalidReport, "count='1.5' is not"),
        (doc('<line num="1" type="stmt" count="NaN"/>'), InvalidReport, "is not an integer"),
        (doc('<line num="0" type="stmt" count="1"/>'), InvalidReport, "line number 0"),
        (doc('<line type="stmt" count="1"/>'), InvalidReport, "missing attribute 'num'"),
        (doc('<line num="x" count="1"/>'), InvalidReport, "num='x' is not an integer"),
        (doc('<line num="1" type="cond" truecount="-2"/>'), InvalidReport, "negative truecount"),
        (
            doc('<metrics statements="1" coveredstatements="2"/>'),
            InvalidReport,
            "coveredstatements 2 exceeds statements 1",
        ),
        (doc('<line num="99999999999" count="1"/>'), LimitExceeded, "exceeds the limit"),
        (doc('<line num="1" count="99999999999999999999"/>'), LimitExceeded, "exceeds"),
        ('<coverage generated="1"><project><file path="a">', InvalidReport, "malformed XML"),
        ("<report/>", InvalidReport, "not Clover's <coverage>"),
        ('<coverage generated="1"><project><file/></project></coverage>', InvalidReport, "without"),
        ('<coverage><project><line num="1"/></project></coverage>', InvalidReport, "outside"),
    ],
)
def test_bad_documents(text: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as exc:
        parse(text)
    assert str(exc.value).startswith(NAME + ": ")
    assert message in str(exc.value)


def test_line_number_at_the_limit_and_past_it() -> None:
    limits = Limits(max_line_number=50)
    assert 50 in parse(doc('<line num="50" count="1"/>'), limits).files["a.js"].lines
    with pytest.raises(LimitExceeded, match=r"a\.js: line number 51 exceeds the limit 50"):
        parse(doc('<line num="51" count="1"/>'), limits)


def test_entity_tricks_are_refused() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE coverage [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<coverage generated="1"><project><file path="&b;"/></project></coverage>'
    )
    with pytest.raises(InvalidReport, match=r"artifacts/clover\.xml: XML entity declaration"):
        parse(laughs)
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE coverage [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<coverage generated="1"><project><file path="&x;"/></project></coverage>'
    )
    with pytest.raises(InvalidReport, match="refused"):
        parse(xxe)


def test_duplicate_files_and_limits() -> None:
    two = (
        '<coverage generated="1"><project><file path="a"><line num="1" count="1"/></file>'
        '<file path="b"><line num="1" count="1"/><line num="2" count="0"/></file>'
        "</project></coverage>"
    )
    with pytest.raises(LimitExceeded, match="more than 1 source files"):
        parse(two, Limits(max_files=1))
    with pytest.raises(LimitExceeded, match="more than 2 measured lines"):
        parse(two, Limits(max_lines=2))
    with pytest.raises(LimitExceeded, match="larger than the limit of 50 bytes"):
        parse(two, Limits(max_bytes=50))
    with pytest.raises(InvalidReport, match="'a' appears twice"):
        parse(two.replace('path="b"', 'path="a"'))


def test_encodings_of_paths() -> None:
    latin1 = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><coverage generated="1"><project>'
        '<file path="caf\xe9.js"><line num="1" count="1"/></file></project></coverage>'
    ).encode("latin-1")
    assert list(parse(latin1).files) == ["café.js"]
    bad_utf8 = b'<coverage generated="1"><project><file path="caf\xe9.js"/></project></coverage>'
    with pytest.raises(InvalidReport, match=r"artifacts/clover\.xml: malformed XML"):
        parse(bad_utf8)
