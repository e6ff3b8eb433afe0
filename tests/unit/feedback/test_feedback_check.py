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
        check.ExternalId(9_000_000_001, "unit", 42, attempt=3),
        check.ExternalId(1, "odd:name with spaces", None, attempt=2),
        check.ExternalId(2**63 - 1, "x" * 100, 2**63 - 1, attempt=9_999_999_999),
    ],
)
def test_external_id_round_trip(ext: check.ExternalId) -> None:
    text = ext.encode()
    assert len(text.encode()) <= check.MAX_EXTERNAL_ID
    assert check.ExternalId.decode(text) == ext


def test_external_id_layout() -> None:
    assert check.ExternalId(5, "default", 7, attempt=2).encode() == "coverhub:2:5:2:7:default"
    assert check.ExternalId(5).encode() == "coverhub:2:5:1::default"


def flag_of_bytes(size: int) -> str:
    """A flag of exactly ``size`` UTF-8 bytes in at most 100 characters (4-byte emoji)."""
    emoji, rest = divmod(size, 4)
    return "\N{GRINNING FACE}" * emoji + "a" * rest


def test_external_id_at_the_length_limit_keeps_the_flag() -> None:
    head = "coverhub:2:123:4:56:"
    flag = flag_of_bytes(check.MAX_EXTERNAL_ID - len(head))
    assert len(flag) <= 100
    ext = check.ExternalId(123, flag, 56, attempt=4)
    text = ext.encode()
    assert len(text.encode()) == check.MAX_EXTERNAL_ID
    assert check.ExternalId.decode(text) == ext


def test_external_id_past_the_length_limit_leaves_the_flag_out_keeps_the_run() -> None:
    head = "coverhub:2:123:4:56:"
    flag = flag_of_bytes(check.MAX_EXTERNAL_ID - len(head) + 1)
    text = check.ExternalId(123, flag, 56, attempt=4).encode()
    assert text == head
    assert check.ExternalId.decode(text) == check.ExternalId(123, None, 56, attempt=4)
    # the longest possible flag (100 four-byte characters) and the largest numbers still fit
    worst = check.ExternalId(2**63 - 1, flag_of_bytes(400), 2**63 - 1, attempt=9_999_999_999)
    assert len(worst.encode().encode()) <= check.MAX_EXTERNAL_ID
    assert check.ExternalId.decode(worst.encode()) == dataclasses.replace(worst, flag=None)


@pytest.mark.parametrize(
    ("text", "run_id", "attempt"),
    [
        ('{"run_id":30433642,"attempt":2}', 30433642, 2),
        ('{"run_id": 7}', 7, 1),
        ('{"run_id":7,"attempt":null}', 7, 1),
    ],
)
def test_external_id_reads_the_earlier_json_form(text: str, run_id: int, attempt: int) -> None:
    assert check.ExternalId.decode(text) == check.ExternalId(run_id, None, None, attempt)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "coverhub:1:1::default",  # a layout never written by a release
        "coverhub:2:x:1::default",
        "coverhub:2:1:0::default",  # attempts start at 1
        "coverhub:2:1:1:default",  # a field missing
        "coverhub:2:1:1::" + "x" * 101,
        "other",
        "42",
        '{"run_id": "7"}',
        '{"run_id": true}',
        '{"run_id": -1}',
        '{"attempt": 1}',
        '["run_id"]',
        "{not json",
    ],
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
    assert first["external_id"] == "coverhub:2:5:1:7:default"
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


def test_errored_body() -> None:
    body = check.errored("coverhub", HEAD_SHA, "artifact coverage.xml expired (410)", "x" * 70_000)
    assert body["conclusion"] == "failure"
    assert body["output"]["title"].startswith("Coverage could not be processed")
    assert len(body["output"]["summary"]) <= check.MAX_SUMMARY
