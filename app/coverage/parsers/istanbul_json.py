"""Reading Istanbul JSON files safely, and checking the values they hold.

Shared by the ``coverage-final.json`` and ``coverage-summary.json`` parsers: a bounded read, a
JSON decode that refuses NaN/Infinity and reports nesting and encoding problems as
:class:`~app.coverage.errors.InvalidReport`, and a :class:`Checker` for counts, line numbers and
objects that names the file and the place of every problem.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from app.coverage.errors import InvalidReport, LimitExceeded
from app.coverage.parsers.base import Limits

JSONObject = dict[str, Any]


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number that coverage can have")


def load_json(stream: BinaryIO, name: str, limits: Limits) -> Any:
    """The decoded document, read within ``limits.max_bytes``; bad JSON is InvalidReport."""
    data = stream.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise LimitExceeded(name, f"input exceeds {limits.max_bytes} bytes")
    try:
        return json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidReport(name, "JSON nested too deeply") from None
    except UnicodeDecodeError:
        raise InvalidReport(name, "not valid UTF-8 JSON") from None
    except ValueError as exc:  # json.JSONDecodeError, NaN/Infinity, giant integers
        raise InvalidReport(name, f"invalid JSON: {exc}") from None


def head_object_keys(head: bytes) -> str:
    """The head of a file as text for sniffing (BOM and leading blanks dropped)."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().decode("utf-8", "replace")


class Checker:
    """Checks the values of one file, naming the file and the place of a problem."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits

    def invalid(self, where: str, problem: str) -> InvalidReport:
        return InvalidReport(self.name, f"{where}: {problem}")

    def count(self, value: object, where: str) -> int:
        if type(value) is not int:
            raise self.invalid(where, f"count must be a non-negative integer, not {value!r:.40}")
        if value < 0:
            raise self.invalid(where, f"negative count {value}")
        if value > self.limits.max_count:
            raise LimitExceeded(
                self.name, f"{where}: count {value} exceeds {self.limits.max_count}"
            )
        return value

    def line(self, value: object, where: str) -> int:
        if type(value) is not int:
            raise self.invalid(where, f"line must be an integer, not {value!r:.40}")
        if value > self.limits.max_line_number:
            raise LimitExceeded(
                self.name, f"{where}: line {value} exceeds the limit {self.limits.max_line_number}"
            )
        if value < 1:
            raise self.invalid(where, f"line {value} is not a line number")
        return value

    def obj(self, value: object, where: str) -> JSONObject:
        if not isinstance(value, dict):
            raise self.invalid(where, "must be a JSON object")
        return value


def start_line(entry: object) -> object:
    """``x.start.line`` of a location, or a sentinel the checker rejects."""
    if isinstance(entry, dict):
        start = entry.get("start")
        if isinstance(start, dict):
            return start.get("line")
    return None
