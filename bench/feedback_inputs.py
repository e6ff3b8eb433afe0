"""The input of bench_feedback: a generated 2,000-module Python project measured by coverage.py
for real (Cobertura XML and its HTML report), zipped as GitHub serves an artifact, with a base
commit's report and a pull request's diff; built once, then read from ``.cache/bench_feedback``
(``COVERHUB_BENCH_REBUILD=1`` builds it again). See bench_feedback's docstring for the shape.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MODULES = 2000
PER_PACKAGE = 50
PR_FILES = 50
SPLIT = 1 if os.environ.get("COVERHUB_BENCH_HTML") == "coveragepy" else 4
INPUT_VERSION = 1
CACHE = ROOT / ".cache" / "bench_feedback"



# ============================================================================ the input


def module_source(f: int) -> str:
    """Module ``f``: 5 to 16 functions of ~29 lines each, a class, comments and docstrings."""
    lines = [
        f'"""Module {f} of the generated project: arithmetic with branches.',
        "",
        "Generated for coverhub's feedback benchmark.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import math",
        "",
        f"LIMIT = {100 + f % 900}",
        "",
        "",
    ]
    for k in range(5 + f % 12):
        lines += [
            f"def f{k}(x, y=0):",
            f'    """Function {k}: fold x and y."""',
            "    total = 0",
            "    # the threshold moves with the function",
        ]
        for j in range(3):
            lines += [
                f"    if x > {j * 3 + k % 4}:",
                f"        total += x * {j + 1}",
                "        total -= y",
                "    else:",
                f"        total -= {j}",
                "        y = y + 1",
            ]
        lines += [
            "    for i in range(x % 5):",
            "        total += i",
            "        if i % 2:",
            "            total //= 2",
            "    while total > LIMIT:",
            "        total -= LIMIT",
            "    return total if total >= 0 else math.floor(-total / 2)",
            "",
            "",
        ]
    lines += [
        "class Thing:",
        '    """A thing that runs f0."""',
        "",
        "    def __init__(self, n):",
        "        self.n = n",
        "",
        "    def run(self):",
        "        return [f0(i) for i in range(self.n)]",
        "",
        "    def unused(self):",
        "        raise NotImplementedError",
    ]
    return "\n".join(lines) + "\n"


def module_path(f: int) -> str:
    return f"proj/pkg{f // PER_PACKAGE:02d}/mod{f:04d}.py"


DRIVER = f"""\
import importlib
import random

rng = random.Random(1)
for f in range({MODULES}):
    m = importlib.import_module(f"proj.pkg{{f // {PER_PACKAGE}:02d}}.mod{{f:04d}}")
    for k in range(5 + f % 12):
        if (f * 7 + k * 3) % 5 == 0:
            continue  # about a fifth of the functions never run
        for _ in range((f + k) % 4):
            getattr(m, f"f{{k}}")(rng.randrange(0, 12), rng.randrange(0, 3))
    if f % 3 == 0:
        m.Thing(3).run()
"""

COVERAGERC = """\
[run]
branch = True
source = .
relative_files = True
omit = run_tests.py
"""


