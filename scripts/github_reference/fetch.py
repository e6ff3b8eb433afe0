#!/usr/bin/env python3
"""Vendor the small part of GitHub's official REST and webhook descriptions that coverhub uses.

    python scripts/github_reference/fetch.py            # writes tests/data/github/
    python scripts/github_reference/fetch.py --check    # fails if the checked-in files differ

How the vendored files were made (tests never download anything; they read these files):

1. npm installs, into .cache/npm-github of the work tree (or $COVERHUB_NPM_GITHUB; nothing
   global, reused when present):
   ``@octokit/openapi-webhooks@12.1.0`` (GitHub's webhook OpenAPI) and
   ``@octokit/webhooks-examples@7.6.1`` (example payloads); ``npm pack @octokit/openapi@23.0.2``
   (29 MB tarball, 404 MB unpacked) and extracts only ``generated/api.github.com.json`` from it.
2. ``tests/data/github/rest-openapi.json``: an OpenAPI 3.0.3 document holding only the operations
   in ``OPERATIONS`` below, with every ``$ref`` resolved in place (parameters, request bodies,
   responses, headers, schemas); ``description`` strings and examples are dropped to keep it
   small. Nothing else is changed: ``nullable`` stays OpenAPI-style (the tests convert it, and
   tests/support/fake_github/spec.py names the two places where the description is wrong).
3. ``tests/data/github/rest-examples.json``: the ``components.examples`` those operations
   reference (official sample responses; the fake GitHub uses them as templates).
4. ``tests/data/github/webhooks/<event>.json``: for each event in ``WEBHOOKS``, one official
   example payload per action (for workflow_run, one linked to a pull request), and the
   official schema of each action (``$ref``s point into the file's own ``$defs``, the
   transitive closure of the webhook components).

Needs node + npm (Debian: nodejs npm) and Python 3.11+.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("COVERHUB_NPM_GITHUB", ROOT / ".cache" / "npm-github"))
OUT = ROOT / "tests" / "data" / "github"

OPENAPI = "@octokit/openapi@23.0.2"
OPENAPI_WEBHOOKS = "@octokit/openapi-webhooks@12.1.0"
WEBHOOK_EXAMPLES = "@octokit/webhooks-examples@7.6.1"

OPERATIONS = [
    "apps/get-authenticated",
    "apps/list-installations",
    "apps/get-installation",
    "apps/create-installation-access-token",
    "apps/get-repo-installation",
    "apps/list-webhook-deliveries",
    "apps/get-webhook-delivery",
    "apps/redeliver-webhook-delivery",
    "actions/list-workflow-run-artifacts",
    "actions/get-artifact",
    "actions/download-artifact",
    "actions/get-workflow-run",
    "checks/create",
    "checks/update",
    "checks/get",
    "checks/list-for-ref",
    "repos/create-commit-status",
    "repos/list-commit-statuses-for-ref",
    "issues/list-comments",
    "issues/create-comment",
    "issues/update-comment",
    "pulls/list",
    "pulls/get",
    "pulls/list-files",
    "repos/compare-commits-with-basehead",
    "repos/get-content",
    "repos/list-pull-requests-associated-with-commit",
]

# event -> actions (the official webhook key is "<event with - >-<action with - >")
WEBHOOKS = {
    "workflow_run": ["requested", "in_progress", "completed"],
    "pull_request": ["opened", "synchronize", "reopened", "closed", "edited"],
    "installation": ["created", "deleted", "suspend", "unsuspend", "new_permissions_accepted"],
    "installation_repositories": ["added", "removed"],
    "check_run": ["rerequested", "requested_action"],
    "ping": [""],
    "delete": [""],
}


def npm_fetch() -> tuple[Path, Path, Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    if not (CACHE / "package.json").exists():
        (CACHE / "package.json").write_text('{"private": true}\n')
    mods = CACHE / "node_modules" / "@octokit"
    if not (mods / "openapi-webhooks").exists() or not (mods / "webhooks-examples").exists():
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                OPENAPI_WEBHOOKS,
                WEBHOOK_EXAMPLES,
            ],
            cwd=CACHE,
            check=True,
        )
    rest = CACHE / "openapi" / "package" / "generated" / "api.github.com.json"
    if not rest.exists():
        tgz = CACHE / ("octokit-openapi-" + OPENAPI.rsplit("@", 1)[1] + ".tgz")
        if not tgz.exists():
            subprocess.run(["npm", "pack", "--loglevel=error", OPENAPI], cwd=CACHE, check=True)
        with tarfile.open(tgz) as tar:
            member = tar.getmember("package/generated/api.github.com.json")
            tar.extractall(CACHE / "openapi", members=[member], filter="data")
    return (
        rest,
        mods / "openapi-webhooks" / "generated" / "api.github.com.json",
        mods / "webhooks-examples" / "api.github.com" / "index.json",
    )


def resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def strip_schema(node: Any) -> Any:
    """Drop documentation strings and examples from a schema (keywords only, not properties)."""
    if isinstance(node, list):
        return [strip_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("example", "examples") or (key == "description" and isinstance(value, str)):
            continue
        if key == "properties":
            out[key] = {name: strip_schema(sub) for name, sub in value.items()}
        else:
            out[key] = strip_schema(value)
    return out


def deref(doc: dict[str, Any], node: Any, stack: tuple[str, ...] = ()) -> Any:
    if isinstance(node, list):
        return [deref(doc, v, stack) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if ref in stack:
            raise ValueError(f"recursive schema {ref}: cannot inline")
        return deref(doc, resolve(doc, ref), (*stack, ref))
    return {k: deref(doc, v, stack) for k, v in node.items()}


def vendor_rest(rest_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    doc = json.loads(rest_path.read_text())
    paths: dict[str, dict[str, Any]] = {}
    example_refs: set[str] = set()
    found = set()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or op.get("operationId") not in OPERATIONS:
                continue
            found.add(op["operationId"])
            kept: dict[str, Any] = {
                "operationId": op["operationId"],
                "summary": op.get("summary", ""),
                "parameters": [
                    strip_schema(deref(doc, p))
                    for p in item.get("parameters", []) + op.get("parameters", [])
                ],
                "responses": {},
            }
            if "requestBody" in op:
                kept["requestBody"] = strip_schema(deref(doc, op["requestBody"]))
            for code, resp in op["responses"].items():
                if "$ref" in resp:
                    resp = resolve(doc, resp["$ref"])
                for content in resp.get("content", {}).values():
                    for ex in content.get("examples", {}).values():
                        if "$ref" in ex:
                            example_refs.add(ex["$ref"])
                kept["responses"][code] = strip_schema(deref(doc, resp))
            paths.setdefault(path, {})[method] = kept
    missing = set(OPERATIONS) - found
    if missing:
        raise SystemExit(f"operations not in {rest_path}: {sorted(missing)}")
    info = {
        "title": "GitHub REST API: the operations coverhub uses",
        "version": doc["info"]["version"],
        "x-vendored-from": f"npm {OPENAPI} generated/api.github.com.json",
        "x-vendored-by": "scripts/github_reference/fetch.py",
    }
    openapi = {"openapi": doc["openapi"], "info": info, "paths": paths}
    examples = {ref.rsplit("/", 1)[1]: resolve(doc, ref)["value"] for ref in sorted(example_refs)}
    return openapi, examples


def schema_closure(doc: dict[str, Any], roots: list[str]) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    todo = list(roots)

    def rewrite(node: Any) -> Any:
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/components/schemas/"):
                raise ValueError(f"unexpected ref {ref}")
            todo.append(ref)
            return {"$ref": "#/$defs/" + ref.rsplit("/", 1)[1]}
        return {k: rewrite(v) for k, v in node.items()}

    while todo:
        ref = todo.pop()
        name = ref.rsplit("/", 1)[1]
        if name not in defs:
            defs[name] = None  # claim before rewriting (cycles)
            defs[name] = rewrite(strip_schema(resolve(doc, ref)))
    return dict(sorted(defs.items()))


def vendor_webhooks(schema_path: Path, examples_path: Path) -> dict[str, dict[str, Any]]:
    doc = json.loads(schema_path.read_text())
    all_examples = {e["name"]: e["examples"] for e in json.loads(examples_path.read_text())}
    out = {}
    for event, actions in WEBHOOKS.items():
        schemas: dict[str, Any] = {}
        roots = []
        examples: dict[str, Any] = {}
        for action in actions:
            key = "-".join(p for p in (event.replace("_", "-"), action.replace("_", "-")) if p)
            body = doc["webhooks"][key]["post"]["requestBody"]["content"]["application/json"]
            ref = body["schema"]["$ref"]
            roots.append(ref)
            label = action or event
            schemas[label] = {"$ref": "#/$defs/" + ref.rsplit("/", 1)[1]}
            candidates = [
                e for e in all_examples.get(event, []) if e.get("action") == (action or None)
            ]
            # prefer an example whose workflow run is linked to a pull request
            candidates.sort(key=lambda e: not (e.get("workflow_run") or {}).get("pull_requests"))
            if candidates:
                examples[label] = candidates[0]
        out[event] = {
            "event": event,
            "x-vendored-from": f"npm {OPENAPI_WEBHOOKS} and {WEBHOOK_EXAMPLES}",
            "x-vendored-by": "scripts/github_reference/fetch.py",
            "examples": examples,
            "schemas": schemas,
            "$defs": schema_closure(doc, roots),
        }
    return out


def dump(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    rest_path, hooks_path, examples_path = npm_fetch()
    openapi, examples = vendor_rest(rest_path)
    files = {
        OUT / "rest-openapi.json": dump(openapi),
        OUT / "rest-examples.json": dump(examples),
    }
    for event, data in vendor_webhooks(hooks_path, examples_path).items():
        files[OUT / "webhooks" / f"{event}.json"] = dump(data)
    stale = []
    for path, text in files.items():
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"{path.relative_to(ROOT)}: {len(text.encode()) // 1024} KB")
    if stale:
        print("out of date: " + ", ".join(str(p.relative_to(ROOT)) for p in stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
