"""Workflow run to completed check, for a 2,000-file report with its HTML (budget: under 3 s).

What is timed: from the signed ``workflow_run`` ``completed`` delivery leaving the fake GitHub
to the fake GitHub receiving the request that completes the ``coverhub`` check run of the PR's
head commit (the fake timestamps every request it gets). Also shown: the time to the last piece
of feedback (the sticky comment, after every annotation batch and both statuses).

The input, built once by running coverage.py for real (then kept in ``.cache/bench_feedback``;
``COVERHUB_BENCH_REBUILD=1`` builds it again):

* a generated Python project of 2,000 modules (150 to 480 lines each, ~315 on average; ``if``/
  ``else``, loops), exercised by a driver that calls most functions with varied arguments, run
  under ``coverage run --branch``; ``coverage xml`` gives the Cobertura report (2,000 files) and
  ``coverage html`` the HTML directory coverage.py writes for it (index, function and class
  indexes, status.json, assets, one page per module);
* the HTML has at least 8,000 files, as the design's budget says: each per-module page is cut
  at line boundaries into four files (``..._py.html``, ``..._py_2.html``, ...), so the member
  count is the design's while the bytes stay exactly what coverage.py wrote for 2,000 modules
  (``COVERHUB_BENCH_HTML=coveragepy`` keeps coverage.py's own ~2,000-page layout instead);
* both zipped as GitHub serves an ``upload-artifact`` artifact (deflate, level 6);
* a base commit on ``main`` whose report is the head's with hits flipped on about 2% of the
  lines in 200 modules (so deltas and indirect changes show), ingested before each timed run;
* a pull request whose diff touches 50 modules (two hunks of added lines each, half of them
  uncovered), so patch coverage, annotations (batched by 50) and the sticky comment all run.

Each round uses a fresh repository and commits: the base run is delivered and finished first,
then ``requested`` (coverhub opens the pending check), then the timed ``completed``; the next
round starts once the run job has ended (it stores the HTML report after publishing).

Configurations, each as real processes against the fake GitHub (a real HTTP server on loopback,
in this process): ``coverhub serve`` on its embedded defaults (SQLite, local folder, in-process
jobs); and, unless ``COVERHUB_BENCH_PROD=0``, ``coverhub serve`` + ``coverhub worker`` on
PostgreSQL, Redis and moto's S3 server (a separate process) as in production. A what-if,
``COVERHUB_BENCH_TMPFS=1``: embedded with ``TMPDIR=/dev/shm``, which shows what the run costs
when unpacking the artifact creates no files on disk (8,000 file creations cost seconds on a
slow disk: about 0.5 ms each on the 2-core VM these figures come from).

Baselines in the same run: downloading the same artifact from the fake with httpx (following the
302 to the blob host) and unzipping it, to disk (zipfile's extractall) and in memory (every member
inflated, nothing written). The breakdown comes from the fake's request timestamps and coverhub's
own log lines; an offline replay of the ingestion steps in this process (same functions, local
folder storage) splits unpack / parse / store.

Run: .venv/bin/python -m bench bench_feedback (COVERHUB_BENCH_ROUNDS, default 5).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BUDGET = 3.0
ROUNDS = int(os.environ.get("COVERHUB_BENCH_ROUNDS", "5"))
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


# ============================================================================ the fake GitHub


class Stamped(list):  # type: ignore[type-arg]
    """The fake's request log, with the wall time each request arrived (``item.at``)."""

    def append(self, item: Any) -> None:
        item.at = time.time()
        super().append(item)


class FakeClock:
    """Seconds spent inside the fake GitHub's API handler (its share of a round)."""

    busy = 0.0

    @classmethod
    def install(cls) -> None:
        from tests.support.fake_github.api import Api

        original = Api.handle

        async def handle(self: Any, request: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(self, request)
            finally:
                cls.busy += time.perf_counter() - started

        Api.handle = handle  # type: ignore[method-assign]


def start_fake() -> Any:
    from tests.support.fake_github import FakeGitHub

    FakeClock.install()
    fake = FakeGitHub().start()
    fake.state.requests = Stamped()
    fake.blob.requests = Stamped()
    return fake


# ============================================================================ coverhub processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, seconds: float = 60, procs: list[Any] = ()) -> None:  # type: ignore[assignment]
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"process exited with {p.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {seconds:g} s")


