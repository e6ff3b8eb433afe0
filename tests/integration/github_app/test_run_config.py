"""The repository's configuration drives the run ingestion: artifact names, flags, paths; it is
read from the base branch, never from the pull request's head."""

from __future__ import annotations

from app.db.schema import uploads
from tests.integration.github_app.conftest import App

SHA = "7" * 40
UNIT = b"mode: set\nexample.com/m/pkg/a.go:3.2,4.10 2 1\nexample.com/m/pkg/a.go:5.2,6.10 3 0\n"
IT = b"mode: set\nexample.com/m/pkg/a.go:3.2,4.10 2 1\nexample.com/m/pkg/a.go:5.2,6.10 3 1\n"
CONFIG = """\
artifacts: ["cov-*"]
flags:
  unit: {artifacts: ["cov-unit*"]}
  integration: {artifacts: ["cov-it*"]}
paths:
  ignore: ["vendor/**"]
"""


def test_flags_artifacts_and_go_paths_from_the_base_branch_config(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    app.fake.state.put_file(repo, ".github/coverhub.yml", CONFIG, ref="main")
    # the head of the PR tries to change the config: it must not count
    app.fake.state.put_file(repo, ".github/coverhub.yml", "artifacts: [nothing]\n", ref=SHA)
    app.fake.state.put_file(repo, "go.mod", "module example.com/m\n\ngo 1.22\n", ref=SHA)
    pr = app.fake.state.add_pull_request(repo, head_sha=SHA, base_ref="main")
    run = app.fake.state.add_workflow_run(
        repo, head_sha=SHA, pull_requests=[pr], event="pull_request"
    )
    app.fake.state.add_artifact(run, "cov-unit", {"cover.out": UNIT})
    app.fake.state.add_artifact(run, "cov-it", {"cover.out": IT})
    app.fake.state.add_artifact(run, "coverage", {"cover.out": UNIT})  # not wanted by config
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "done", job.last_error
    unit = app.merged(SHA, "unit")
    it = app.merged(SHA, "integration")
    assert (unit.native_covered, unit.native_total) == (2, 5)
    assert (it.native_covered, it.native_total) == (5, 5)
    assert app.rows(uploads, uploads.c.flag == "default") == []
    # Go import paths became repository paths through go.mod
    report = app.stored_report(f"octo-org/app/{SHA}/unit/coverhub/report.json")
    assert list(report.files) == ["pkg/a.go"]
    # only the wanted artifacts were downloaded
    assert len(app.fake.blob.requests) == 2


def test_invalid_config_falls_back_to_defaults(app: App) -> None:
    repo = app.fake.install("octo-org/app")
    app.fake.state.put_file(repo, ".coverhub.yml", "artifacts: [\n", ref="main")
    run = app.fake.state.add_workflow_run(repo, head_sha=SHA, event="push", head_branch="main")
    app.fake.state.add_artifact(run, "coverage", {"cover.out": UNIT})
    app.complete(run)
    [job] = app.wait_run_jobs()
    assert job.status == "done", job.last_error
    assert app.merged(SHA).native_display == "40.0%"
