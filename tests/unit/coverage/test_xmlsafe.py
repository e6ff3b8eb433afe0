"""The safe XML layer: real DOCTYPEs pass unfetched, entity tricks are refused, memory is flat."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from app.coverage import xmlsafe
from app.coverage.errors import InvalidReport, LimitExceeded

pytestmark = pytest.mark.unit

NAME = "artifact/coverage.xml"

COBERTURA_DOCTYPE = (
    b'<?xml version="1.0"?>\n'
    b'<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">\n'
    b'<coverage line-rate="1"><packages/></coverage>\n'
)
JACOCO_DOCTYPE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd">'
    b'<report name="demo"><counter type="LINE" missed="1" covered="2"/></report>'
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<coverage line-rate="&lol9;"><packages/></coverage>
"""
QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE coverage [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><coverage>'
    + b"&a;" * 1000
    + b"</coverage>"
)
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE coverage [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<coverage><sources><source>&xxe;</source></sources></coverage>
"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE coverage [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<coverage/>
"""
INTERNAL_PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE coverage [<!ENTITY % p "<!ENTITY q 'boom'>"> %p;]>
<coverage>&q;</coverage>
"""
UNPARSED_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE coverage [<!NOTATION gif SYSTEM "image/gif"><!ENTITY logo SYSTEM "l.gif" NDATA gif>]>
<coverage/>
"""

HOSTILE = {
    "billion-laughs": BILLION_LAUGHS,
    "quadratic-blowup": QUADRATIC,
    "xxe-file": XXE,
    "parameter-entity-external": PARAMETER_ENTITY,
    "parameter-entity-internal": INTERNAL_PARAMETER_ENTITY,
    "unparsed-entity": UNPARSED_ENTITY,
}


def collect_iterparse(data: bytes, **kwargs: object) -> list[tuple[str, str]]:
    out = []
    for event, elem in xmlsafe.iterparse(io.BytesIO(data), NAME, ("start", "end"), **kwargs):  # type: ignore[arg-type]
        out.append((event, elem.tag))
        if event == "end":
            out.append(("text", (elem.text or "") + str(sorted(elem.attrib.items()))))
    return out


def collect_sax(data: bytes, **kwargs: object) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        out.append(("start", tag))
        out.append(("attrs", str(sorted(attrs.items()))))

    parser = xmlsafe.SafeParser(NAME, start, lambda tag: out.append(("end", tag)), **kwargs)  # type: ignore[arg-type]
    parser.expat.CharacterDataHandler = lambda text: out.append(("text", text))
    parser.parse(io.BytesIO(data))
    return out


PARSERS: dict[str, Callable[..., list[tuple[str, str]]]] = {
    "iterparse": collect_iterparse,
    "saxparser": collect_sax,
}


@pytest.fixture(params=sorted(PARSERS))
def collect(request: pytest.FixtureRequest) -> Callable[..., list[tuple[str, str]]]:
    return PARSERS[request.param]


@pytest.mark.parametrize(
    "document", [COBERTURA_DOCTYPE, JACOCO_DOCTYPE], ids=["cobertura", "jacoco"]
)
def test_real_doctypes_with_external_ids_are_accepted(
    collect: Callable[..., list[tuple[str, str]]], document: bytes
) -> None:
    events = collect(document)
    assert events[0] == ("start", document.split(b"<!DOCTYPE ")[1].split(b" ")[0].decode())


def test_an_external_dtd_is_never_fetched(
    collect: Callable[..., list[tuple[str, str]]], tmp_path: Path
) -> None:
    # If the DTD were loaded, &leak; would expand to its secret text.
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY leak "SECRET-FROM-DTD">')
    document = (
        f'<?xml version="1.0"?><!DOCTYPE coverage SYSTEM "{dtd.as_uri()}">'
        "<coverage><source>a&leak;b</source></coverage>"
    ).encode()
    try:
        events = collect(document)
    except InvalidReport as exc:  # ElementTree: "undefined entity"
        assert "undefined entity" in str(exc)
        assert exc.source == NAME
    else:  # expat skips an entity it cannot know (the DTD is external and not read)
        assert "SECRET" not in repr(events)


@pytest.mark.parametrize("attack", sorted(HOSTILE))
def test_entity_declarations_are_refused(
    collect: Callable[..., list[tuple[str, str]]], attack: str
) -> None:
    with pytest.raises(InvalidReport) as caught:
        collect(HOSTILE[attack])
    assert caught.value.source == NAME
    assert str(caught.value).startswith(NAME + ": ")
    assert "entity" in caught.value.problem
    assert "refused" in caught.value.problem
    assert "root:" not in str(caught.value)  # nothing of /etc/passwd


def test_xxe_names_the_external_id(collect: Callable[..., list[tuple[str, str]]]) -> None:
    with pytest.raises(InvalidReport, match=r"xxe.*file:///etc/passwd"):
        collect(XXE)


def test_a_declaration_after_a_long_prolog_is_still_refused(
    collect: Callable[..., list[tuple[str, str]]],
) -> None:
    # The prolog spans several read chunks before the declaration arrives.
    padding = b"<!-- " + b"p" * (3 * xmlsafe.CHUNK_SIZE + 7) + b" -->"
    document = BILLION_LAUGHS.replace(b"<!DOCTYPE", padding + b"<!DOCTYPE", 1)
    with pytest.raises(InvalidReport, match="entity declaration"):
        collect(document)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (b'<coverage><packages><package name="a">', "no element found"),
        (b"<coverage><a></b></coverage>", "mismatched tag"),
        (b"", "no element found"),
        (b"not xml at all", "syntax error"),
        (b'<?xml version="1.0" encoding="UTF-8"?><coverage a="caf\xe9"/>', "not well-formed"),
        (b"<coverage>&undefined;</coverage>", "undefined entity"),
    ],
    ids=["truncated", "mismatched", "empty", "text", "latin1-bytes-in-utf8", "undefined-entity"],
)
def test_malformed_xml_names_the_file(
    collect: Callable[..., list[tuple[str, str]]], document: bytes, problem: str
) -> None:
    with pytest.raises(InvalidReport) as caught:
        collect(document)
    assert caught.value.source == NAME
    assert "malformed XML" in caught.value.problem
    assert problem in caught.value.problem


@pytest.mark.parametrize(
    "document",
    [
        b'\xef\xbb\xbf<?xml version="1.0"?><coverage name="caf\xc3\xa9"/>',
        '<?xml version="1.0" encoding="UTF-16"?><coverage name="café"/>'.encode("utf-16"),
        '<?xml version="1.0" encoding="UTF-16"?><coverage name="café"/>'.encode("utf-16-be"),
        '<?xml version="1.0" encoding="UTF-16"?><coverage name="café"/>'.encode("utf-16-le"),
        '<?xml version="1.0" encoding="ISO-8859-1"?><coverage name="café"/>'.encode("latin-1"),
    ],
    ids=["utf8-bom", "utf16-bom", "utf16-be-declared", "utf16-le-declared", "latin1-declared"],
)
def test_encodings(collect: Callable[..., list[tuple[str, str]]], document: bytes) -> None:
    events = collect(document)
    assert ("start", "coverage") in events
    assert "café" in repr(events)


def test_max_bytes(collect: Callable[..., list[tuple[str, str]]]) -> None:
    document = b"<coverage>" + b"<line/>" * 20_000 + b"</coverage>"
    with pytest.raises(LimitExceeded) as caught:
        collect(document, max_bytes=len(document) - 1)
    assert caught.value.source == NAME
    assert collect(document, max_bytes=len(document))[0] == ("start", "coverage")


def test_root_element_is_checked_before_reading_on(
    collect: Callable[..., list[tuple[str, str]]],
) -> None:
    with pytest.raises(InvalidReport, match=r"root element is <report>, expected <coverage>"):
        collect(JACOCO_DOCTYPE, root="coverage")
    assert collect(COBERTURA_DOCTYPE, root="coverage")


def test_iterparse_reports_comments() -> None:
    data = b"<coverage><!-- Generated by coverage.py --><p/></coverage>"
    events = [
        (event, elem.text)
        for event, elem in xmlsafe.iterparse(io.BytesIO(data), NAME, ("comment",))
    ]
    assert events == [("comment", " Generated by coverage.py ")]


def test_callback_errors_propagate_unchanged() -> None:
    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "bad":
            raise LimitExceeded(NAME, "too many")

    with pytest.raises(LimitExceeded, match="too many"):
        xmlsafe.SafeParser(NAME, start).parse(io.BytesIO(b"<a><bad/></a>"))


def _document(classes: int) -> bytes:
    lines = "".join(f'<line number="{n}" hits="{n % 3}"/>' for n in range(1, 201))
    body = "".join(
        f'<class filename="f{c}.py"><lines>{lines}</lines></class>' for c in range(classes)
    )
    wrapped = f"<coverage><packages><package><classes>{body}</classes></package></packages>"
    return (wrapped + "</coverage>").encode()


def _peak(run: Callable[[io.BytesIO], None], data: bytes) -> int:
    stream = io.BytesIO(data)
    tracemalloc.start()
    try:
        run(stream)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _walk_iterparse(stream: io.BytesIO) -> None:
    for _event, elem in xmlsafe.iterparse(stream, NAME):
        if elem.tag in ("line", "class"):
            elem.clear()


def _walk_sax(stream: io.BytesIO) -> None:
    xmlsafe.SafeParser(NAME, lambda tag, attrs: None).parse(stream)


@pytest.mark.parametrize("walk", [_walk_iterparse, _walk_sax], ids=["iterparse", "saxparser"])
def test_memory_is_flat_in_the_input_size(walk: Callable[[io.BytesIO], None]) -> None:
    small, large = _document(160), _document(640)  # about 0.9 MB and 3.7 MB
    assert len(large) > 3.9 * len(small)
    peak_small, peak_large = _peak(walk, small), _peak(walk, large)
    # Flat: the peak is the read chunk plus one class, not the document.
    assert peak_large < peak_small * 1.5 + 256 * 1024, (peak_small, peak_large)
    assert peak_large < 2_000_000 < len(large) / 1.8


def test_peek_root() -> None:
    info = xmlsafe.peek_root(JACOCO_DOCTYPE)
    assert info is not None
    assert (info.tag, info.doctype_public, info.doctype_system) == (
        "report",
        "-//JACOCO//DTD Report 1.1//EN",
        "report.dtd",
    )
    assert info.attrs == {"name": "demo"}
    assert not info.entities
    cobertura = xmlsafe.peek_root(
        b'<?xml version="1.0" ?>\n<coverage version="7.17.3" line-rate="0.5">\n\t<!-- Generated'
    )
    assert cobertura is not None
    assert cobertura.tag == "coverage"
    assert cobertura.attrs["line-rate"] == "0.5"


def test_peek_root_stops_at_entities_and_never_expands_them() -> None:
    info = xmlsafe.peek_root(BILLION_LAUGHS)
    assert info is not None
    assert info.entities
    assert info.tag == "lolz"  # the DOCTYPE name; the root was never reached
    assert info.attrs == {}


@pytest.mark.parametrize("head", [b"", b"SF:a.py\nDA:1,1\n", b'{"meta": {}}', b"<?xml version="])
def test_peek_root_of_non_xml(head: bytes) -> None:
    assert xmlsafe.peek_root(head) is None
