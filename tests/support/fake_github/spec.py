"""The vendored part of GitHub's official descriptions (tests/data/github) as JSON Schema.

`scripts/github_reference/fetch.py` made the files from npm `@octokit/openapi` (REST),
`@octokit/openapi-webhooks` (webhook schemas) and `@octokit/webhooks-examples` (payloads).
OpenAPI 3.0 schemas say `nullable: true`; `to_json_schema` turns that into JSON Schema.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema

DATA = Path(__file__).resolve().parents[2] / "data" / "github"


@functools.cache
def rest_description() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "rest-openapi.json").read_text())
    return data


@functools.cache
def rest_examples() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "rest-examples.json").read_text())
    return data


def example(name: str) -> Any:
    """A deep copy of one official sample response (components.examples)."""
    return copy.deepcopy(rest_examples()[name])


@functools.cache
def webhook_file(event: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "webhooks" / f"{event}.json").read_text())
    return data


def webhook_example(event: str, action: str | None) -> dict[str, Any]:
    return copy.deepcopy(webhook_file(event)["examples"][action or event])


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: `nullable` becomes a null type or a null branch."""
    if isinstance(node, list):
        return [to_json_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key != "nullable":
            out[key] = to_json_schema(value)
    if node.get("nullable") is True:
        if "type" in out and isinstance(out["type"], str):
            out["type"] = [out["type"], "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            return {"anyOf": [out, {"type": "null"}]}
    return out


def patch_known_defects(node: Any) -> Any:
    """Fix the places where the official description disagrees with what GitHub sends.

    - `apps/list-installations` inlines the installation's `account` as `allOf: [Simple User,
      Enterprise]` (the `installation` component says `anyOf`); no object is both, and the
      official example itself fails it. Validated as `anyOf`, like the component.
    - A pull request's `head.repo` is `null` once the fork is deleted, although the schema says
      it is a repository (github/rest-api-description#1811; githubkit patches it the same way).
    """
    if isinstance(node, list):
        return [patch_known_defects(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: patch_known_defects(v) for k, v in node.items()}
    titles = [m.get("title") for m in out.get("allOf", []) if isinstance(m, dict)]
    if titles == ["Simple User", "Enterprise"]:
        out["anyOf"] = out.pop("allOf")
    head = out.get("properties", {}).get("head")
    if isinstance(head, dict) and {"ref", "sha", "repo"} <= set(head.get("properties", {})):
        head["properties"]["repo"] = {"anyOf": [head["properties"]["repo"], {"type": "null"}]}
    return out


class Operation:
    def __init__(self, method: str, path: str, op: dict[str, Any]) -> None:
        self.method = method.upper()
        self.path = path
        self.operation_id: str = op["operationId"]
        self.raw = op
        self.pattern = re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(path)) + "$")

    def response_schema(self, status: int, content_type: str = "application/json") -> Any:
        resp = self.raw["responses"].get(str(status))
        if resp is None:
            return None
        content = resp.get("content", {})
        media = content.get(content_type)
        return None if media is None else media.get("schema")

    def statuses(self) -> list[int]:
        return [int(code) for code in self.raw["responses"]]

    def request_schema(self) -> Any:
        body = self.raw.get("requestBody")
        if body is None:
            return None
        return body["content"]["application/json"]["schema"]


@functools.cache
def operations() -> dict[str, Operation]:
    ops = {}
    for path, item in rest_description()["paths"].items():
        for method, op in item.items():
            ops[op["operationId"]] = Operation(method, path, op)
    return ops


@functools.cache
def _validator(operation_id: str, kind: str, status: int = 0) -> jsonschema.Draft4Validator | None:
    op = operations()[operation_id]
    schema = op.request_schema() if kind == "request" else op.response_schema(status)
    if schema is None:
        return None
    converted = patch_known_defects(to_json_schema(schema))
    jsonschema.Draft4Validator.check_schema(converted)
    return jsonschema.Draft4Validator(converted, format_checker=jsonschema.FormatChecker())


def _messages(validator: jsonschema.Draft4Validator, instance: Any) -> list[str]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}" for e in errors]


def response_errors(operation_id: str, status: int, body: Any) -> list[str]:
    """Where `body` departs from the official schema of that response ([] when it conforms)."""
    op = operations()[operation_id]
    if str(status) not in op.raw["responses"]:
        return [f"{operation_id}: status {status} is not a documented response"]
    validator = _validator(operation_id, "response", status)
    return [] if validator is None else _messages(validator, body)


def request_errors(operation_id: str, body: Any) -> list[str]:
    validator = _validator(operation_id, "request")
    return [] if validator is None else _messages(validator, body)


@functools.cache
def _webhook_validator(event: str, action: str | None) -> jsonschema.Draft4Validator:
    data = webhook_file(event)
    schema = {**data["schemas"][action or event], "$defs": to_json_schema(data["$defs"])}
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def webhook_errors(event: str, payload: Any) -> list[str]:
    """Where a webhook payload departs from the official webhook schema of its event/action."""
    action = payload.get("action") if event != "ping" else None
    return _messages(_webhook_validator(event, action), payload)
