"""Unified diff parsing: real `git diff -M -U0` output, plus hand-made edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.coverage.diff import parse_diff, unquote_path
from app.coverage.errors import InvalidReport

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def git_cases():
    # Recorded with git 2.39: `git diff -M -C --no-color --no-ext-diff -U0 HEAD~1 HEAD` over a
    # commit that edits, renames, deletes, adds (binary, CRLF, unicode and spaced names too).
    return parse_diff((DATA / "git_cases.diff").read_bytes(), "git_cases.diff")


def test_modified_file_added_lines_by_hand(git_cases):
    # keep.txt: "two" -> "TWO" at line 2; "new5" inserted after old line 4 (new line 5);
    # "eleven" appended after old line 10 (new line 12, since two lines were inserted before).
    f = git_cases.file("keep.txt")
    assert f.status == "modified"
    assert f.added == (2, 5, 12)
    assert f.deleted == (2,)


def test_pure_rename_has_no_added_lines(git_cases):
    f = git_cases.file("sub/moved.txt")
    assert (f.status, f.old_path, f.added) == ("renamed", "moved.txt", ())


def test_rename_with_edit(git_cases):
    f = git_cases.file("renamed_done.txt")
    assert (f.status, f.old_path, f.added) == ("renamed", "renamed_edit.txt", (3,))
    assert git_cases.renames() == {
        "renamed_done.txt": "renamed_edit.txt",
        "sub/moved.txt": "moved.txt",
    }


def test_deleted_file_is_not_in_added_lines(git_cases):
    f = git_cases.file("deleted.txt")
    assert f.status == "deleted"
    assert "deleted.txt" not in git_cases.added_lines()
    assert "deleted.txt" in git_cases.changed_paths()


def test_new_files_quoted_unicode_crlf_and_spaces(git_cases):
    assert git_cases.file("café.py").added == (1, 2)
    assert git_cases.file("café.py").status == "added"
    assert git_cases.file("crlf.txt").added == (1, 2)
    # "--- a/with space.txt<TAB>": git ends names with spaces with a tab
    assert git_cases.file("with space.txt").added == (2,)


def test_binary_and_mode_change(git_cases):
    blob = git_cases.file("blob.bin")
    assert blob.binary and blob.added == ()
    script = git_cases.file("script.sh")
    assert (script.old_mode, script.new_mode, script.added) == ("100644", "100755", ())


def test_no_newline_marker_is_not_a_line(git_cases):
    # "no newline" (no EOL) -> "no newline\nnow more\n": the hunk is "@@ -1 +1,2 @@", "-no
    # newline", "\ No newline at end of file", "+no newline", "+now more": lines 1 and 2.
    # (diff-cover 11 counts the marker as a context line and reports 2 and 3.)
    assert git_cases.file("nonl.txt").added == (1, 2)


def test_diff_cover_compat_numbers_after_the_marker_one_too_high():
    raw = (DATA / "git_cases.diff").read_bytes()
    compat = parse_diff(raw, diff_cover_compat=True)
    assert compat.file("nonl.txt").added == (2, 3)
    assert compat.file("keep.txt").added == (2, 5, 12)


def test_copy_and_combined_diff_skipped():
    text = (
        "diff --git a/orig.py b/copy.py\n"
        "similarity index 83%\n"
        "copy from orig.py\n"
        "copy to copy.py\n"
        "index 1..2 100644\n"
        "--- a/orig.py\n"
        "+++ b/copy.py\n"
        "@@ -5,0 +6 @@\n"
        "+extra\n"
        "diff --cc conflict.py\n"
        "index 1,2..3\n"
        "--- a/conflict.py\n"
        "+++ b/conflict.py\n"
        "@@@ -1,1 -1,1 +1,2 @@@\n"
        "++added\n"
        "diff --git a/after.py b/after.py\n"
        "--- a/after.py\n"
        "+++ b/after.py\n"
        "@@ -1 +1 @@\n"
        "-a\n"
        "+b\n"
    )
    diff = parse_diff(text)
    assert [f.path for f in diff.files] == ["copy.py", "after.py"]
    copy = diff.file("copy.py")
    assert (copy.status, copy.old_path, copy.added) == ("copied", "orig.py", (6,))
    assert diff.file("after.py").added == (1,)


def test_hunk_body_lines_that_look_like_headers():
    # A removed line "-- x" shows as "--- x"; an added "++ y" as "+++ y"; a context line
    # starting with "diff --git" is content. The hunk counts say which is which.
    text = (
        "diff --git a/f.sql b/f.sql\n"
        "--- a/f.sql\n"
        "+++ b/f.sql\n"
        "@@ -1,3 +1,3 @@\n"
        "--- x\n"
        "+++ y\n"
        " diff --git a/z b/z\n"
        " plain\n"
    )
    # old 1..3: "-- x", "diff --git..", "plain"; new 1..3: "++ y", "diff --git..", "plain":
    # one line deleted and one added, both line 1; the rest is context.
    diff = parse_diff(text)
    assert diff.file("f.sql").added == (1,)
    assert diff.file("f.sql").deleted == (1,)


def test_plain_unified_diff_without_git_header():
    text = (
        "--- a/x.py\t2024-01-01\n+++ b/x.py\t2024-01-02\n@@ -1,2 +1,3 @@\n a\n+b\n c\n"
        "--- a/y.py\n+++ b/y.py\n@@ -0,0 +1 @@\n+new\n"
    )
    assert parse_diff(text).added_lines() == {"x.py": (2,), "y.py": (1,)}


def test_context_lines_count_with_default_context():
    # -U3 style hunk: new numbering starts at 10; two context lines, then 2 additions, context.
    text = (
        "diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n"
        "@@ -10,4 +10,5 @@ def f():\n  a\n  b\n-c\n+C\n+D\n  e\n"
    )
    assert parse_diff(text).file("m.py").added == (12, 13)


def test_crlf_diff_file():
    text = "diff --git a/w.py b/w.py\r\n--- a/w.py\r\n+++ b/w.py\r\n@@ -0,0 +1,2 @@\r\n+a\r\n+b\r\n"
    assert parse_diff(text).added_lines() == {"w.py": (1, 2)}


def test_form_feed_inside_a_line_does_not_split_it():
    text = "diff --git a/p.c b/p.c\n--- a/p.c\n+++ b/p.c\n@@ -0,0 +1,2 @@\n+a\x0cb\n+c\u2028d\n"
    assert parse_diff(text).file("p.c").added == (1, 2)


def test_spaces_and_b_slash_in_unquoted_names_for_a_pure_rename():
    text = (
        "diff --git a/dir b/x.py b/new dir/x.py\n"
        "similarity index 100%\n"
        "rename from dir b/x.py\n"
        "rename to new dir/x.py\n"
    )
    f = parse_diff(text).files[0]
    assert (f.path, f.old_path, f.status) == ("new dir/x.py", "dir b/x.py", "renamed")


def test_unquote_path():
    assert unquote_path('"a/caf\\303\\251 \\"q\\"\\t.py"') == 'a/café "q"\t.py'
    assert unquote_path("plain name") == "plain name"


def test_truncated_and_malformed():
    with pytest.raises(InvalidReport, match=r"pr\.diff: diff ends inside a hunk"):
        parse_diff("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n", "pr.diff")
    with pytest.raises(InvalidReport, match="line 4: malformed hunk header"):
        parse_diff("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -x +y @@\n", "pr.diff")
    with pytest.raises(InvalidReport, match="hunk before any file header"):
        parse_diff("@@ -1 +1 @@\n-a\n+b\n", "pr.diff")


def test_empty_diff():
    assert parse_diff("").files == ()
