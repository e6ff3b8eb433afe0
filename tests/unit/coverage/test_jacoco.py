"""JaCoCo XML (app.coverage.parsers.jacoco).

tests/data/jacoco/jacoco.xml and html-total.txt were produced by the real JaCoCo 0.8.6 (Debian
libjacoco-java: core + report API, XMLFormatter and HTMLFormatter) on Java 17 by
tests/data/jacoco/gen/gen.sh; html-total.txt is the "Total" row of JaCoCo's own HTML index, its
headline. The slow test regenerates them live. The hand-made samples follow report.dtd and the
counter definitions of https://www.jacoco.org/jacoco/trunk/doc/counters.html.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.coverage import percent
from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.model import Counts, CoverageReport, Function
from app.coverage.parsers import jacoco
from app.coverage.parsers.base import DEFAULT_LIMITS, Limits

pytestmark = pytest.mark.unit

NAME = "build/reports/jacoco/test/jacocoTestReport.xml"
DATA = Path(__file__).resolve().parents[2] / "data" / "jacoco"
DOCTYPE = '<!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd">'


def parse(text: str | bytes, limits: Limits = DEFAULT_LIMITS) -> CoverageReport:
    data = text.encode() if isinstance(text, str) else text
    return jacoco.parse(io.BytesIO(data), NAME, limits)


def counter(kind: str, missed: int, covered: int) -> str:
    return f'<counter type="{kind}" missed="{missed}" covered="{covered}"/>'


SAMPLE = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{DOCTYPE}
<report name="app">
  <sessioninfo id="host-1" start="1" dump="2"/>
  <group name="module-a">
    <package name="com/acme/core">
      <class name="com/acme/core/Calc" sourcefilename="Calc.java">
        <method name="&lt;init&gt;" desc="()V" line="3">
          {counter("INSTRUCTION", 0, 3)}{counter("METHOD", 0, 1)}
        </method>
        <method name="div" desc="(II)I" line="5">
          {counter("INSTRUCTION", 4, 6)}{counter("BRANCH", 1, 1)}{counter("METHOD", 0, 1)}
        </method>
        <method name="unused" desc="()V" line="12">
          {counter("INSTRUCTION", 2, 0)}{counter("METHOD", 1, 0)}
        </method>
        {counter("INSTRUCTION", 6, 9)}
      </class>
      <sourcefile name="Calc.java">
        <line nr="3" mi="0" ci="3" mb="0" cb="0"/>
        <line nr="5" mi="0" ci="2" mb="1" cb="1"/>
        <line nr="6" mi="4" ci="0" mb="0" cb="0"/>
        <line nr="7" mi="0" ci="4" mb="0" cb="0"/>
        <line nr="12" mi="2" ci="0" mb="0" cb="0"/>
        {counter("INSTRUCTION", 6, 9)}{counter("BRANCH", 1, 1)}{counter("LINE", 2, 3)}
      </sourcefile>
      {counter("INSTRUCTION", 6, 9)}
    </package>
  </group>
  <group name="module-b">
    <group name="nested">
      <package name="">
        <sourcefile name="Main.java">
          <line nr="1" mi="1" ci="2" mb="3" cb="1"/>
        </sourcefile>
      </package>
    </group>
  </group>
  {counter("INSTRUCTION", 7, 11)}{counter("BRANCH", 4, 2)}{counter("LINE", 2, 4)}
</report>
"""


def test_sniff() -> None:
    assert jacoco.sniff("jacoco.xml", SAMPLE.encode())
    assert jacoco.sniff("x.xml", b'<report name="r"><package name="a"/></report>')
    assert not jacoco.sniff("x.xml", b'<coverage generated="1"><project/></coverage>')
    assert not jacoco.sniff("x.xml", b"{}")


