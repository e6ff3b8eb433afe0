"""Per-repository configuration: ``.github/coverhub.yml`` (or ``.coverhub.yml``).

Read from the base branch, never from a pull request's head (a fork must not relax its own
gate). Parsing is pure: text in, a frozen :class:`RepoConfig` and a list of problems out, each
problem with the line it is on. An invalid file still yields a config: every valid part is kept
and the rest falls back to the defaults, so the caller can both apply it and report the problems.

Example (every key is optional)::

    artifacts: ["coverage*"]          # which workflow artifacts hold coverage (globs)
    flags:                            # split uploads by flag; default: one flag, "default"
      unit:        {artifacts: ["coverage-unit*"]}
      integration: {artifacts: ["coverage-it*"], workflows: ["Integration"]}
    paths:
      fixes: ["/home/runner/work/app/app/::"]   # before::after prefix rewrites
      ignore: ["vendor/**", "**/*_test.go"]
    gates:
      informational: false            # true: report, never fail
      project: {target: 80, max_drop: 1}        # percent, percentage points
      patch: {target: 90}
      flags: {integration: {project: {target: 60}}}
    comment:
      when: always                    # always | on_change | never
      max_files: 20
      sections: [summary, files, uncovered, gates]
    badge:
      thresholds: {90: brightgreen, 80: green, 70: yellowgreen, 60: yellow, 0: red}
      stale_days: 14
"""

from __future__ import annotations

import contextlib
import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from badges.colors import svg_color

CONFIG_PATHS = (".github/coverhub.yml", ".coverhub.yml")
MAX_CONFIG_BYTES = 64 * 1024
MAX_LIST = 100
COMMENT_WHEN = ("always", "on_change", "never")
SECTIONS = ("summary", "files", "uncovered", "gates")


@dataclass(frozen=True)
class FlagRule:
    artifacts: tuple[str, ...] = ()
    workflows: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gate:
    target: float | None = None  # absolute percent the head must reach
    max_drop: float | None = None  # percentage points it may fall below the base


@dataclass(frozen=True)
class Gates:
    informational: bool = False
    project: Gate = Gate()
    patch: Gate = Gate()
    #: flag -> (project, patch) overrides; None: the repository's gate
    flags: dict[str, tuple[Gate | None, Gate | None]] = field(default_factory=dict)

    def for_flag(self, flag: str) -> tuple[Gate, Gate]:
        """The flag's (project, patch) gates; a gate the flag does not override is the
        repository's."""
        project, patch = self.flags.get(flag, (None, None))
        return (project or self.project, patch or self.patch)


@dataclass(frozen=True)
class CommentConfig:
    when: str = "always"
    max_files: int = 20
    sections: tuple[str, ...] = SECTIONS


@dataclass(frozen=True)
class BadgeConfig:
    """Badge settings the file sets; what it leaves out keeps the stored setting (set with the
    CLI, or the default). Copied into the badge settings by a default-branch run."""

    thresholds: tuple[tuple[float, str], ...] = ()  # empty: not set
    stale_days: int | None = None  # None: not set


@dataclass(frozen=True)
class RepoConfig:
    artifacts: tuple[str, ...] = ("coverage*",)
    flags: dict[str, FlagRule] = field(default_factory=dict)
    path_fixes: tuple[str, ...] = ()
    path_ignore: tuple[str, ...] = ()
    gates: Gates = Gates()
    comment: CommentConfig = CommentConfig()
    badge: BadgeConfig = BadgeConfig()
    source: str | None = None  # the file it came from, or None for the defaults

    def wants_artifact(self, name: str) -> bool:
        patterns = list(self.artifacts)
        for rule in self.flags.values():
            patterns.extend(rule.artifacts)
        return any(fnmatch.fnmatchcase(name, p) for p in patterns)

    def flag_for(self, artifact: str, workflow: str | None) -> str:
        """The flag of an artifact: the first flag whose rules match it, else "default"."""
        for flag, rule in self.flags.items():
            by_artifact = not rule.artifacts or any(
                fnmatch.fnmatchcase(artifact, p) for p in rule.artifacts
            )
            by_workflow = not rule.workflows or (
                workflow is not None
                and any(fnmatch.fnmatchcase(workflow, p) for p in rule.workflows)
            )
            if (rule.artifacts or rule.workflows) and by_artifact and by_workflow:
                return flag
        return "default"


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