def split_page(data: bytes, parts: int) -> list[bytes]:
    """``data`` cut at line boundaries into ``parts`` pieces of about equal size."""
    if parts == 1:
        return [data]
    pieces, start = [], 0
    for n in range(1, parts):
        cut = data.find(b"\n", max(start, len(data) * n // parts))
        cut = len(data) if cut < 0 else cut + 1
        pieces.append(data[start:cut])
        start = cut
    pieces.append(data[start:])
    return pieces


def base_xml(head: bytes) -> bytes:
    """The base commit's report: the head's with hits flipped on ~2% of lines in 200 modules."""
    out = []
    module = -1
    line_no = 0
    for line in head.split(b"\n"):
        if b"<class " in line:
            module += 1
        elif b"<line " in line and module % 10 == 3:
            line_no += 1
            if line_no % 50 == 0:
                if b'hits="0"' in line:
                    line = line.replace(b'hits="0"', b'hits="1"')
                else:
                    line = line.replace(b'hits="1"', b'hits="0"')
        out.append(line)
    return b"\n".join(out)


def hunk_patches(sources: dict[int, str], covered: dict[int, dict[int, int]]) -> list[Any]:
    """PR file entries for ``PR_FILES`` modules: two hunks of added lines each, as GitHub gives
    them (``patch`` without the file header), so that about half the added lines are missed."""
    from tests.support.fake_github import diff_entry

    entries = []
    chosen = [(MODULES * i) // PR_FILES + 7 for i in range(PR_FILES)]
    for f in chosen:
        text = sources[f].splitlines()
        hits = covered[f]
        # a covered function body and a never-run one (a fifth of the functions never run)
        starts = []
        for k in range(5 + f % 12):
            body = next(n for n, t in enumerate(text, 1) if t.startswith(f"def f{k}("))
            ran = any(hits.get(n, 0) for n in range(body, body + 28))
            starts.append((ran, body + 3))
        picks = [next((s for r, s in starts if r), starts[0][1])]
        picks.append(next((s for r, s in starts if not r and s > picks[0]), starts[-1][1]))
        patch = []
        shift = 0  # added lines so far (old numbering = new numbering - shift)
        for start in sorted(set(picks)):
            added = 12
            ctx = text[start - 4 : start - 1]
            new_first = start - 3
            patch.append(
                f"@@ -{new_first - shift},{len(ctx)} +{new_first},{len(ctx) + added} @@"
                f" {text[start - 4]}\n"
            )
            patch += [f" {t}\n" for t in ctx]
            patch += [f"+{t}\n" for t in text[start - 1 : start - 1 + added]]
            shift += added
        entries.append(diff_entry(module_path(f), "".join(patch).rstrip("\n")))
    return entries


@dataclass
class Inputs:
    head_zip: bytes
    base_zip: bytes
    pr_files: list[Any]
    xml_bytes: int
    html_files: int
    html_bytes: int
    coverage_version: str


def build_inputs() -> Inputs:
    """The artifacts (built once with coverage.py, then read from the cache)."""
    import coverage

    key = f"v{INPUT_VERSION}-{MODULES}-split{SPLIT}-coverage{coverage.__version__}"
    cached = CACHE / key
    if os.environ.get("COVERHUB_BENCH_REBUILD") == "1":
        shutil.rmtree(cached, ignore_errors=True)
    if not (cached / "meta.json").is_file():
        print(
            f"building the input with coverage.py {coverage.__version__} (once, ~2-3 min)...",
            flush=True,
        )
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="coverhub-bench-feedback-") as tmp:
            _build(Path(tmp), cached)
        print(f"  built in {time.perf_counter() - started:.0f} s, kept in {cached}", flush=True)
    meta = json.loads((cached / "meta.json").read_text())
    return Inputs(
        head_zip=(cached / "head.zip").read_bytes(),
        base_zip=(cached / "base.zip").read_bytes(),
        pr_files=meta["pr_files"],
        xml_bytes=meta["xml_bytes"],
        html_files=meta["html_files"],
        html_bytes=meta["html_bytes"],
        coverage_version=meta["coverage_version"],
    )


def _build(work: Path, cached: Path) -> None:
    import coverage

    sources = {f: module_source(f) for f in range(MODULES)}
    for f, text in sources.items():
        path = work / module_path(f)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (work / "run_tests.py").write_text(DRIVER)
    (work / ".coveragerc").write_text(COVERAGERC)
    env = {**os.environ, "PYTHONPATH": str(work)}
    for args in (
        ["run", "run_tests.py"],
        ["xml", "-o", "coverage.xml"],
        ["html", "-d", "htmlcov", "--title", "proj coverage"],
    ):
        subprocess.run(
            [sys.executable, "-m", "coverage", *args],
            cwd=work,
            env=env,
            check=True,
            capture_output=True,
        )
    xml = (work / "coverage.xml").read_bytes()
    covered: dict[int, dict[int, int]] = {}
    for m in re.finditer(rb'filename="proj/pkg\d+/mod(\d+)\.py".*?</class>', xml, re.S):
        covered[int(m.group(1))] = {
            int(n): int(h) for n, h in re.findall(rb'number="(\d+)" hits="(\d+)"', m.group(0))
        }
    html: dict[str, bytes] = {}
    for path in sorted((work / "htmlcov").iterdir()):
        data = path.read_bytes()
        if path.name.startswith("z_") and path.name.endswith("_py.html"):
            stem = path.name[: -len(".html")]
            for n, piece in enumerate(split_page(data, SPLIT), 1):
                html[f"{stem}{'' if n == 1 else f'_{n}'}.html"] = piece
        else:
            html[path.name] = data

    def zipped(files: dict[str, bytes]) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for name, data in files.items():
                zf.writestr(name, data)
        return buf.getvalue()

    cached.mkdir(parents=True, exist_ok=True)
    head = {"coverage.xml": xml, **{f"htmlcov/{n}": d for n, d in html.items()}}
    (cached / "head.zip").write_bytes(zipped(head))
    (cached / "base.zip").write_bytes(zipped({"coverage.xml": base_xml(xml)}))
    meta = {
        "pr_files": hunk_patches(sources, covered),
        "xml_bytes": len(xml),
        "html_files": len(html),
        "html_bytes": sum(len(d) for d in html.values()),
        "coverage_version": coverage.__version__,
    }
    (cached / "meta.json").write_text(json.dumps(meta))
