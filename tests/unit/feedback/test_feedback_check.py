"""The check run: name, conclusion, summary, annotations in batches of 50, external id."""

from __future__ import annotations

import dataclasses

import pytest
from feedback_kit import HEAD_SHA, fc, make, patch, report, totals_only

from app.feedback import check, texts
from app.feedback.gates import evaluate
from app.feedback.inputs import BaseChoice, BaseRule
from app.repoconfig import Gate, Gates


def many_ranges(n: int):  # type: ignore[no-untyped-def]
    """A PR whose one file has ``n`` isolated uncovered changed lines (odd lines missed)."""
    hits = {line: (line + 1) % 2 for line in range(1, 2 * n + 1)}
    head = report([fc("big.py", hits)])
    missing = [line for line in hits if hits[line] == 0]
    return make(head, patch_cov=patch([("big.py", len(hits), missing)]), changed=["big.py"])


def test_names() -> None:
    assert check.check_name() == "coverhub"
    assert check.check_name("unit") == "coverhub (unit)"


@pytest.mark.parametrize(
    "ext",
    [
        check.ExternalId(123),
        check.ExternalId(9_000_000_001, "unit", 42),
        check.ExternalId(1, "odd:name with spaces", None),
    ],
)
def test_external_id_round_trip(ext: check.ExternalId) -> None:
    text = ext.encode()
    assert len(text) <= 255
    assert check.ExternalId.decode(text) == ext


@pytest.mark.parametrize(
    "text", [None, "", "coverhub:2:1::default", "coverhub:1:x::default", "other", "coverhub:1:1::"]
)
def test_external_id_refuses_foreign_text(text: str | None) -> None:
    assert check.ExternalId.decode(text) is None


def test_ranges_merge_across_unmeasured_lines_only() -> None:
    head = report([fc("a.py", {1: 0, 2: 0, 4: 0, 5: 1, 6: 0, 10: 0})])
    inp = make(head, patch_cov=patch([("a.py", 6, [1, 2, 4, 6, 10])]), changed=["a.py"])
    notes, left_out = check.annotate(inp)
    assert left_out == 0
    assert [(a.start_line, a.end_line, a.message) for a in notes] == [
        (1, 4, "Added lines 1-2, 4 are not covered by tests."),
        (6, 10, "Added lines 6, 10 are not covered by tests."),
    ]
    assert notes[0].to_json()["annotation_level"] == "warning"


def test_more_than_50_annotations_go_in_batches() -> None:
    inp = many_ranges(120)
    run = check.check_run(inp, evaluate(inp, Gates()), run_id=5)
    bodies = run.requests()
    assert [len(b["output"].get("annotations", [])) for b in bodies] == [50, 50, 20]
    first = bodies[0]
    assert first["name"] == "coverhub"
    assert first["head_sha"] == HEAD_SHA
    assert first["conclusion"] == "success"
    assert first["external_id"] == "coverhub:1:5:7:default"
    assert first["actions"][0]["label"] == "Re-run coverage"
    assert all(set(b["output"]) >= {"title", "summary"} for b in bodies)
    assert "left out" not in run.summary


def test_annotations_are_capped_with_a_note() -> None:
    inp = many_ranges(600)
    run = check.check_run(inp, evaluate(inp, Gates()))
    assert len(run.annotations) == 500
    assert len(run.requests()) == 10
    assert "100 annotations left out (at most 500 are shown)." in run.summary


def test_no_annotations_is_one_request() -> None:
    inp = make(totals_only(1, 1))
    (body,) = check.check_run(inp, evaluate(inp, Gates())).requests()
    assert "annotations" not in body["output"]
    assert "external_id" not in body


def test_summary_says_what_and_why() -> None:
    choice = BaseChoice(BaseRule.NEAREST_ANCESTOR, "abc1234" + "0" * 33, behind=3)
    head = report([fc("a.py", {1: 1, 2: 0, 3: 1})])
    base = report([fc("a.py", {1: 1, 2: 1})])
    inp = make(head, base, choice=choice, patch_cov=patch([("a.py", 2, [2])]), changed=["a.py"])
    verdict = evaluate(inp, Gates(project=Gate(target=80), patch=Gate(target=40)))
    run = check.check_run(inp, verdict)
    assert run.conclusion == "failure"
    assert run.title == "66.7% (-33.3%) · patch 50% · failed: project target 80%"
    for phrase in [
        "| **Total** | 66.7% (coveragepy, statements: 2 of 3) |",
        "| **Unified line metric** | 66.66% (hits / (hits + partials + misses)) |",
        "| **Change** | -33.3% (unified -33.3%) |",
        "3 commits behind the merge base, which had none",
        "| **Patch** | 50% (1 of 2 changed lines covered) |",
        "- ❌ **project target 80%**: 66.7% is below the target 80%",
        "- ✅ **patch target 40%**: 50.0% of 2 changed lines meets the target 40%",
        "[Full report](https://cov.example/gh/o/r/1234567/default)",
    ]:
        assert phrase in run.summary


def test_informational_is_neutral_and_flag_named() -> None:
    inp = make(totals_only(1, 10), flag="e2e")
    run = check.check_run(inp, evaluate(inp, Gates(informational=True, project=Gate(target=50))))
    assert run.conclusion == "neutral"
    assert run.name == "coverhub (e2e)"
    assert "Informational mode" in run.summary


def test_config_problems_are_reported() -> None:
    inp = make(totals_only(1, 2))
    inp = dataclasses.replace(inp, config_problems=("line 3: gates.x: unknown key",))
    summary = check.check_run(inp, evaluate(inp, Gates())).summary
    assert "Configuration problems (defaults apply)" in summary
    assert "line 3\\: gates.x\\: unknown key" in summary


def test_fit_cuts_at_a_line_and_closes_details() -> None:
    text = "<details><summary>s</summary>\n\n" + "row\n" * 30_000
    out = texts.fit(text, check.MAX_SUMMARY, check.TRUNCATED)
    assert len(out) <= check.MAX_SUMMARY
    assert out.rstrip().endswith(check.TRUNCATED)
    assert out.count("</details>") == 1
    assert texts.fit("short", 10, "note") == "short"


def test_errored_and_stuck_bodies() -> None:
    body = check.errored("coverhub", HEAD_SHA, "artifact coverage.xml expired (410)", "x" * 70_000)
    assert body["conclusion"] == "failure"
    assert body["output"]["title"].startswith("Coverage could not be processed")
    assert len(body["output"]["summary"]) <= check.MAX_SUMMARY
    stuck = check.stuck("coverhub (unit)", HEAD_SHA, 30)
    assert stuck["conclusion"] == "timed_out"
    assert "30 minutes" in stuck["output"]["title"]
