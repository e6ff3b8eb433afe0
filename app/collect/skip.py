"""``--skip`` patterns matched in linear time (reference/formats.md §9, regex safety).

goverage and goc match ``skipFile`` patterns with Go's ``regexp`` (RE2: linear time, no
backtracking). Python's ``re`` backtracks, so a pattern such as ``(a+)+$`` takes exponential time
on a long enough file name: a collector or an endpoint that runs user patterns through ``re`` can
be stalled by one pattern. coverhub therefore never runs skip patterns with ``re``:

* a pattern is *parsed* by Python's own regex parser (``re._parser``, the syntax users know),
  then compiled here into a Thompson NFA and run by a set-of-states simulation: time is
  O(len(text) * program size) whatever the pattern, as with RE2;
* what RE2 refuses is refused with a clear message: backreferences, lookahead/lookbehind,
  conditionals, atomic groups and possessive quantifiers; so are scoped flags ``(?i:...)`` and
  global flags other than ``(?i)``, ``(?s)``, ``(?x)`` and ``(?u)``;
* sizes are bounded: at most :data:`MAX_PATTERNS` patterns of :data:`MAX_PATTERN_CHARS`
  characters, repeat counts ``{n,m}`` up to :data:`MAX_REPEAT` (RE2's limit) and
  :data:`MAX_PROGRAM` instructions once repeats are expanded.

Matching is unanchored (Go's ``MatchString``): ``vendor/`` skips every file whose name contains
``vendor/``; use ``^``/``$`` to anchor. Patterns are matched against the file name of a profile
line (Go: the import path; Python: the path coverage.py reports).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]

MAX_PATTERNS = 64
MAX_PATTERN_CHARS = 512
MAX_REPEAT = 1000
MAX_PROGRAM = 4000

_ALLOWED_FLAGS = re.IGNORECASE | re.DOTALL | re.VERBOSE | re.UNICODE
_REFUSED = {
    C.GROUPREF: "backreferences",
    C.GROUPREF_EXISTS: "conditional groups",
    C.ASSERT: "lookahead/lookbehind",
    C.ASSERT_NOT: "lookahead/lookbehind",
    C.ATOMIC_GROUP: "atomic groups",
    C.POSSESSIVE_REPEAT: "possessive quantifiers",
}


class SkipPatternError(ValueError):
    """A ``--skip`` pattern that cannot be used; the message names the pattern."""


# Instructions: ("char", predicate, next) | ("split", a, b) | ("jmp", a) |
# ("at", kind, next) | ("match",). Indices are positions in the program list.
Instr = tuple[object, ...]
Pred = Callable[[str], bool]


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


_CATEGORIES: dict[object, Pred] = {
    C.CATEGORY_DIGIT: str.isdecimal,
    C.CATEGORY_NOT_DIGIT: lambda ch: not ch.isdecimal(),
    C.CATEGORY_SPACE: str.isspace,
    C.CATEGORY_NOT_SPACE: lambda ch: not ch.isspace(),
    C.CATEGORY_WORD: _word,
    C.CATEGORY_NOT_WORD: lambda ch: not _word(ch),
}


@dataclass
class _Compiler:
    pattern: str
    ignorecase: bool
    dotall: bool
    prog: list[Instr] = field(default_factory=list)

    def fail(self, why: str) -> SkipPatternError:
        return SkipPatternError(f"--skip {self.pattern!r}: {why}")

    def emit(self, instr: Instr) -> int:
        if len(self.prog) >= MAX_PROGRAM:
            raise self.fail(f"too large once repeats are expanded (over {MAX_PROGRAM} steps)")
        self.prog.append(instr)
        return len(self.prog) - 1

    def patch(self, index: int, instr: Instr) -> None:
        self.prog[index] = instr

    def literal(self, code: int) -> Pred:
        ch = chr(code)
        if self.ignorecase:
            folded = ch.casefold()
            return lambda c: c.casefold() == folded
        return lambda c: c == ch

    def charset(self, items: Sequence[tuple[object, object]]) -> Pred:
        negate = False
        preds: list[Pred] = []
        for op, av in items:
            if op is C.NEGATE:
                negate = True
            elif op is C.LITERAL:
                assert isinstance(av, int)
                preds.append(self.literal(av))
            elif op is C.RANGE:
                assert isinstance(av, tuple)
                preds.append(_in_range(int(av[0]), int(av[1]), self.ignorecase))
            elif op is C.CATEGORY and av in _CATEGORIES:
                preds.append(_CATEGORIES[av])
            else:
                raise self.fail(f"unsupported character class item {op}")
        if negate:
            return lambda c: not any(p(c) for p in preds)
        return lambda c: any(p(c) for p in preds)

    def seq(self, nodes: Iterable[tuple[object, object]]) -> None:
        for op, av in nodes:
            self.node(op, av)

    def node(self, op: object, av: object) -> None:
        here = len(self.prog)
        if op in _REFUSED:
            raise self.fail(f"{_REFUSED[op]} are not supported (Go's RE2 refuses them too)")
        if op is C.LITERAL:
            assert isinstance(av, int)
            self.emit(("char", self.literal(av), here + 1))
        elif op is C.NOT_LITERAL:
            assert isinstance(av, int)
            same = self.literal(av)
            self.emit(("char", lambda c: not same(c), here + 1))
        elif op is C.ANY:
            pred: Pred = (lambda c: True) if self.dotall else (lambda c: c != "\n")
            self.emit(("char", pred, here + 1))
        elif op is C.IN:
            assert isinstance(av, list)
            self.emit(("char", self.charset(av), here + 1))
        elif op is C.AT:
            self.emit(("at", av, here + 1))
        elif op is C.SUBPATTERN:
            assert isinstance(av, tuple)
            _group, add, delete, sub = av
            if add or delete:
                raise self.fail("scoped inline flags are not supported (put (?i) first)")
            self.seq(sub.data)
        elif op is C.BRANCH:
            assert isinstance(av, tuple)
            self.branch(av[1])
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            assert isinstance(av, tuple)
            low, high, sub = av
            self.repeat(low, high, sub.data)
        else:
            raise self.fail(f"unsupported construct {op}")

    def branch(self, alternatives: Sequence[P.SubPattern]) -> None:
        jumps: list[int] = []
        for index, alt in enumerate(alternatives):
            if index < len(alternatives) - 1:
                split = self.emit(("split", -1, -1))
                self.seq(alt.data)
                jumps.append(self.emit(("jmp", -1)))
                self.patch(split, ("split", split + 1, len(self.prog)))
            else:
                self.seq(alt.data)
        for j in jumps:
            self.patch(j, ("jmp", len(self.prog)))

    def repeat(self, low: int, high: int, body: Sequence[tuple[object, object]]) -> None:
        unbounded = high is C.MAXREPEAT
        if low > MAX_REPEAT or (not unbounded and high > MAX_REPEAT):
            raise self.fail(f"repeat counts above {MAX_REPEAT} are not supported (RE2's limit)")
        for _ in range(low):
            self.seq(body)
        if unbounded:
            loop = self.emit(("split", -1, -1))
            self.seq(body)
            self.emit(("jmp", loop))
            self.patch(loop, ("split", loop + 1, len(self.prog)))
            return
        splits: list[int] = []
        for _ in range(high - low):
            splits.append(self.emit(("split", -1, -1)))
            self.seq(body)
        for s in splits:
            self.patch(s, ("split", s + 1, len(self.prog)))


def _in_range(lo: int, hi: int, ignorecase: bool) -> Pred:
    if ignorecase:
        return lambda c: any(lo <= ord(x) <= hi for x in (c, c.lower(), c.upper()) if len(x) == 1)
    return lambda c: lo <= ord(c) <= hi


class SkipPattern:
    """One validated pattern; :meth:`search` tells whether it matches anywhere in a text."""

    def __init__(self, pattern: str) -> None:
        if len(pattern) > MAX_PATTERN_CHARS:
            raise SkipPatternError(
                f"--skip pattern of {len(pattern)} characters: at most {MAX_PATTERN_CHARS}"
            )
        try:
            parsed = P.parse(pattern, 0)
        except (re.error, RecursionError, OverflowError) as exc:
            raise SkipPatternError(
                f"--skip {pattern!r}: not a valid regular expression: {exc}"
            ) from None
        flags = parsed.state.flags
        if flags & ~_ALLOWED_FLAGS:
            raise SkipPatternError(f"--skip {pattern!r}: only the i, s, x and u flags are allowed")
        compiler = _Compiler(pattern, bool(flags & re.IGNORECASE), bool(flags & re.DOTALL))
        try:
            compiler.seq(parsed.data)
        except RecursionError:
            raise SkipPatternError(f"--skip {pattern!r}: nested too deeply") from None
        compiler.emit(("match",))
        self.pattern = pattern
        self._prog = compiler.prog

    def __repr__(self) -> str:
        return f"SkipPattern({self.pattern!r})"

    def search(self, text: str) -> bool:
        """Does the pattern match somewhere in ``text``? (linear time, see the module docstring)"""
        prog = self._prog
        current: list[int] = []
        seen: set[int] = set()
        for pos in range(len(text) + 1):
            if self._close(0, text, pos, current, seen):
                return True
            if pos == len(text):
                break
            ch = text[pos]
            following: list[int] = []
            seen = set()
            for index in current:
                instr = prog[index]
                pred = instr[1]
                assert callable(pred)
                if pred(ch) and self._close(instr[2], text, pos + 1, following, seen):  # type: ignore[arg-type]
                    return True
            current = following
        return False

    def _close(self, start: int, text: str, pos: int, out: list[int], seen: set[int]) -> bool:
        """Add the states reachable from ``start`` without reading; True when one is a match."""
        prog = self._prog
        stack = [start]
        while stack:
            index = stack.pop()
            if index in seen:
                continue
            seen.add(index)
            instr = prog[index]
            kind = instr[0]
            if kind == "match":
                return True
            if kind == "char":
                out.append(index)
            elif kind == "jmp":
                stack.append(instr[1])  # type: ignore[arg-type]
            elif kind == "split":
                stack.append(instr[2])  # type: ignore[arg-type]
                stack.append(instr[1])  # type: ignore[arg-type]
            elif _holds(instr[1], text, pos):
                stack.append(instr[2])  # type: ignore[arg-type]
        return False


def _holds(kind: object, text: str, pos: int) -> bool:
    if kind in (C.AT_BEGINNING, C.AT_BEGINNING_STRING):
        return pos == 0
    if kind is C.AT_END:
        return pos == len(text) or (pos == len(text) - 1 and text[pos] == "\n")
    if kind is C.AT_END_STRING:
        return pos == len(text)
    before = pos > 0 and _word(text[pos - 1])
    after = pos < len(text) and _word(text[pos])
    if kind is C.AT_BOUNDARY:
        return before != after
    if kind is C.AT_NON_BOUNDARY:
        return before == after
    return False


def compile_skips(patterns: Sequence[str]) -> tuple[SkipPattern, ...]:
    """Validate and compile ``--skip`` patterns (see the module docstring for the limits)."""
    if len(patterns) > MAX_PATTERNS:
        raise SkipPatternError(f"{len(patterns)} --skip patterns: at most {MAX_PATTERNS}")
    return tuple(SkipPattern(p) for p in patterns)


def skipped(path: str, patterns: Sequence[SkipPattern]) -> bool:
    """Is ``path`` matched by any pattern? (goverage and goc: unanchored, any of them)"""
    return any(p.search(path) for p in patterns)
