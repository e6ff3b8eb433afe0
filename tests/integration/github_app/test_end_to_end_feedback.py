"""PR feedback as production runs it, with numbers from the real tools.

A real git repository; coverage.py measures its base commit on ``main`` and the head of a
feature branch (``coverage xml``, with branches); ``coverage report`` gives each total and
diff-cover gives the patch coverage of ``git diff main...feature``. Then ``coverhub serve`` and
``coverhub worker`` (separate processes on PostgreSQL, Redis and the S3 server) get signed
deliveries: the push to main, then the pull request's run. What the fake GitHub ends up holding
is checked against those tools: the check run, both statuses, and exactly one comment.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.integration.github_app.conftest import start_production
from tests.support.fake_github import FakeGitHub
from tests.support.fake_github.render_pulls import diff_entry
from tests.support.gitrepo import run, write
from tests.support.processes import Proc

pytestmark = pytest.mark.slow

T = TypeVar("T")

BASE_FILES = {
    ".coveragerc": "[run]\nbranch = True\nrelative_files = True\n",
    "pkg/__init__.py": "",
    "pkg/shapes.py": (
        "def area(kind, a, b=None):\n"
        "    if kind == 'square':\n"
        "        return a * a\n"
        "    if kind == 'rect':\n"
        "        return a * b\n"
        "    raise ValueError(kind)\n"
        "\n"
        "\n"
        "def perimeter(kind, a, b=None):\n"
        "    if kind == 'square':\n"
        "        return 4 * a\n"
        "    return 2 * (a + b)\n"
    ),
    "run.py": (
        "from pkg import shapes\n"
        "shapes.area('square', 2)\n"
        "shapes.area('rect', 2, 3)\n"
        "shapes.perimeter('square', 2)\n"
    ),
}

HEAD_FILES = {
    "pkg/shapes.py": (
        "def area(kind, a, b=None):\n"
        "    if kind == 'square':\n"
        "        return a * a\n"
        "    if kind == 'rect':\n"
        "        return a * b\n"
        "    if kind == 'triangle':\n"
        "        return a * b / 2\n"
        "    raise ValueError(kind)\n"
        "\n"
        "\n"
        "def perimeter(kind, a, b=None):\n"
        "    if kind == 'square':\n"
        "        return 4 * a\n"
        "    return 2 * (a + b)\n"
        "\n"
        "\n"
        "def describe(kind):\n"
        "    if kind == 'square':\n"
        "        return 'four equal sides'\n"
        "    if kind == 'rect':\n"
        "        return 'four sides'\n"
        "    return 'unknown'\n"
    ),
    "pkg/units.py": (
        "def to_cm(mm):\n"
        "    return mm / 10\n"
        "\n"
        "\n"
        "def to_m(mm):\n"
        "    if mm < 0:\n"
        "        raise ValueError(mm)\n"
        "    return mm / 1000\n"
    ),
    "run.py": (
        "from pkg import shapes, units\n"
        "shapes.area('square', 2)\n"
        "shapes.area('rect', 2, 3)\n"
        "shapes.area('triangle', 2, 3)\n"
        "shapes.perimeter('square', 2)\n"
        "shapes.describe('square')\n"
        "units.to_cm(25)\n"
    ),
}


def measure(repo: Path, name: str) -> tuple[bytes, str]:
    """coverage.py on the checked-out commit: its XML and its ``coverage report`` total."""
    py = sys.executable
    run(repo, py, "-m", "coverage", "erase")
    run(repo, py, "-m", "coverage", "run", "run.py")
    run(repo, py, "-m", "coverage", "xml", "-o", name)
    total = run(repo, py, "-m", "coverage", "report", "--format=total").strip()
    return (repo / name).read_bytes(), total


def per_file_patches(diff: str) -> list[dict[str, Any]]:
    """``git diff`` output as GitHub's ``pulls/{n}/files`` entries (each patch from its @@)."""
    entries = []
    for chunk in re.split(r"^diff --git ", diff, flags=re.M)[1:]:
        name = re.search(r"^\+\+\+ b/(.+)$", chunk, flags=re.M)
        assert name is not None, chunk
        patch = chunk[chunk.index("\n@@") + 1 :].rstrip("\n")
        status = "added" if "\nnew file mode" in chunk else "modified"
        entries.append(diff_entry(name[1], patch, status=status, repo="octo-org/shapes"))
    return entries


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    repo = tmp_path_factory.mktemp("e2e") / "shapes"
    repo.mkdir()
    run(repo, "git", "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text(".coverage*\n*.xml\n*.json\n")
    write(repo, BASE_FILES)
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-qm", "base")
    base_sha = run(repo, "git", "rev-parse", "HEAD").strip()
    base_xml, base_total = measure(repo, "base.xml")
    run(repo, "git", "checkout", "-qb", "feature")
    write(repo, HEAD_FILES)
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-qm", "triangles, descriptions, units")
    head_sha = run(repo, "git", "rev-parse", "HEAD").strip()
    head_xml, head_total = measure(repo, "head.xml")
    diff_cover = Path(sys.executable).parent / "diff-cover"
    run(repo, str(diff_cover), "head.xml", "--compare-branch=main", "--format", "json:dc.json")
    report = json.loads((repo / "dc.json").read_text())
    return {
        "base_sha": base_sha,
        "head_sha": head_sha,
        "base_xml": base_xml,
        "head_xml": head_xml,
        "base_total": base_total,
        "head_total": head_total,
        "patch_lines": report["total_num_lines"],
        "patch_missing": report["total_num_violations"],
        "patch_percent": report["total_percent_covered"],
        "files": per_file_patches(run(repo, "git", "diff", "main...feature")),
    }


def wait_for(what: str, probe: Callable[[], T | None], procs: list[Proc], seconds: float = 60) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    logs = "\n".join(p.output()[-3000:] for p in procs)
    raise AssertionError(f"no {what} within {seconds} s\n{logs}")


def test_push_then_pull_request_feedback_agrees_with_coveragepy_and_diff_cover(
    measured: dict[str, Any],
    prod_env: dict[str, str],
    procs: list[Proc],
    tmp_path: Path,
    fake_github: FakeGitHub,
    fake_github_app: Any,
) -> None:
    start_production(prod_env, procs, tmp_path, fake_github, fake_github_app)
    state = fake_github.state
    base, head = measured["base_sha"], measured["head_sha"]

    repo = fake_github.install("octo-org/shapes")
    push = state.add_workflow_run(repo, head_sha=base, event="push", head_branch="main")
    state.add_artifact(push, "coverage", {"coverage.xml": measured["base_xml"]})
    for action in ("requested", "completed"):
        delivered = fake_github.hooks.deliver(
            "workflow_run", fake_github.hooks.payloads.workflow_run(push, action)
        )
        assert delivered.status_code == 202, delivered
    pushed = wait_for(
        "completed check on the push",
        lambda: [c for c in state.checks_for(base, "coverhub") if c.data.get("conclusion")],
        procs,
    )
    assert f"{measured['base_total']}%" in pushed[-1].data["output"]["title"]
    # the statuses follow the check
    [project] = wait_for(
        "the push's status", lambda: state.statuses_for(base, "coverhub/project"), procs
    )
    assert project.description.startswith(f"{measured['base_total']}%")

    pr = state.add_pull_request(repo, head_sha=head, files=measured["files"])
    state.set_comparison(repo, "main", head, merge_base_sha=base)
    pr_run = state.add_workflow_run(repo, head_sha=head, pull_requests=[pr], event="pull_request")
    state.add_artifact(pr_run, "coverage", {"coverage.xml": measured["head_xml"]})
    delivered = fake_github.hooks.deliver(
        "workflow_run", fake_github.hooks.payloads.workflow_run(pr_run, "completed")
    )
    assert delivered.status_code == 202, delivered
    [comment] = wait_for("the PR comment", lambda: state.comments_on(repo, pr.number), procs)

    total = f"{measured['head_total']}%"  # coverage.py's TOTAL, as `coverage report` prints it
    lines, missing = measured["patch_lines"], measured["patch_missing"]
    assert lines > missing > 0  # the diff has covered and uncovered changed lines
    patch = f"{lines - missing} of {lines} changed lines"  # diff-cover's counts
    check = state.shown_check(head, "coverhub")
    assert check is not None and check.data["status"] == "completed"
    summary = check.data["output"]["summary"]
    assert total in check.data["output"]["title"] and total in summary
    assert patch in summary and base[:7] in summary
    assert len(check.annotations) >= 1  # the uncovered changed lines
    [project] = state.statuses_for(head, "coverhub/project")
    [patch_status] = state.statuses_for(head, "coverhub/patch")
    assert project.description.startswith(total) and base[:7] in project.description
    percent = measured["patch_percent"]  # diff-cover's own figure
    assert patch_status.description.startswith(f"{percent}% of {lines} changed lines covered")
    assert total in comment.body and patch in comment.body and base[:7] in comment.body
    assert len(state.comments_on(repo, pr.number)) == 1