_PLAIN_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")
}


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def bad(self, node: yaml.Node, message: str) -> None:
        self.problems.append(Problem(node.start_mark.line + 1, message))

    def foreign(self, node: yaml.Node, path: str) -> bool:
        """Only plain YAML: a tag like !!python/object is refused, never constructed."""
        if node.tag in _PLAIN_TAGS:
            return False
        self.bad(node, f"{path}: unsupported YAML tag {node.tag}")
        return True

    def mapping(
        self, node: yaml.Node | None, where: str, known: dict[str, Callable[[yaml.Node, str], None]]
    ) -> None:
        if node is None or self.foreign(node, where or "the file"):
            return
        if not isinstance(node, yaml.MappingNode):
            self.bad(node, f"{where}: expected a mapping of keys")
            return
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            path = f"{where}.{key}" if where else key
            if key in seen:
                self.bad(key_node, f"{path}: given twice")
                continue
            seen.add(key)
            handler = known.get(key)
            if handler is None:
                self.bad(key_node, f"{path}: unknown key (known: {', '.join(sorted(known))})")
                continue
            handler(value_node, path)

    def scalar(self, node: yaml.Node, path: str) -> Any:
        if self.foreign(node, path):
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.bad(node, f"{path}: expected a single value")
            return None
        return yaml.safe_load(yaml.serialize(node))

    def strings(self, node: yaml.Node, path: str) -> tuple[str, ...] | None:
        if self.foreign(node, path):
            return None
        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node, path)
            return (str(value),) if value is not None else None
        if not isinstance(node, yaml.SequenceNode):
            self.bad(node, f"{path}: expected a list of strings")
            return None
        if len(node.value) > MAX_LIST:
            self.bad(node, f"{path}: at most {MAX_LIST} entries")
            return None
        out = []
        for item in node.value:
            value = self.scalar(item, path)
            if not isinstance(value, str) or not value:
                self.bad(item, f"{path}: entries must be non-empty strings")
                return None
            out.append(value)
        return tuple(out)

    def number(self, node: yaml.Node, path: str, low: float, high: float) -> float | None:
        value = self.scalar(node, path)
        if isinstance(value, str) and value.endswith("%"):
            with contextlib.suppress(ValueError):
                value = float(value[:-1])
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (low <= value <= high)
        ):
            self.bad(node, f"{path}: expected a number from {low:g} to {high:g}")
            return None
        return float(value)


