"""A pull request's files (``pulls/{n}/files``) as a diff: what has no usable patch is "not
measured", and one odd file never costs the pull request its whole feedback."""

from __future__ import annotations

from typing import Any

from app.services.github_feedback_inputs import files_to_diff


def entry(name: str, patch: str | None, status: str = "modified", **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"filename": name, "status": status, "changes": 1, **extra}
    if patch is not None:
        item["patch"] = patch
    return item


def test_patched_files_become_the_diff_and_the_rest_is_not_measured() -> None:
    diff, unpatched = files_to_diff(
        [
            entry("a.py", "@@ -1,1 +1,2 @@\n x\n+y\n"),
            entry("new.py", "@@ -0,0 +1,2 @@\n+a\n+b", status="added"),
            entry("logo.png", None, status="added"),  # binary: GitHub sends no patch
            entry("gone.py", None, status="removed"),
            entry("moved.py", None, status="renamed", previous_filename="old.py", changes=0),
        ]
    )
    assert diff.added_lines() == {"a.py": (2,), "new.py": (1, 2)}
    assert unpatched == ("logo.png",)


def test_a_patch_that_does_not_parse_is_not_measured_and_the_others_still_count() -> None:
    diff, unpatched = files_to_diff(
        [
            entry("a.py", "@@ -1,1 +1,2 @@\n x\n+y\n"),
            entry("cut.py", "@@ -1,1 +1,40 @@\n x\n+y\n"),  # ends inside its hunk
            entry("b.py", "@@ -3,0 +4,1 @@\n+z\n"),
        ]
    )
    assert diff.added_lines() == {"a.py": (2,), "b.py": (4,)}
    assert unpatched == ("cut.py",)
