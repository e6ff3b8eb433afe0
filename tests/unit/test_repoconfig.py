"""The per-repository configuration: every key, line-numbered problems, defaults kept."""

from __future__ import annotations

import pytest

from app.repoconfig import MAX_CONFIG_BYTES, Gate, RepoConfig, parse

FULL = """\
artifacts: ["coverage*", "lcov-*"]
flags:
  unit: {artifacts: ["coverage-unit*"]}
  integration:
    artifacts: ["coverage-it*"]
    workflows: ["Integration"]
paths:
  fixes: ["/home/runner/work/app/app/::"]
  ignore: ["vendor/**"]
gates:
  informational: false
  project: {target: 80, max_drop: 1.5}
  patch: {target: "90%"}
  flags:
    integration: {project: {target: 60}}
comment:
  when: on_change
  max_files: 10
  sections: [summary, gates]
badge:
  thresholds: {90: brightgreen, 50: "#ff8800", 0: red}
  stale_days: 7
"""


def test_full_example() -> None:
    config, problems = parse(FULL)
    assert problems == []
    assert config.artifacts == ("coverage*", "lcov-*")
    assert config.flag_for("coverage-unit-3.11", "CI") == "unit"
    assert config.flag_for("coverage-it", "Integration") == "integration"
    assert config.flag_for("coverage-it", "CI") == "default"  # workflow must match too
    assert config.flag_for("coverage", "CI") == "default"
    assert config.wants_artifact("lcov-js") and not config.wants_artifact("docs")
    assert config.path_fixes == ("/home/runner/work/app/app/::",)
    assert config.gates.project == Gate(80.0, 1.5)
    assert config.gates.patch == Gate(90.0, None)
    # the flag overrides its project gate; its patch gate stays the repository's
    assert config.gates.for_flag("integration") == (Gate(60.0, None), Gate(90.0, None))
    assert config.gates.for_flag("unit") == (Gate(80.0, 1.5), Gate(90.0, None))
    assert (config.comment.when, config.comment.max_files) == ("on_change", 10)
    assert config.badge.thresholds == ((90.0, "brightgreen"), (50.0, "#ff8800"), (0.0, "red"))
    assert config.badge.stale_days == 7


def test_empty_file_is_the_defaults() -> None:
    config, problems = parse("")
    assert problems == [] and config.artifacts == ("coverage*",)
    assert config.comment.when == "always"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("artifacts: [\n", 2, "not valid YAML"),
        ("artefacts: [x]\n", 1, "artefacts: unknown key"),
        (
            "gates:\n  project:\n    target: 120\n",
            3,
            "gates.project.target: expected a number from 0 to 100",
        ),
        ("gates:\n  project:\n    target: yes\n", 3, "expected a number"),
        ("gates:\n  informational: maybe\n", 2, "expected true or false"),
        (
            "comment:\n  when: sometimes\n",
            2,
            "comment.when: expected one of always, on_change, never",
        ),
        ("comment:\n  max_files: 501\n", 2, "expected a number from 0 to 500"),
        ("comment:\n  sections: [summary, gossip]\n", 2, "sections are summary, files"),
        ("badge:\n  thresholds: {90: chartreuse-ish}\n", 2, "chartreuse-ish"),
        ("badge:\n  stale_days: 0\n", 2, "from 1 to 3650"),
        ("paths:\n  fixes: [nofix]\n", 2, "each fix is 'before::after'"),
        ("flags:\n  a/b: {}\n", 2, "flag names are 1-100 characters"),
        ("flags:\n  unit: {artifact: [x]}\n", 2, "flags.unit.artifact: unknown key"),
        ("artifacts: 5\nartifacts: [x]\n", 2, "artifacts: given twice"),
        ("- just\n- a list\n", 1, "expected a mapping of keys"),
    ],
)
def test_problems_name_the_line(text: str, line: int, message: str) -> None:
    _config, problems = parse(text)
    assert problems, text
    assert problems[0].line == line, problems
    assert message in problems[0].message, problems


def test_invalid_parts_fall_back_and_valid_parts_stay() -> None:
    config, problems = parse(
        "artifacts: [cov*]\ngates:\n  project: {target: 200}\n  patch: {target: 70}\n"
    )
    assert [p.line for p in problems] == [3]
    assert config.artifacts == ("cov*",)
    assert config.gates.project == Gate()  # the bad value is dropped, the default stays
    assert config.gates.patch == Gate(70.0, None)


def test_size_limit_at_and_past() -> None:
    at_limit = b"# " + b"x" * (MAX_CONFIG_BYTES - 3) + b"\n"
    assert len(at_limit) == MAX_CONFIG_BYTES
    assert parse(at_limit)[1] == []
    config, problems = parse(at_limit + b"#")
    assert config == RepoConfig() and "over" in problems[0].message


def test_list_length_limit() -> None:
    at = "artifacts: [" + ", ".join(f"a{i}" for i in range(100)) + "]\n"
    assert parse(at)[1] == []
    past = "artifacts: [" + ", ".join(f"a{i}" for i in range(101)) + "]\n"
    assert "at most 100" in parse(past)[1][0].message


def test_not_utf8_and_no_code_execution() -> None:
    assert "not UTF-8" in parse(b"\xff\xfe")[1][0].message
    _config, problems = parse("artifacts: !!python/object/apply:os.system ['true']\n")
    assert [(p.line, p.message) for p in problems] == [
        (1, "artifacts: unsupported YAML tag tag:yaml.org,2002:python/object/apply:os.system")
    ]
