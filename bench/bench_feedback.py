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

import os
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.feedback_inputs import MODULES, SPLIT, Inputs, build_inputs  # noqa: E402 - after the path is set
from bench.feedback_setups import (  # noqa: E402
    Coverhub,
    FakeClock,
    embedded,
    embedded_tmpfs,
    production,
    start_fake,
)

BUDGET = 3.0
ROUNDS = int(os.environ.get("COVERHUB_BENCH_ROUNDS", "5"))


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
