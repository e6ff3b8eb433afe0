"""The ``coverhub`` command line: one argparse tree, each command group in its own module.

Every command module exposes ``register(subparsers)``, which adds its subcommands and sets
``func`` on each, a callable taking the parsed namespace and returning an exit code. Errors that
users can cause (bad input, bad settings) become one line on standard error and a non-zero exit;
no traceback reaches a user.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Command modules, in help order. A module missing here is a command missing from the CLI.
COMMAND_MODULES = (
    "app.cli.service",
    "app.cli.offline",
    "app.cli.covdata",
    "app.cli.upload",
    "app.cli.admin",
    "app.cli.collect",
)


class UsageError(Exception):
    """A command was given arguments it cannot work with; the message is shown as is."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coverhub",
        description="Self-hosted coverage service for GitHub, and offline coverage tools.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from app.coverage.errors import CoverageError
    from app.errors import AppError
    from app.settings import SettingsError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except (CoverageError, AppError, UsageError) as exc:
        print(f"coverhub {args.command}: {exc}", file=sys.stderr)
        return 1
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"coverhub: invalid setting: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code
