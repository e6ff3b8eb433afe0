"""The sticky comment: golden renderings, escaping, size budget, on-change decisions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from feedback_kit import fc, links, make, patch, report
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.coverage import percent
from app.feedback import comment
from app.feedback.comment import Action, FlagResult
from app.feedback.gates import evaluate
from app.feedback.inputs import BaseChoice, BaseRule, FeedbackInput
from app.feedback.rows import rows
from app.repoconfig import CommentConfig, Gate, Gates

GOLD = Path(__file__).parents[2] / "gold" / "comments"
DIGEST = re.compile(r"<!-- coverhub:digest [0-9a-f]{16} -->")


def full(n: int, missed: tuple[int, ...] = ()) -> dict[int, int]:
    return {line: 0 if line in missed else 1 for line in range(1, n + 1)}


def pass_single_flag() -> list[FlagResult]:
    head = report([fc("app/a.py", full(10, (10,))), fc("app/b.py", full(10))])
    base = report([fc("app/a.py", full(8, (8,))), fc("app/b.py", full(10))])
    inp = make(head, base, patch_cov=patch([("app/a.py", 2, [10])]), changed=["app/a.py"])
    gates = Gates(project=Gate(target=90, max_drop=1), patch=Gate(target=50))
    return [FlagResult(inp, evaluate(inp, gates))]


def fail_nearest_ancestor_escaping() -> list[FlagResult]:
    go = {"fmt": "gocover", "unit": "statements", "rule": percent.GO}
    head = report(
        [
            fc("web/<script>.go", {1: 1, 2: 1, 3: 0, 4: 0}),
            fc("pipe|name.go", full(6, (4, 5, 6))),
            fc("lib/ok.go", full(10)),
        ],
        **go,  # type: ignore[arg-type]
    )
    base = report([fc("pipe|name.go", full(3)), fc("lib/ok.go", full(10))], **go)  # type: ignore[arg-type]
    inp = make(
        head,
        base,
        choice=BaseChoice(BaseRule.NEAREST_ANCESTOR, "abc1234" + "f" * 33, behind=3),
        patch_cov=patch([("pipe|name.go", 3, [4, 5, 6]), ("web/<script>.go", 4, [3, 4])]),
        unpatched=["assets/logo.png"],
        changed=["web/<script>.go", "pipe|name.go", "assets/logo.png"],
        link=links(files=False),
    )
    gates = Gates(project=Gate(target=80), patch=Gate(target=90))
    return [FlagResult(inp, evaluate(inp, gates))]


def multi_flag_no_base() -> list[FlagResult]:
    gates = Gates(
        project=Gate(target=60, max_drop=2), flags={"integration": (Gate(target=30), Gate())}
    )
    out = []
    for flag, hits in [("unit", full(3)), ("integration", full(3, (2, 3)))]:
        head = report([fc("src/a.c", hits)], fmt="lcov", unit="lines", rule=percent.LCOV)
        inp = make(
            head, flag=flag, patch_cov=patch(not_measured=["README.md"]), changed=["README.md"]
        )
        out.append(FlagResult(inp, evaluate(inp, gates)))
    return out


SCENARIOS = {
    "pass_single_flag": pass_single_flag,
    "fail_nearest_ancestor_escaping": fail_nearest_ancestor_escaping,
    "multi_flag_no_base": multi_flag_no_base,
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_golden(name: str) -> None:
    body = comment.render(SCENARIOS[name](), CommentConfig()).body
    got = DIGEST.sub("<!-- coverhub:digest <digest> -->", body)
    assert got == (GOLD / f"{name}.md").read_text(encoding="utf-8")


def test_marker_and_digest_lead_the_body() -> None:
    rendered = comment.render(pass_single_flag(), CommentConfig())
    assert comment.is_sticky(rendered.body)
    assert comment.digest_of(rendered.body) == rendered.digest
    assert not comment.is_sticky("I quote <!-- coverhub:sticky --> here")


def big_pr(files: int, name: str = "pkg/module_{i}.py") -> FeedbackInput:
    paths = [name.format(i=i) for i in range(files)]
    head = report([fc(p, full(40, tuple(range(1, 41, 3)))) for p in paths])
    base = report([fc(p, full(40, tuple(range(1, 41, 4)))) for p in paths])
    missing = list(range(1, 41, 3))
    return make(
        head,
        base,
        patch_cov=patch([(p, 40, missing) for p in paths]),
        changed=paths,
    )


def test_a_5000_file_pr_fits_the_budget() -> None:
    inp = big_pr(5000)
    verdict = evaluate(inp, Gates(project=Gate(target=90), patch=Gate(target=90)))
    rendered = comment.render([FlagResult(inp, verdict)], CommentConfig(max_files=500))
    assert len(rendered.body) <= comment.BUDGET < comment.MAX_BODY
    assert comment.is_sticky(rendered.body)
    assert "❌ **project target 90%**" in rendered.body
    assert rendered.body.count("<details>") == rendered.body.count("</details>")


def test_max_files_caps_the_table_largest_impact_first() -> None:
    head = report([fc("small.py", full(10, (1,))), fc("large.py", full(10, (1, 2, 3, 4)))])
    base = report([fc("small.py", full(10)), fc("large.py", full(10))])
    inp = make(head, base, changed=["small.py", "large.py"])
    body = comment.render(
        [FlagResult(inp, evaluate(inp, Gates()))], CommentConfig(max_files=1)
    ).body
    assert "| [large.py](" in body and "| [small.py](" not in body
    assert "and 1 more file ([full report](" in body


def test_hostile_file_names_do_not_break_the_table() -> None:
    names = ["<script>alert(1)</script>.py", "a|b|c.py", "x\n| injected | row |.py", "@admin.py"]
    head = report([fc(n, full(4, (4,))) for n in names])
    inp = make(head, patch_cov=patch([(n, 4, [4]) for n in names]), changed=names)
    body = comment.render([FlagResult(inp, evaluate(inp, Gates()))], CommentConfig()).body
    rows = [line for line in body.splitlines() if line.startswith("| [")]
    assert len(rows) == 4
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 5
    assert "<script>" not in body and "@admin" not in body


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.text(min_size=1, max_size=300), min_size=1, max_size=40, unique=True),
    st.integers(min_value=1_000, max_value=20_000),
    st.integers(min_value=0, max_value=500),
)
def test_the_comment_never_exceeds_the_budget(
    names: list[str], budget: int, max_files: int
) -> None:
    head = report([fc(n, full(30, tuple(range(1, 31, 2)))) for n in names])
    inp = make(
        head, patch_cov=patch([(n, 30, list(range(1, 31, 2))) for n in names]), changed=names
    )
    rendered = comment.render(
        [FlagResult(inp, evaluate(inp, Gates(patch=Gate(target=80))))],
        CommentConfig(max_files=max_files),
        budget=budget,
    )
    assert len(rendered.body) <= budget
    assert rendered.body.startswith(comment.MARKER)


def _decide(when: str, previous: str | None, results: list[FlagResult] | None = None):  # type: ignore[no-untyped-def]
    rendered = comment.render(results or pass_single_flag(), CommentConfig(when=when))
    return comment.decide(when, rendered, previous), rendered


def test_decisions() -> None:
    decision, rendered = _decide("always", None)
    assert decision.action is Action.CREATE
    assert _decide("always", rendered.body)[0].action is Action.SKIP
    assert _decide("always", rendered.body + "edited")[0].action is Action.UPDATE
    assert _decide("never", None)[0].action is Action.SKIP
    assert _decide("never", rendered.body + "x")[0].action is Action.SKIP


def test_on_change_with_nothing_changed_posts_nothing() -> None:
    _, first = _decide("on_change", None)
    # the next push: same figures, another head commit and base: same digest, no update
    again = pass_single_flag()
    moved = [
        FlagResult(
            make(
                r.inp.head,
                r.inp.base,
                choice=BaseChoice(BaseRule.MERGE_BASE, "f" * 40),
                patch_cov=r.inp.patch,
                changed=sorted(r.inp.changed_paths),
            ),
            r.verdict,
        )
        for r in again
    ]
    decision, second = _decide("on_change", first.body, moved)
    assert second.body != first.body
    assert decision.action is Action.SKIP
    assert decision.reason == "nothing changed since the last comment"
    changed = fail_nearest_ancestor_escaping()
    assert _decide("on_change", first.body, changed)[0].action is Action.UPDATE


def test_on_change_without_a_prior_comment_needs_something_to_say() -> None:
    same = report([fc("a.py", full(5))])
    quiet = make(same, same, patch_cov=patch(), changed=["docs/x.md"])
    decision, _ = _decide("on_change", None, [FlagResult(quiet, evaluate(quiet, Gates()))])
    assert decision.action is Action.SKIP
    assert _decide("on_change", None)[0].action is Action.CREATE


def test_pushes_get_no_comment() -> None:
    inp = make(report([fc("a.py", full(2))]), pr=None, push=True)
    decision, _ = _decide("always", None, [FlagResult(inp, evaluate(inp, Gates()))])
    assert decision.action is Action.SKIP


def test_rows_show_removed_renamed_and_indirect_files() -> None:
    head = report(
        [fc("new_name.py", full(4, (4,))), fc("elsewhere.py", full(4, (1, 2))), fc("t.py", full(2))]
    )
    base = report(
        [
            fc("old_name.py", full(4, (4,))),
            fc("elsewhere.py", full(4)),
            fc("gone.py", full(2, (2,))),
        ]
    )
    inp = FeedbackInput.build(
        head_sha="h" * 40,
        head=head,
        base=base,
        base_choice=BaseChoice(BaseRule.MERGE_BASE, "b" * 40),
        links=links(),
        changed_paths=["new_name.py", "old_name.py", "gone.py", "t.py"],
        renames={"new_name.py": "old_name.py"},
    )
    got = {r.path: (r.coverage, r.change, r.indirect, r.renamed_from) for r in rows(inp)}
    assert got == {
        "elsewhere.py": ("50.0%", "-50.0%", True, None),
        "gone.py": ("removed", "was 50.0%", False, None),
        "new_name.py": ("75.0%", "±0.0%", False, "old_name.py"),
        "t.py": ("100.0%", "new", False, None),
    }
    assert rows(inp)[0].path == "elsewhere.py"  # two more misses: largest impact
    body = comment.render([FlagResult(inp, evaluate(inp, Gates()))], CommentConfig()).body
    assert "(renamed from old\\_name.py)" in body
    assert "*(indirect)*" in body


def test_sections_can_be_chosen() -> None:
    results = pass_single_flag()
    body = comment.render(results, CommentConfig(sections=("gates",))).body
    assert "**Gates**" in body
    assert "<details>" not in body and "| **Total** |" not in body
    body = comment.render(results, CommentConfig(sections=("files",), max_files=0)).body
    assert "Changed files (1)" in body and "| File |" not in body
    assert "and 1 more file" in body