def test_sample_model() -> None:
    report = parse(SAMPLE)
    assert report.format == "jacoco" and report.unit == "instructions"
    assert report.rule == percent.JACOCO
    assert set(report.files) == {"com/acme/core/Calc.java", "Main.java"}
    calc = report.files["com/acme/core/Calc.java"]
    assert calc.package == "com.acme.core"
    assert dict(calc.lines) == {3: 1, 5: 1, 6: 0, 7: 1, 12: 0}  # hit iff ci > 0
    assert calc.branches == {5: (1, 2)}
    assert calc.native == Counts(9, 15)  # the sourcefile's INSTRUCTION counter
    assert calc.functions == (
        Function("Calc.<init>()V", 3, 1),
        Function("Calc.div(II)I", 5, 1),
        Function("Calc.unused()V", 12, 0),
    )
    main = report.files["Main.java"]
    assert main.package is None
    assert main.native == Counts(2, 3)  # no counter: summed from the lines
    assert main.branches == {1: (1, 4)}
    # the report counter equals the sum of the files: no override needed
    assert report.native_override is None
    assert report.native_totals() == Counts(11, 18)
    assert report.native_display() == "61%"  # 61.1 floored
    assert report.line_totals().covered == 4 and report.line_totals().partial == 2


def test_report_counter_wins_when_classes_have_no_source() -> None:
    text = SAMPLE.replace(counter("INSTRUCTION", 7, 11), counter("INSTRUCTION", 17, 11))
    report = parse(text)
    assert report.native_override == Counts(11, 28)
    assert report.native_display() == "39%"


@pytest.mark.parametrize(
    ("covered", "total", "shown"),
    [(162, 175, "92%"), (1, 3, "33%"), (2, 3, "66%"), (199, 200, "99%"), (0, 0, "n/a")],
)
def test_jacoco_headline_is_floored(covered: int, total: int, shown: str) -> None:
    assert percent.JACOCO.display(covered, total) == shown


def test_no_doctype_and_empty_report() -> None:
    report = parse('<report name="empty"/>')
    assert report.files == {}
    assert report.native_display() == "n/a"


# --------------------------------------------------------------------------------------------
# the real tool's output


def _html_total(path: Path) -> dict[str, str]:
    header, total = (line.split("\t") for line in path.read_text().splitlines()[:2])
    return dict(zip(header, total, strict=False)) | {
        "instructions": total[1],
        "instructions %": total[2],
        "branches": total[3],
        "branches %": total[4],
        "lines missed": total[7],
        "lines": total[8],
    }


def check_real(xml: Path, html_total: Path) -> None:
    total = _html_total(html_total)
    report = jacoco.parse(io.BytesIO(xml.read_bytes()), str(xml))
    m = re.fullmatch(r"(\d+) of (\d+)", total["instructions"])
    assert m, total
    missed, all_ = int(m[1]), int(m[2])
    assert report.native_totals() == Counts(all_ - missed, all_)
    assert report.native_display() == total["instructions %"]
    lines = report.line_totals()
    assert (lines.total - lines.covered, lines.total) == (
        int(total["lines missed"]),
        int(total["lines"]),
    )
    # branches from lines equal the sum of JaCoCo's own per-sourcefile BRANCH counters
    sums = [0, 0]
    for match in re.finditer(r"<sourcefile .*?</sourcefile>", xml.read_text(), re.S):
        c = re.search(r'<counter type="BRANCH" missed="(\d+)" covered="(\d+)"/>', match[0])
        if c:
            sums[0] += int(c[2])
            sums[1] += int(c[1]) + int(c[2])
    assert report.branch_totals() == Counts(sums[0], sums[1])


def test_recorded_real_jacoco_report() -> None:
    check_real(DATA / "jacoco.xml", DATA / "html-total.txt")
    report = jacoco.parse(io.BytesIO((DATA / "jacoco.xml").read_bytes()), "jacoco.xml")
    # figures pinned from the recorded HTML: "19 of 205", 90%; Hidden.class has no source
    assert report.native_totals() == Counts(186, 205)
    assert report.native_override == Counts(186, 205)
    assert sum(f.native.total for f in report.files.values()) < 205
    assert set(report.files) == {
        "Util.java",
        "com/example/Main.java",
        "com/example/shapes/Shapes.java",
    }


