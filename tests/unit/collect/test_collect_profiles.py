"""Answers of coverage endpoints: decoding, goverage de-inflation, merging, targets, CLI errors."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from app.collect.client import target_of
from app.collect.collector import targets_of
from app.collect.profiles import BadAnswer, deinflate, merge_services, parse_answer, read_answer
from app.collect.skip import compile_skips
from app.coverage.model import CoverageReport

HEAD = "example.com/m/main.go:3.13,5.2 2 {a}\nexample.com/m/w.go:7.2,8.10 1 {b}\n"


def profile(mode: str, a: int, b: int, newline: bool = True) -> bytes:
    text = f"mode: {mode}\n" + HEAD.format(a=a, b=b)
    return (text if newline else text.rstrip("\n")).encode()


def counts(report: CoverageReport) -> dict[str, list[int]]:
    return {p: [b.count for b in f.blocks or ()] for p, f in report.files.items()}


def test_goverage_answer_without_trailing_newline() -> None:
    report = parse_answer(profile("atomic", 1, 4, newline=False), "svc")
    assert counts(report) == {"example.com/m/main.go": [1], "example.com/m/w.go": [4]}


def test_goc_v2_json_is_unwrapped_and_errors_named() -> None:
    body = json.dumps({"profile": profile("count", 2, 0).decode()}).encode()
    assert counts(parse_answer(body, "svc"))["example.com/m/main.go"] == [2]
    with pytest.raises(BadAnswer, match="the service answered an error: no agent"):
        parse_answer(b'{"error": "no agent"}', "svc")


def test_skip_applies_to_answers() -> None:
    report, document = read_answer(profile("atomic", 1, 1), "svc", compile_skips([r"w\.go$"]))
    assert list(report.files) == ["example.com/m/main.go"] and document is None


def test_accumulated_answers_are_deinflated() -> None:
    # goverage: S1 = (1, 4) at scrape 1, S2 = (1, 6) at scrape 2; answers R1 = S1, R2 = S1 + S2
    r1 = parse_answer(profile("atomic", 1, 4), "svc")
    r2 = parse_answer(profile("atomic", 2, 10), "svc")
    result = deinflate(r1, r2, "svc")
    assert result.accumulating
    assert counts(result.report) == {"example.com/m/main.go": [1], "example.com/m/w.go": [6]}


def test_non_accumulating_answers_are_kept() -> None:
    # goc: T1 = (1, 4), T2 = (1, 6): the start-up block did not grow, T2 is the truth
    t1 = parse_answer(profile("count", 1, 4), "svc")
    t2 = parse_answer(profile("count", 1, 6), "svc")
    assert not deinflate(t1, t2, "svc").accumulating
    assert counts(deinflate(t1, t2, "svc").report)["example.com/m/w.go"] == [6]
    # a restart between the scrapes: counts went down, the second answer is kept
    restarted = parse_answer(profile("count", 1, 0), "svc")
    assert deinflate(t2, restarted, "svc").report is restarted
    # set mode never inflates
    s = parse_answer(profile("set", 1, 1), "svc")
    assert deinflate(s, s, "svc").report is s


def test_mixed_modes_merge_as_hit_miss() -> None:
    merged = merge_services(
        [parse_answer(profile("atomic", 5, 0), "a"), parse_answer(profile("set", 0, 1), "b")]
    )
    assert merged.mode == "set"
    assert counts(merged) == {"example.com/m/main.go": [1], "example.com/m/w.go": [1]}
    summed = merge_services(
        [parse_answer(profile("atomic", 5, 0), "a"), parse_answer(profile("atomic", 2, 3), "b")]
    )
    assert counts(summed) == {"example.com/m/main.go": [7], "example.com/m/w.go": [3]}


def test_targets() -> None:
    targets, dups = targets_of(
        ["http://Host:7777", "http://host:7777/", "http://host:7777/v1/cover/profile", "http://b/"]
    )
    assert [t.url for t in targets] == [
        "http://host:7777/v1/cover/profile",
        "http://b/v1/cover/profile",
    ]
    assert dups == ["http://host:7777/", "http://host:7777/v1/cover/profile"]
    assert target_of("https://goc:7777/v2/cover/profile").method == "GET"
    assert target_of("http://svc/v1/cover/profile").method == "POST"
    with pytest.raises(ValueError, match="not an http"):
        target_of("ftp://svc")


def run(*argv: str) -> tuple[int, str]:
    from app.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["collect", *argv])
    return code, err.getvalue()


def test_upload_needs_its_target_before_anything_is_scraped() -> None:
    code, err = run("http://127.0.0.1:1", "--upload", "--url", "https://coverhub.example")
    assert code == 1
    assert err.strip() == ("coverhub collect: missing --repo, --sha, --token (needed to upload)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeout", "0"], "--timeout must be more than 0"),
        (["--retries", "11"], "--retries must be between 0 and 10"),
        (["--skip", "(?=x)"], "lookahead/lookbehind are not supported"),
    ],
)
def test_bad_arguments(args: list[str], message: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, err = run("http://127.0.0.1:1", *args, "-o", str(tmp_path / "o"))
    assert code == 1 and message in err
    assert not (tmp_path / "o").exists()


def test_bad_url() -> None:
    code, err = run("svc:7777", "-o", "-")
    assert code == 1 and "'svc:7777' is not an http(s) URL" in err
