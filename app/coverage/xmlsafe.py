"""Safe, streaming XML for every XML parser of the core (Cobertura, JaCoCo, Clover).

Untrusted reports arrive from CI artifacts, so the XML layer refuses every entity trick and never
touches the network or the file system, while staying close to the speed of a bare
``xml.etree.ElementTree.iterparse``.

Two ways in, both refusing every ``<!ENTITY`` declaration (general or parameter, internal or
external: billion laughs, quadratic blowup, XXE, parameter-entity tricks) through expat's
``EntityDeclHandler`` / ``UnparsedEntityDeclHandler``, and any external entity reference through
``ExternalEntityRefHandler``:

* :class:`SafeParser`: expat (``xml.parsers.expat``) with your start/end callbacks. No Element
  objects at all: the fastest, and memory is flat by construction. Use it for big formats.
* :func:`iterparse`: ``ET.iterparse``-style ``(event, element)`` pairs from the C-accelerated
  :class:`xml.etree.ElementTree.XMLPullParser`. The C parser exposes no expat hooks, so each chunk
  is first fed to a small expat *guard* with the refusing handlers; entities can only be declared
  in the prolog, so the guard stops at the root element's start tag and costs nothing after it.
  The guard always sees a chunk before the main parser does, so no declaration reaches it.

Neither fetches anything: ElementTree and a bare expat parser never load external DTDs or
entities, so real DOCTYPEs with SYSTEM/PUBLIC ids (Cobertura's ``coverage-04.dtd``, JaCoCo's
``-//JACOCO//DTD Report 1.1//EN``) are accepted and not fetched. Python's bundled expat (2.5.0
here; >= 2.4.0) also limits entity amplification by itself. defusedxml (reference/formats.md §9)
would do the same job, but its iterparse runs the pure-Python XMLParser to install these hooks.

Encodings are expat's: a UTF-8 BOM, UTF-16 (with BOM, or declared), ISO-8859-1 and ASCII work;
bytes that are not valid in the document's encoding are a malformed-XML error.

Figures (2 shared cores, Python 3.11.7, expat 2.5.0; a synthetic coverage.py-style Cobertura file
of 36.6 MB with 0.8 M ``<line>`` elements; medians of 5 rounds in one run; the iterparse loops
clear each element at its end):

======================================  ======  =========  ============
reader                                  time    MB/s       vs bare
======================================  ======  =========  ============
``ET.iterparse`` (bare, unprotected)    1.48 s  24.8       1.00x
:func:`iterparse` (this module)         1.66 s  22.0       0.89x
:class:`SafeParser` (start callback)    1.01 s  36.1       1.46x
``defusedxml.ElementTree.iterparse``    2.90 s  12.6       0.51x
``cobertura.parse`` (whole model)       2.58 s  14.2       0.57x
======================================  ======  =========  ============

(An earlier, quieter run: 0.97x, 1.34x, 0.46x, 0.64x.) Peak RSS for a 36.6 MB and a 110 MB file:
:func:`iterparse` 15 MB and 15 MB (the interpreter alone: 13 MB); ``cobertura.parse`` 26 MB and
52 MB, the growth being the model it returns (12 bytes per line and per branch line).

Usage of :func:`iterparse`, memory-flat::

    for event, elem in xmlsafe.iterparse(stream, name, events=("start", "end")):
        if event == "end" and elem.tag == "line":
            ...             # read elem.attrib
            elem.clear()    # drop its attributes and children
        elif event == "end" and elem.tag == "class":
            elem.clear()    # drops the (already cleared) <line> children too

A parent keeps references to its cleared children until the parent itself is cleared, so clear the
enclosing record (a class, a package) at its end, or delete the children of a long container with
``del container[:]`` as you go.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import xml.parsers.expat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal, cast

from app.coverage.errors import InvalidReport, LimitExceeded

#: How many bytes are read from the stream at a time: SafeParser. A bigger chunk saves calls; the
#: parser keeps no per-chunk state.
CHUNK_SIZE = 256 * 1024
#: iterparse builds every element of a chunk before the caller sees the first one (they take about
#: 15 times the chunk's size), so its chunk is smaller.
ITERPARSE_CHUNK_SIZE = 64 * 1024

Element = ET.Element
#: The events :func:`iterparse` can report (all of them yield elements).
EventName = Literal["start", "end", "comment", "pi"]
#: The tag of comment elements (events "comment").
Comment = ET.Comment


class _RootSeen(Exception):
    """Raised inside the guard to stop it at the root element."""


class _Refused(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _entity_problem(name: str, is_parameter: bool, sysid: str | None, pubid: str | None) -> str:
    kind = "parameter entity" if is_parameter else "entity"
    where = f" (external: {sysid or pubid})" if (sysid or pubid) else ""
    return (
        f"XML {kind} declaration {name!r}{where} refused: reports never need entities, "
        "and entity declarations enable billion-laughs and external-entity (XXE) attacks"
    )


def _entity_decl(
    name: str,
    is_parameter: bool,
    value: str | None,
    base: str | None,
    sysid: str | None,
    pubid: str | None,
    notation: str | None,
) -> None:
    raise _Refused(_entity_problem(name, bool(is_parameter), sysid, pubid))


def _unparsed_entity_decl(
    name: str, base: str | None, sysid: str | None, pubid: str | None, notation: str
) -> None:
    raise _Refused(_entity_problem(name, False, sysid, pubid))


def _external_ref(
    context: str | None, base: str | None, sysid: str | None, pubid: str | None
) -> int:
    raise _Refused(f"external entity reference {sysid or pubid!r} refused")


def _protect(parser: xml.parsers.expat.XMLParserType) -> None:
    """Install the handlers that refuse every entity declaration and external reference."""
    parser.EntityDeclHandler = _entity_decl
    parser.UnparsedEntityDeclHandler = _unparsed_entity_decl
    parser.ExternalEntityRefHandler = _external_ref


class _Guard:
    """An expat parser that watches the prolog (for :func:`iterparse`) and refuses entity
    declarations; it stops at the root element, after which no declaration can occur."""

    def __init__(self, root: str | None) -> None:
        self.root = root
        self.root_tag: str | None = None
        parser = xml.parsers.expat.ParserCreate()
        _protect(parser)
        parser.StartElementHandler = self._start
        self._parser = parser
        self.done = False

    def _start(self, tag: str, attrs: object) -> None:
        self.root_tag = tag
        if self.root is not None and tag != self.root:
            raise _Refused(f"the root element is <{tag}>, expected <{self.root}>")
        raise _RootSeen

    def feed(self, data: bytes, final: bool = False) -> None:
        """Check ``data``; raises :class:`_Refused` on an entity declaration."""
        if self.done:
            return
        try:
            self._parser.Parse(data, final)
        except _RootSeen:
            self.done = True
        except xml.parsers.expat.ExpatError as exc:
            # Fail closed: the main parser would stop at the same place anyway.
            raise _Refused(f"malformed XML: {exc}") from None


StartHandler = Callable[[str, Any], None]  # attrs: dict[str, str], or list[str] when ordered
EndHandler = Callable[[str], None]


class SafeParser:
    """A callback (SAX-style) expat parser with the same protections as :func:`iterparse`.

    The fastest way through a big report: no Element objects, no event queue, flat memory.
    ``start(tag, attrs)`` is called for every start tag, ``end(tag)`` (optional) for every end
    tag; further expat handlers (``CharacterDataHandler``, ``CommentHandler``...) may be set on
    :attr:`expat`, also from inside a callback (e.g. collect text only inside one element).
    Never touch the entity handlers: they are the protection. Exceptions raised by a callback
    propagate unchanged. With ``ordered``, ``attrs`` is a list ``[name, value, name, value...]``
    in document order instead of a dict (cheaper for expat to build: a big report's hot path).
    """

    def __init__(
        self,
        name: str,
        start: StartHandler,
        end: EndHandler | None = None,
        *,
        root: str | None = None,
        max_bytes: int | None = None,
        ordered: bool = False,
    ) -> None:
        self.name = name
        self.root = root
        self.max_bytes = max_bytes
        self._start = start
        self.root_tag: str | None = None
        parser = xml.parsers.expat.ParserCreate()
        parser.buffer_text = True
        parser.ordered_attributes = ordered
        _protect(parser)
        parser.StartElementHandler = self._first_start
        if end is not None:
            parser.EndElementHandler = end
        self.expat = parser

    def _first_start(self, tag: str, attrs: Any) -> None:
        self.root_tag = tag
        if self.root is not None and tag != self.root:
            raise InvalidReport(self.name, f"the root element is <{tag}>, expected <{self.root}>")
        self.expat.StartElementHandler = self._start
        self._start(tag, attrs)

    def parse(self, stream: BinaryIO) -> None:
        """Read ``stream`` to its end; raises InvalidReport / LimitExceeded naming the input."""
        parse = self.expat.Parse
        read = stream.read
        max_bytes = self.max_bytes
        seen = 0
        try:
            while True:
                chunk = read(CHUNK_SIZE)
                if not chunk:
                    break
                seen += len(chunk)
                if max_bytes is not None and seen > max_bytes:
                    raise LimitExceeded(self.name, f"larger than the limit of {max_bytes} bytes")
                parse(chunk, False)
            parse(b"", True)
        except _Refused as exc:
            raise InvalidReport(self.name, exc.problem) from None
        except xml.parsers.expat.ExpatError as exc:
            raise InvalidReport(self.name, f"malformed XML: {exc}") from None
        if self.root is not None and self.root_tag is None:
            raise InvalidReport(self.name, f"no <{self.root}> root element")


def _malformed(name: str, exc: ET.ParseError) -> InvalidReport:
    return InvalidReport(name, f"malformed XML: {exc}")


def iterparse(
    stream: BinaryIO,
    name: str,
    events: Iterable[EventName] = ("end",),
    *,
    max_bytes: int | None = None,
    root: str | None = None,
) -> Iterator[tuple[str, Element]]:
    """Parse ``stream`` incrementally, yielding ``(event, element)`` like ``ET.iterparse``.

    ``events`` is any of "start", "end", "comment", "pi". Raises
    :class:`InvalidReport` naming ``name`` for malformed or truncated XML and for any entity
    declaration, and (when ``root`` is given) for a root element of another name, before reading
    further; :class:`LimitExceeded` when more than ``max_bytes`` are read. The caller clears
    elements as it goes (see the module docstring), which keeps memory flat.
    """
    guard = _Guard(root)
    pull: ET.XMLPullParser[Element] = ET.XMLPullParser(events=tuple(events))
    read = stream.read
    seen = 0
    try:
        while True:
            chunk = read(ITERPARSE_CHUNK_SIZE)
            if not chunk:
                break
            seen += len(chunk)
            if max_bytes is not None and seen > max_bytes:
                raise LimitExceeded(name, f"larger than the limit of {max_bytes} bytes")
            if not guard.done:
                guard.feed(chunk)
            pull.feed(chunk)
            yield from cast(Iterator[tuple[str, Element]], pull.read_events())
        if not guard.done:
            guard.feed(b"", True)
        pull.close()
        if root is not None and guard.root_tag is None:
            raise InvalidReport(name, f"no <{root}> root element")
        yield from cast(Iterator[tuple[str, Element]], pull.read_events())
    except _Refused as exc:
        raise InvalidReport(name, exc.problem) from None
    except ET.ParseError as exc:
        raise _malformed(name, exc) from None


@dataclass(frozen=True, slots=True)
class RootInfo:
    """What the start of an XML document says about itself, for format detection."""

    #: the root element's tag, or the DOCTYPE name when entities stopped the look-ahead
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    doctype_name: str | None = None
    doctype_system: str | None = None
    doctype_public: str | None = None
    #: comments before the root element
    comments: tuple[str, ...] = ()
    #: the prolog declares entities: parsing will refuse the file
    entities: bool = False


class _Peek:
    def __init__(self) -> None:
        self.tag: str | None = None
        self.attrs: dict[str, str] = {}
        self.doctype: tuple[str, str | None, str | None] | None = None
        self.comments: list[str] = []
        self.entities = False

    def doctype_decl(self, name: str, sysid: str | None, pubid: str | None, internal: int) -> None:
        self.doctype = (name, sysid, pubid)

    def entity(self, *args: object) -> None:
        self.entities = True
        raise _RootSeen

    def comment(self, text: str) -> None:
        self.comments.append(text)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        raise _RootSeen


def peek_root(head: bytes) -> RootInfo | None:
    """The root element of a document from its first bytes, or ``None`` if not XML / not found.

    Never expands an entity: the look-ahead stops at the first entity declaration and reports it
    (``entities=True``, ``tag`` = the DOCTYPE name), so that the parser can then refuse the file
    with a clear error instead of detection calling it unknown.
    """
    peek = _Peek()
    parser = xml.parsers.expat.ParserCreate()
    parser.StartDoctypeDeclHandler = peek.doctype_decl
    parser.EntityDeclHandler = peek.entity
    parser.UnparsedEntityDeclHandler = peek.entity
    parser.CommentHandler = peek.comment
    parser.StartElementHandler = peek.start
    try:
        parser.Parse(head, False)
    except _RootSeen:
        pass
    except xml.parsers.expat.ExpatError:
        return None
    name, sysid, pubid = peek.doctype or (None, None, None)
    tag = peek.tag if peek.tag is not None else (name if peek.entities else None)
    if tag is None:
        return None
    return RootInfo(
        tag=tag,
        attrs=peek.attrs,
        doctype_name=name,
        doctype_system=sysid,
        doctype_public=pubid,
        comments=tuple(peek.comments),
        entities=peek.entities,
    )


def attr_int(
    source: str, attrs: dict[str, str], key: str, where: str, default: int | None = None
) -> int:
    """A non-negative integer attribute; InvalidReport naming the file, element and value.

    ``default`` is used when the attribute is absent (None: it is required).
    """
    text = attrs.get(key)
    if text is None:
        if default is None:
            raise InvalidReport(source, f"{where}: missing attribute {key!r}")
        return default
    text = text.strip()
    body = text[1:] if text[:1] == "-" else text
    if not body.isascii() or not body.isdigit():
        raise InvalidReport(source, f"{where}: {key}={text[:40]!r} is not an integer")
    value = int(text)
    if value < 0:
        raise InvalidReport(source, f"{where}: negative {key} {value}")
    return value