@dataclass
class Coverhub:
    """coverhub as real processes (their logs as JSON lines in files)."""

    label: str
    env: dict[str, str]
    workdir: Path
    port: int = field(default_factory=_free_port)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self, *args: str) -> None:
        log = self.workdir / f"{args[0]}-{len(self.procs)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "app.cli", *args],
                    env=self.env,
                    cwd=ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )

    def serve(self) -> None:
        self.start("serve", "--port", str(self.port), "--no-demo")
        _wait_http(self.url + "/readyz", procs=self.procs)

    def records(self) -> list[dict[str, Any]]:
        out = []
        for log in self.logs:
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith("{"):
                    with contextlib.suppress(ValueError):
                        out.append(json.loads(line))
        return out

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def app_env(fake: Any, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERHUB_")}
    env.update(
        {
            "COVERHUB_DATA_DIR": str(data_dir),
            "COVERHUB_GITHUB_APP_ID": str(fake.app.app_id),
            "COVERHUB_GITHUB_PRIVATE_KEY": fake.app.private_key_pem,
            "COVERHUB_GITHUB_WEBHOOK_SECRET": fake.app.webhook_secret,
            "COVERHUB_GITHUB_API_URL": fake.url,
            "COVERHUB_LOG_FORMAT": "json",
            "COVERHUB_LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


@contextlib.contextmanager
def embedded(fake: Any, tmp: Path) -> Iterator[Coverhub]:
    hub = Coverhub(
        "embedded: SQLite, local folder, in-process jobs", app_env(fake, tmp / "data"), tmp
    )
    try:
        hub.serve()
        yield hub
    finally:
        hub.stop()


@contextlib.contextmanager
def production(fake: Any, tmp: Path) -> Iterator[Coverhub]:
    """serve + worker on PostgreSQL (a fresh database), Redis (our own server) and moto's S3
    server (its own process, so that it does not share this process with the fake)."""
    from tests.support.servers import RedisServer, postgres_database

    aws = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    s3_port = _free_port()
    moto = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(s3_port)],
        env={**os.environ, **aws},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    redis = RedisServer(_free_port(), tmp / "redis")
    hub = None
    try:
        _wait_http(f"http://127.0.0.1:{s3_port}/moto-api/", procs=[moto])
        redis.start()
        with postgres_database() as pg_url:
            env = app_env(fake, tmp / "data")
            env.update(aws)
            env.update(
                {
                    "COVERHUB_DATABASE_URL": pg_url,
                    "COVERHUB_REDIS_URL": redis.url,
                    "COVERHUB_STORAGE_URL": "s3://bench-reports/coverhub",
                    "COVERHUB_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
                }
            )
            hub = Coverhub(
                "production: serve + worker, PostgreSQL, Redis, S3 (moto server)", env, tmp
            )
            hub.run("migrate")
            hub.serve()
            hub.start("worker")
            try:
                yield hub
            finally:
                hub.stop()
    finally:
        redis.stop()
        moto.terminate()
        moto.wait(30)


@contextlib.contextmanager
def embedded_tmpfs(fake: Any, tmp: Path) -> Iterator[Coverhub]:
    """What-if (COVERHUB_BENCH_TMPFS=1): embedded, with TMPDIR on /dev/shm, so that unpacked
    artifact members never touch the disk (creating a file costs ~0.5 ms on this VM's ext4)."""
    env = {**app_env(fake, tmp / "data"), "TMPDIR": "/dev/shm"}
    hub = Coverhub("what-if: embedded with TMPDIR=/dev/shm (unpacked members in memory)", env, tmp)
    try:
        hub.serve()
        yield hub
    finally:
        hub.stop()


# ============================================================================ one round


@dataclass
class Round:
    total: float  # delivery -> completing check request received by the fake
    feedback: float  # delivery -> sticky comment received (the last piece of feedback)
    marks: dict[str, float]  # phase -> seconds after the delivery
    fake_busy: float
    job_seconds: float | None
    exercised: str = ""  # what the feedback held (annotations, statuses, comment size)


def _wait(what: str, ready: Callable[[], bool], seconds: float = 300, poll: float = 0.005) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(poll)


def _completed(fake: Any, sha: str) -> bool:
    return any(c.data.get("status") == "completed" for c in fake.state.checks_for(sha, "coverhub"))


def run_round(fake: Any, hub: Coverhub, inputs: Inputs, tag: str, n: int) -> Round:
    from tests.support.fake_github.models import fake_sha

    state = fake.state
    fake.hooks.target_url = hub.url + "/webhooks/github"
    repo = fake.install(f"bench-{tag}/app{n}")
    base_sha, head_sha = fake_sha(f"{tag}-{n}-base"), fake_sha(f"{tag}-{n}-head")

    # the base commit on main, with its report (not timed)
    base_run = state.add_workflow_run(repo, head_sha=base_sha, head_branch="main", event="push")
    state.add_artifact(base_run, "coverage", raw=inputs.base_zip)
    fake.hooks.deliver("workflow_run", fake.hooks.payloads.workflow_run(base_run, "completed"))
    _wait(f"the base check of {repo.full_name}", lambda: _completed(fake, base_sha), poll=0.05)

    # the pull request; its run was requested (the pending check is open), then completes
    pr = state.add_pull_request(repo, head_sha=head_sha, base_sha=base_sha, files=inputs.pr_files)
    state.set_comparison(repo, "main", head_sha, merge_base_sha=base_sha, commits=[head_sha])
    run = state.add_workflow_run(repo, head_sha=head_sha, pull_requests=[pr], event="pull_request")
    art = state.add_artifact(run, "coverage", raw=inputs.head_zip)
    fake.hooks.deliver("workflow_run", fake.hooks.payloads.workflow_run(run, "requested"))
    _wait("the pending check", lambda: bool(state.checks_for(head_sha, "coverhub")), poll=0.02)
    time.sleep(0.3)  # let the pending-check job finish its bookkeeping

    delivery = fake.hooks.prepare(
        "workflow_run", fake.hooks.payloads.workflow_run(run, "completed")
    )
    busy = FakeClock.busy
    t0 = time.time()
    fake.hooks.send(delivery)
    acked = time.time()
    if delivery.status_code != 202:
        raise RuntimeError(f"delivery answered {delivery.status_code}: {delivery.response_body}")
    prefix = f"/repos/{repo.full_name}/"

    def sent(method: str, part: str) -> list[Any]:
        return [
            r
            for r in list(state.requests)
            if r.method == method and r.path.startswith(prefix) and part in r.path and r.at >= t0
        ]

    def completing() -> list[Any]:
        return [
            r
            for r in sent("PATCH", "/check-runs/") + sent("POST", "/check-runs")
            if isinstance(r.body, dict) and r.body.get("conclusion")
        ]

    _wait("the completed check", lambda: bool(completing()))
    _wait(
        "the sticky comment",
        lambda: bool(
            sent("POST", f"/issues/{pr.number}/comments") or sent("PATCH", "/issues/comments/")
        ),
    )
    done = completing()[0].at
    comments = sent("POST", f"/issues/{pr.number}/comments") + sent("PATCH", "/issues/comments/")
    comment = comments[0].at
    fake_busy = FakeClock.busy - busy

    def job_end() -> dict[str, Any] | None:
        # the run job ends after the HTML report is stored; the next round must not overlap it
        for rec in hub.records():
            ts = _ts(rec.get("ts"))
            if (
                rec.get("msg") == "job finished"
                and rec.get("kind") == "github.ingest_run"
                and ts is not None
                and ts >= done - 0.01
            ):
                return rec
        return None

    _wait("the end of the run job", lambda: job_end() is not None, poll=0.05)
    ended = job_end()
    assert ended is not None

    marks = {"webhook acknowledged (202)": acked - t0}
    listed = sent("GET", f"/actions/runs/{run.id}/artifacts")
    if listed:
        marks["artifacts listed"] = listed[0].at - t0
    blob = [
        b
        for b in list(fake.blob.requests)
        if b.path.startswith(f"/artifacts/{art.id}/") and b.at >= t0
    ]
    if blob:
        marks["download started"] = blob[0].at - t0
    for rec in hub.records():
        ts = _ts(rec.get("ts"))
        if rec.get("msg") == "workflow run ingested" and rec.get("sha") == head_sha and ts:
            marks["report recorded (log)"] = ts - t0
    marks["run job finished (HTML report stored)"] = (_ts(ended["ts"]) or done) - t0
    job_seconds = float(ended["seconds"])
    got_pull = sent("GET", f"/pulls/{pr.number}")
    if got_pull:
        marks["publishing started (GET pull)"] = got_pull[0].at - t0
    marks["check completed"] = done - t0
    patches = sent("PATCH", "/check-runs/")
    if patches:
        marks["last check PATCH (annotations)"] = patches[-1].at - t0
    statuses = sent("POST", f"/statuses/{head_sha}")
    if statuses:
        marks["statuses posted"] = statuses[-1].at - t0
    marks["comment posted"] = comment - t0
    [check] = state.checks_for(head_sha, "coverhub")
    [posted] = state.comments_on(repo, pr.number)
    exercised = (
        f"check {check.data.get('conclusion')} with {len(check.annotations)} annotations in"
        f" {len(patches)} PATCHes; {len(statuses)} statuses; comment of {len(posted.body)} chars"
    )
    return Round(done - t0, comment - t0, marks, fake_busy, job_seconds, exercised)


def _ts(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


# ============================================================================ baseline & replay


def baseline(fake: Any, inputs: Inputs, rounds: int) -> dict[str, list[float]]:
    """Download the artifact from the fake (the API's 302, then the blob host without the token)
    and unzip it: to disk (``extractall``), and in memory (every member inflated, nothing
    written: the floor for any pipeline that reads the whole artifact)."""
    import httpx

    repo = fake.install("bench-baseline/app")
    run = fake.state.add_workflow_run(repo, head_sha="b" * 40)
    art = fake.state.add_artifact(run, "coverage", raw=inputs.head_zip)
    headers = fake.token_headers(repo)
    url = f"{fake.api_url}/repos/{repo.full_name}/actions/artifacts/{art.id}/zip"
    times: dict[str, list[float]] = {"disk": [], "memory": []}
    with httpx.Client(timeout=60) as client:
        for n in range(2 * rounds):
            way = "disk" if n % 2 == 0 else "memory"
            with tempfile.TemporaryDirectory(prefix="coverhub-bench-base-") as tmp:
                started = time.perf_counter()
                location = client.get(url, headers=headers).headers["location"]
                path = Path(tmp) / "artifact.zip"
                with client.stream("GET", location) as resp, path.open("wb") as out:
                    for chunk in resp.iter_bytes(1 << 16):
                        out.write(chunk)
                with zipfile.ZipFile(path) as zf:
                    if way == "disk":
                        zf.extractall(Path(tmp) / "out")
                    else:
                        for info in zf.infolist():
                            zf.read(info)
                times[way].append(time.perf_counter() - started)
    return times


def replay(inputs: Inputs) -> dict[str, float]:
    """The ingestion's steps on the same artifact in this process (local folder storage):
    unpack, detect, parse, store the raw XML, archive the HTML, normalise and serialise."""
    from app.coverage import parsers
    from app.coverage.paths import PathRules, normalise_report
    from app.coverage.serialize import from_json, to_json
    from app.ingest import open_archive
    from app.ports.storage import LocalStore
    from app.services.ingest import html_members
    from app.services.report_archive import write_archive

    out: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = fn()
        out[name] = out.get(name, 0.0) + time.perf_counter() - started
        return result

    with tempfile.TemporaryDirectory(prefix="coverhub-bench-replay-") as tmp:
        path = Path(tmp) / "artifact.download"
        path.write_bytes(inputs.head_zip)
        store = LocalStore(Path(tmp) / "store")
        cm = open_archive(path, label="artifact coverage")
        tree = timed("unpack (inflate to temp files)", cm.__enter__)
        try:
            found = timed("detect", lambda: parsers.find_in_tree(tree))
            reports = timed(
                "parse", lambda: [r for _l, r in parsers.parse_group([(tree, f) for f in found])]
            )
            xml = next(f for f in found if not f.tree)
            html = next(f for f in found if f.tree)

            def keep_raw() -> None:
                with tree.open(xml.name) as stream:
                    store.put("o/r/sha/default/raw/coverage/" + xml.name, stream, "text/xml")

            timed("store raw XML", keep_raw)
            timed(
                "archive + store HTML",
                lambda: write_archive(
                    store, "o/r/sha/default/html/", html_members(tree, html.name)
                ),
            )
        finally:
            timed("remove temp files", lambda: cm.__exit__(None, None, None))
        report = next(r for r in reports if r.format == "cobertura")
        report = timed("normalise paths", lambda: normalise_report(report, PathRules()).report)
        data = timed("serialise report (to_json)", lambda: to_json(report))
        timed("read it back (from_json)", lambda: from_json(data, "report.json"))
    return out


# ============================================================================ main


def _stats(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):6.2f} s  (min {min(values):5.2f},"
        f" max {max(values):5.2f}, n={len(values)})"
    )


def measure(name: str, starter: Any, fake: Any, inputs: Inputs, base: dict[str, float]) -> None:
    with tempfile.TemporaryDirectory(prefix="coverhub-bench-feedback-") as tmp:
        try:
            context = starter(fake, Path(tmp))
            hub = context.__enter__()
        except Exception as exc:
            print(f"\n{name}: skipped ({exc})", flush=True)
            return
        try:
            print(f"\n{hub.label}", flush=True)
            run_round(fake, hub, inputs, name, 0)  # warm-up: imports, connections, tokens
            rounds = []
            for n in range(1, ROUNDS + 1):
                rounds.append(run_round(fake, hub, inputs, name, n))
                print(
                    f"  round {n}: completed check after {rounds[-1].total:5.2f} s,"
                    f" comment after {rounds[-1].feedback:5.2f} s",
                    flush=True,
                )
        finally:
            context.__exit__(None, None, None)
    total = [r.total for r in rounds]
    med = statistics.median(total)
    print(
        f"  workflow_run delivered -> completed check  {_stats(total)}   budget {BUDGET:g} s:"
        f" {'within' if med < BUDGET else 'OVER'}"
    )
    print(
        f"    = {med / base['disk']:.1f}x the baseline unzipping to disk,"
        f" {med / base['memory']:.1f}x the one unzipping in memory"
    )
    print(f"  workflow_run delivered -> sticky comment   {_stats([r.feedback for r in rounds])}")
    jobs = [r.job_seconds for r in rounds if r.job_seconds is not None]
    if jobs:
        print(f"  the ingestion job's own time (its log)     {_stats(jobs)}")
    print(f"  time inside the fake GitHub's handlers     {_stats([r.fake_busy for r in rounds])}")
    print(f"  feedback (last round): {rounds[-1].exercised}")
    print("  timeline (medians, seconds after the delivery):")
    names = list(dict.fromkeys(k for r in rounds for k in r.marks))
    for key in sorted(
        names, key=lambda k: statistics.median([r.marks[k] for r in rounds if k in r.marks])
    ):
        values = [r.marks[key] for r in rounds if key in r.marks]
        print(f"    {statistics.median(values):6.2f}  {key}")


def main() -> None:
    inputs = build_inputs()
    print(
        f"input: Cobertura XML of {MODULES} files ({inputs.xml_bytes / 1e6:.1f} MB, coverage.py"
        f" {inputs.coverage_version}) + HTML of {inputs.html_files} files"
        f" ({inputs.html_bytes / 1e6:.0f} MB{', coverage.py pages cut in 4' if SPLIT > 1 else ''});"
        f" artifact zip {len(inputs.head_zip) / 1e6:.1f} MB; PR diff of {len(inputs.pr_files)}"
        f" files; {ROUNDS} rounds (+1 warm-up) per configuration"
    )
    fake = start_fake()
    try:
        base = baseline(fake, inputs, max(ROUNDS, 5))
        print("\nbaseline: download the artifact from the fake (httpx) and unzip it (zipfile)")
        print(f"    to disk (extractall)                    {_stats(base['disk'])}")
        print(f"    in memory (every member read, no files) {_stats(base['memory'])}", flush=True)
        steps = [replay(inputs) for _ in range(3)]
        print("offline replay of the ingestion steps in this process (medians of 3, local folder):")
        for key in steps[0]:
            print(f"    {statistics.median(s[key] for s in steps):6.2f} s  {key}")
        print(f"    {statistics.median(sum(s.values()) for s in steps):6.2f} s  total", flush=True)
        configs: list[tuple[str, Any]] = [("embedded", embedded)]
        if os.environ.get("COVERHUB_BENCH_PROD", "1") != "0":
            configs.append(("production", production))
        if os.environ.get("COVERHUB_BENCH_TMPFS") == "1":
            configs.append(("tmpfs", embedded_tmpfs))
        for name, starter in configs:
            measure(name, starter, fake, inputs, {k: statistics.median(v) for k, v in base.items()})
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