def parse(
    text: str | bytes, source: str = ".github/coverhub.yml"
) -> tuple[RepoConfig, list[Problem]]:
    """The configuration in ``text`` and its problems (an empty list when it is valid)."""
    config = RepoConfig(source=source)
    if isinstance(text, bytes):
        if len(text) > MAX_CONFIG_BYTES:
            return RepoConfig(), [Problem(1, f"the file is over {MAX_CONFIG_BYTES} bytes")]
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return RepoConfig(), [Problem(1, "the file is not UTF-8 text")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return RepoConfig(), [Problem(line, f"not valid YAML: {problem}")]
    if root is None:
        return config, []
    c = _Checker()
    state: dict[str, Any] = {}

    def keep(name: str, value: Any) -> None:
        if value is not None:
            state[name] = value

    def flags(node: yaml.Node, path: str) -> None:
        rules: dict[str, FlagRule] = {}
        if not isinstance(node, yaml.MappingNode):
            c.bad(node, f"{path}: expected a mapping of flag names")
            return
        for key_node, value_node in node.value:
            name = str(key_node.value)
            if not name or len(name) > 100 or "/" in name:
                c.bad(key_node, f"{path}: flag names are 1-100 characters without '/'")
                continue
            rule: dict[str, tuple[str, ...]] = {}
            c.mapping(
                value_node,
                f"{path}.{name}",
                {
                    "artifacts": _setter(rule, "artifacts", c.strings),
                    "workflows": _setter(rule, "workflows", c.strings),
                },
            )
            rules[name] = FlagRule(**rule)
        state["flags"] = rules

    def gate(node: yaml.Node, path: str) -> Gate:
        values: dict[str, float] = {}
        c.mapping(
            node,
            path,
            {
                "target": lambda n, p: _put(values, "target", c.number(n, p, 0, 100)),
                "max_drop": lambda n, p: _put(values, "max_drop", c.number(n, p, 0, 100)),
            },
        )
        return Gate(**values)

    def gates(node: yaml.Node, path: str) -> None:
        g: dict[str, Any] = {}

        def informational(n: yaml.Node, p: str) -> None:
            value = c.scalar(n, p)
            if not isinstance(value, bool):
                c.bad(n, f"{p}: expected true or false")
            else:
                g["informational"] = value

        def per_flag(n: yaml.Node, p: str) -> None:
            out: dict[str, tuple[Gate | None, Gate | None]] = {}
            if not isinstance(n, yaml.MappingNode):
                c.bad(n, f"{p}: expected a mapping of flag names")
                return
            for k, v in n.value:
                parts: dict[str, Gate] = {}
                c.mapping(
                    v,
                    f"{p}.{k.value}",
                    {
                        "project": _setter(parts, "project", gate),
                        "patch": _setter(parts, "patch", gate),
                    },
                )
                out[str(k.value)] = (parts.get("project"), parts.get("patch"))
            g["flags"] = out

        c.mapping(
            node,
            path,
            {
                "informational": informational,
                "project": lambda n, p: _put(g, "project", gate(n, p)),
                "patch": lambda n, p: _put(g, "patch", gate(n, p)),
                "flags": per_flag,
            },
        )
        state["gates"] = Gates(**g)

    def comment(node: yaml.Node, path: str) -> None:
        values: dict[str, Any] = {}

        def when(n: yaml.Node, p: str) -> None:
            value = c.scalar(n, p)
            if value not in COMMENT_WHEN:
                c.bad(n, f"{p}: expected one of {', '.join(COMMENT_WHEN)}")
            else:
                values["when"] = value

        def max_files(n: yaml.Node, p: str) -> None:
            value = c.number(n, p, 0, 500)
            if value is not None:
                values["max_files"] = int(value)

        def sections(n: yaml.Node, p: str) -> None:
            value = c.strings(n, p)
            if value is not None and not set(value) <= set(SECTIONS):
                c.bad(n, f"{p}: sections are {', '.join(SECTIONS)}")
            elif value is not None:
                values["sections"] = value

        c.mapping(node, path, {"when": when, "max_files": max_files, "sections": sections})
        state["comment"] = CommentConfig(**values)

    def badge(node: yaml.Node, path: str) -> None:
        values: dict[str, Any] = {}

        def thresholds(n: yaml.Node, p: str) -> None:
            if not isinstance(n, yaml.MappingNode) or not n.value:
                c.bad(n, f"{p}: expected a mapping of percent: colour")
                return
            pairs = []
            for k, v in n.value:
                pct = c.number(k, p, 0, 100)
                colour = c.scalar(v, p)
                if pct is None:
                    return
                try:
                    svg_color(str(colour))
                except ValueError as exc:
                    c.bad(v, f"{p}: {exc}")
                    return
                pairs.append((pct, str(colour)))
            values["thresholds"] = tuple(sorted(pairs, reverse=True))

        def stale_days(n: yaml.Node, p: str) -> None:
            value = c.number(n, p, 1, 3650)
            if value is not None:
                values["stale_days"] = int(value)

        c.mapping(node, path, {"thresholds": thresholds, "stale_days": stale_days})
        state["badge"] = BadgeConfig(**values)

    def paths(node: yaml.Node, path: str) -> None:
        def fixes(n: yaml.Node, p: str) -> None:
            value = c.strings(n, p)
            if value is not None and not all("::" in v for v in value):
                c.bad(n, f"{p}: each fix is 'before::after'")
            else:
                keep("path_fixes", value)

        c.mapping(
            node,
            path,
            {
                "fixes": fixes,
                "ignore": lambda n, p: keep("path_ignore", c.strings(n, p)),
            },
        )

    c.mapping(
        root,
        "",
        {
            "artifacts": lambda n, p: keep("artifacts", c.strings(n, p)),
            "flags": flags,
            "paths": paths,
            "gates": gates,
            "comment": comment,
            "badge": badge,
        },
    )
    return replace(config, **state), c.problems


def _setter(
    target: dict[str, Any], key: str, read: Callable[[yaml.Node, str], Any]
) -> Callable[[yaml.Node, str], None]:
    def handle(node: yaml.Node, path: str) -> None:
        _put(target, key, read(node, path))

    return handle


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value