@pytest.mark.slow
def test_live_jacoco(tmp_path: Path) -> None:
    missing = [t for t in ("java", "javac") if shutil.which(t) is None]
    if missing or not Path("/usr/share/java/org.jacoco.core.jar").exists():
        pytest.fail(
            "JaCoCo cross-check needs a JDK and Debian's libjacoco-java: "
            "apt-get install -y default-jdk-headless libjacoco-java"
        )
    script = DATA / "gen" / "gen.sh"
    result = subprocess.run(
        ["bash", str(script), str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-4000:]
    check_real(tmp_path / "jacoco.xml", tmp_path / "html-total.txt")


# --------------------------------------------------------------------------------------------
# hostile input


def one_line(attrs: str) -> str:
    return (
        f'<report name="r"><package name="p"><sourcefile name="A.java"><line {attrs}/>'
        "</sourcefile></package></report>"
    )


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (one_line('nr="1" mi="-1" ci="0"'), InvalidReport, "p/A.java: line 1: negative mi -1"),
        (one_line('nr="1" mi="0" ci="2.0"'), InvalidReport, "ci='2.0' is not an integer"),
        (one_line('nr="0" mi="0" ci="1"'), InvalidReport, "line number 0"),
        (one_line('mi="0" ci="1"'), InvalidReport, "missing attribute 'nr'"),
        (one_line('nr="99999999999" ci="1"'), LimitExceeded, "exceeds the limit"),
        (one_line(f'nr="1" ci="{2**64}"'), LimitExceeded, "exceeds"),
        (
            '<report name="r"><package name="p"><sourcefile name="A.java">'
            '<line nr="1" ci="1"/><line nr="1" ci="1"/></sourcefile></package></report>',
            InvalidReport,
            "line 1 appears twice",
        ),
        (
            '<report name="r"><package name="p"><sourcefile name="A.java"/>'
            '<sourcefile name="A.java"/></package></report>',
            InvalidReport,
            "'p/A.java' appears twice",
        ),
        ('<report name="r"><line nr="1"/></report>', InvalidReport, "outside a <sourcefile>"),
        ('<report name="r"><package name="p"><sourcefile>', InvalidReport, "without name"),
        ('<report name="r"><package name="p">', InvalidReport, "malformed XML"),
        ("<coverage/>", InvalidReport, "not JaCoCo's <report>"),
        (
            '<report name="r"><counter type="INSTRUCTION" missed="x" covered="1"/></report>',
            InvalidReport,
            "missed='x'",
        ),
        (
            '<report name="r"><counter type="INSTRUCTION" covered="1"/></report>',
            InvalidReport,
            "missing attribute 'missed'",
        ),
    ],
)
def test_bad_documents(text: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as exc:
        parse(text)
    assert str(exc.value).startswith(NAME + ": ")
    assert message in str(exc.value)


def test_entities_refused_doctype_accepted() -> None:
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE report [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<report name="&x;"/>'
    )
    with pytest.raises(InvalidReport, match="entity"):
        parse(xxe)
    assert parse(f'<?xml version="1.0"?>{DOCTYPE}<report name="r"/>').files == {}


def test_limits() -> None:
    limits = Limits(max_line_number=10)
    assert 10 in parse(one_line('nr="10" ci="1"'), limits).files["p/A.java"].lines
    with pytest.raises(LimitExceeded, match="line number 11 exceeds the limit 10"):
        parse(one_line('nr="11" ci="1"'), limits)
    with pytest.raises(LimitExceeded, match="more than 1 source files"):
        parse(SAMPLE, Limits(max_files=1))
    with pytest.raises(LimitExceeded, match="more than 3 measured lines"):
        parse(SAMPLE, Limits(max_lines=3))
    with pytest.raises(LimitExceeded, match="larger than the limit"):
        parse(SAMPLE, Limits(max_bytes=100))
