"""``coverhub covdata``: go tool covdata's subcommands over GOCOVERDIR directories.

``percent``, ``pkglist`` and ``textfmt`` answer byte for byte like ``go tool covdata``; ``func``
too; ``merge``, ``subtract`` and ``intersect`` write a GOCOVERDIR that go reads back with the same
answers as its own. Flags are spelled as go spells them and accept both ``-i DIR`` and
``-i=DIR``. Warnings go to standard error as ``warning: ...`` lines, as go prints them.

Deviations from go, on purpose: orphaned counter files are reported with a warning (go skips
them silently); the ``-o`` directory of merge/subtract/intersect is created when missing; a
corrupt input file is an error naming the file (go sometimes panics or skips it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from app.coverage import gocovdata
from app.coverage.gocovdata import ops, report
from app.coverage.gocovdata.pods import CovDir

COMMANDS = {
    "percent": "output total percentage of statements covered",
    "func": "output coverage profile information for each function",
    "pkglist": "output list of package import paths",
    "textfmt": "convert coverage data to textual format",
    "merge": "merge data files together",
    "subtract": "subtract one set of data files from another set",
    "intersect": "generate intersection of two sets of data files",
    # not a go subcommand: the module -> package -> file tree and the main/dependency split
    "report": "module, package and file coverage, main module vs dependencies vs std",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "covdata",
        help="go tool covdata over GOCOVERDIR data (percent, func, pkglist, textfmt, merge...)",
        description="Read Go binary coverage data directories, answering like go tool covdata.",
    )
    sub = parser.add_subparsers(dest="covdata_command", metavar="SUBCOMMAND", required=True)
    for name, help_text in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        sp.add_argument(
            "-i",
            "--i",
            dest="inputs",
            default="",
            metavar="DIR[,DIR...]",
            help="input dirs to examine (comma separated)",
        )
        sp.add_argument(
            "-pkg",
            "--pkg",
            dest="pkg",
            default="",
            metavar="PATTERN[,PATTERN...]",
            help="restrict output to package(s) matching the package pattern(s)",
        )
        if name in ("percent", "textfmt"):
            sp.add_argument("-o", "--o", dest="output", default="", help="output text format file")
        elif name in ("merge", "subtract", "intersect"):
            sp.add_argument("-o", "--o", dest="output", default="", help="output directory")
        if name == "merge":
            sp.add_argument(
                "-pcombine",
                "--pcombine",
                dest="pcombine",
                action="store_true",
                help="combine profiles derived from distinct program executables",
            )
        if name == "report":
            sp.add_argument(
                "-main",
                "--main",
                dest="main_module",
                default=None,
                metavar="MODULE",
                help="the main module (default: the module of the main package)",
            )
        sp.set_defaults(func=run, covdata_command=name)


def _read_dirs(spec: str) -> list[CovDir]:
    from app.cli import UsageError

    if spec == "":
        raise UsageError("select input directories with '-i' option")
    dirs = []
    for raw in spec.split(","):
        path = Path(raw)
        if not path.is_dir():
            raise UsageError(f"reading inputs: {raw}: not a readable directory")
        names = sorted(e.name for e in os.scandir(path) if e.is_file(follow_symlinks=False))

        def opener(name: str, base: Path = path) -> Any:
            return (base / name).open("rb")

        dirs.append(CovDir(raw, names, opener))
    return dirs


def _write_dir(outdir: str, files: dict[str, bytes]) -> None:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        tmp = out / f"tmp.{name}"
        tmp.write_bytes(data)
        tmp.replace(out / name)


def run(args: argparse.Namespace) -> int:
    from app.cli import UsageError

    cmd: str = args.covdata_command
    output: str = getattr(args, "output", "")
    if cmd in ("merge", "subtract", "intersect") and not args.inputs:
        raise UsageError("select input directories with '-i' option")
    if cmd == "subtract" and len(args.inputs.split(",")) != 2:
        raise UsageError("supply exactly two input dirs for subtract operation")
    if cmd in ("textfmt", "merge", "subtract", "intersect") and not output:
        raise UsageError(
            "select output file name with '-o' option"
            if cmd == "textfmt"
            else "select output directory with '-o' option"
        )
    if cmd in ("textfmt", "percent") and output:
        # go creates (truncates) the text output before reading anything, even if reading fails
        try:
            Path(output).write_bytes(b"")
        except OSError as exc:
            raise UsageError(f"unable to open textfmt output file {output!r}: {exc}") from None
    dirs = _read_dirs(args.inputs)
    match = gocovdata.compile_patterns(args.pkg)
    now = time.time_ns()
    if cmd == "report":
        summary = report.summarize(dirs, match, main_module=args.main_module)
        result = ops.Result(stdout=report.render(summary))
    elif cmd == "percent":
        result = ops.percent(dirs, match, with_text=bool(output))
    elif cmd == "func":
        result = ops.func(dirs, match)
    elif cmd == "pkglist":
        result = ops.pkglist(dirs, match)
    elif cmd == "textfmt":
        result = ops.textfmt(dirs, match)
    elif cmd == "merge":
        result = ops.merge(dirs, match, pcombine=args.pcombine, timestamp_ns=now)
    elif cmd == "subtract":
        result = ops.subtract(dirs, match, timestamp_ns=now)
    else:
        result = ops.intersect(dirs, match, timestamp_ns=now)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if result.text is not None and output:
        Path(output).write_text(result.text, encoding="utf-8", newline="")
    if cmd in ("merge", "subtract", "intersect"):
        _write_dir(output, result.files)
    sys.stdout.write(result.stdout)
    sys.stdout.flush()
    return 0
