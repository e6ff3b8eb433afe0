"""Tables, as SQLAlchemy Core metadata. Alembic migrations (app/migrations) create them.

A test checks that the migrations produce exactly this schema on SQLite and PostgreSQL, so the
two cannot drift.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

Timestamp = sa.DateTime(timezone=True)

installations = sa.Table(
    "installations",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),  # GitHub's id
    sa.Column("account_login", sa.String(255), nullable=False),
    sa.Column("account_type", sa.String(32), nullable=False, server_default="Organization"),
    sa.Column("suspended_at", Timestamp),
    sa.Column("removed_at", Timestamp),  # uninstalled: data kept, nothing processed
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

repositories = sa.Table(
    "repositories",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("github_id", sa.BigInteger, unique=True),
    sa.Column("installation_id", sa.BigInteger, sa.ForeignKey("installations.id")),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("private", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("default_branch", sa.String(255), nullable=False, server_default="main"),
    sa.Column("group_name", sa.String(255)),  # a team or group for dashboards
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("owner", "name"),
)

commits = sa.Table(
    "commits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("repository_id", sa.Integer, sa.ForeignKey("repositories.id"), nullable=False),
    sa.Column("sha", sa.String(64), nullable=False),
    sa.Column("branch", sa.String(255)),
    sa.Column("author", sa.String(255)),
    sa.Column("committed_at", Timestamp),
    sa.Column("parents", sa.JSON, nullable=False, default=list),  # list of parent shas
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("repository_id", "sha"),
)

pull_requests = sa.Table(
    "pull_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("repository_id", sa.Integer, sa.ForeignKey("repositories.id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("head_sha", sa.String(64), nullable=False),
    sa.Column("head_repo", sa.String(511)),  # owner/name of the head: a fork's differs
    sa.Column("head_ref", sa.String(255)),
    sa.Column("base_ref", sa.String(255), nullable=False),
    sa.Column("base_sha", sa.String(64)),
    sa.Column("state", sa.String(16), nullable=False, server_default="open"),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("repository_id", "number"),
    sa.Index(None, "repository_id", "head_sha"),
)

uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("repository_id", sa.Integer, sa.ForeignKey("repositories.id"), nullable=False),
    sa.Column("commit_id", sa.Integer, sa.ForeignKey("commits.id"), nullable=False),
    sa.Column("sha", sa.String(64), nullable=False),
    sa.Column("branch", sa.String(255)),  # copied from the commit: the history index needs it
    sa.Column("flag", sa.String(255), nullable=False, server_default="default"),
    # where it came from: a workflow run (id + attempt), a push (`coverhub upload`), or the demo
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("workflow_run_id", sa.BigInteger),
    sa.Column("run_attempt", sa.Integer),
    sa.Column("workflow_name", sa.String(255)),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("storage_key", sa.String(1024), nullable=False),
    sa.Column("native_unit", sa.String(32), nullable=False),
    sa.Column("native_covered", sa.BigInteger, nullable=False),
    sa.Column("native_total", sa.BigInteger, nullable=False),
    sa.Column("native_display", sa.String(32), nullable=False),
    sa.Column("lines_covered", sa.BigInteger, nullable=False),
    sa.Column("lines_partial", sa.BigInteger, nullable=False),
    sa.Column("lines_total", sa.BigInteger, nullable=False),
    sa.Column("branches_covered", sa.BigInteger, nullable=False),
    sa.Column("branches_total", sa.BigInteger, nullable=False),
    sa.Column("superseded", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", Timestamp, nullable=False),
    # one upload per source: a redelivered or repeated job updates instead of duplicating
    sa.UniqueConstraint("repository_id", "sha", "flag", "source", "workflow_run_id", "run_attempt"),
    # "latest report of commit X": equality on (repo, sha, flag), newest first
    sa.Index(None, "repository_id", "sha", "flag", "created_at"),
    # "coverage of branch B over time"
    sa.Index(None, "repository_id", "branch", "flag", "created_at"),
)

upload_files = sa.Table(
    "upload_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "upload_id",
        sa.Integer,
        sa.ForeignKey("uploads.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("path", sa.String(4096), nullable=False),
    sa.Column("package", sa.String(1024)),
    sa.Column("native_covered", sa.BigInteger, nullable=False),
    sa.Column("native_total", sa.BigInteger, nullable=False),
    sa.Column("lines_covered", sa.BigInteger, nullable=False),
    sa.Column("lines_partial", sa.BigInteger, nullable=False),
    sa.Column("lines_total", sa.BigInteger, nullable=False),
    sa.Column("branches_covered", sa.BigInteger, nullable=False),
    sa.Column("branches_total", sa.BigInteger, nullable=False),
    sa.Index(None, "upload_id"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("delivery_id", sa.String(64), nullable=False, unique=True),  # X-GitHub-Delivery
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64)),
    sa.Column("received_at", Timestamp, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # received, queued, done, failed, ignored
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("job_id", sa.Integer),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("key", sa.String(255), nullable=False, unique=True),  # idempotency key
    sa.Column("payload", sa.JSON, nullable=False),
    # queued -> running -> done | queued (retry) | dead (attempts used up)
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("run_after", Timestamp, nullable=False),
    sa.Column("lease_token", sa.String(64)),
    sa.Column("lease_until", Timestamp),
    sa.Column("enqueued_at", Timestamp),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("finished_at", Timestamp),
    # the sweeper's scan: unfinished jobs by due time
    sa.Index(None, "status", "run_after"),
)

probes = sa.Table(
    "probes",
    metadata,
    # `coverhub selftest` jobs count here, in the same transaction that completes the job, so an
    # operator (and the tests) can see that queued work ran exactly once.
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

badge_settings = sa.Table(
    "badge_settings",
    metadata,
    # per-repository badge settings; a repository without a row uses the defaults
    sa.Column(
        "repository_id",
        sa.Integer,
        sa.ForeignKey("repositories.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("stale_days", sa.Integer),  # no new result for this many days: grey "stale"
    sa.Column("thresholds", sa.JSON),  # [[minimum percent, colour], ...]
    sa.Column("token_hash", sa.String(64)),  # HMAC-SHA256 of the badge token (private repos)
    sa.Column("token_rotated_at", Timestamp),
    sa.Column("updated_at", Timestamp, nullable=False),
    # what the default branch's .github/coverhub.yml sets (None: the file leaves it out); wins
    # over the columns above, which `coverhub badge-config` sets
    sa.Column("config_stale_days", sa.Integer),
    sa.Column("config_thresholds", sa.JSON),
)

branch_states = sa.Table(
    "branch_states",
    metadata,
    # branches we know were deleted on GitHub: their badge turns grey "stale"
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "repository_id",
        sa.Integer,
        sa.ForeignKey("repositories.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("deleted_at", Timestamp),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("repository_id", "name"),
)

upload_tokens = sa.Table(
    "upload_tokens",
    metadata,
    # the push path (`coverhub upload`, POST /api/v1/upload): one token per repository, stored as
    # an HMAC of the token under the secret key, compared in constant time
    sa.Column(
        "repository_id",
        sa.Integer,
        sa.ForeignKey("repositories.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("rotated_at", Timestamp, nullable=False),
)

pending_checks = sa.Table(
    "pending_checks",
    metadata,
    # every check run coverhub opened as pending (workflow_run requested/in_progress), so that a
    # sweeper can complete the ones whose run never reported back (app.services.github_sweeper)
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "repository_id",
        sa.Integer,
        sa.ForeignKey("repositories.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("installation_id", sa.BigInteger, nullable=False),
    sa.Column("head_sha", sa.String(64), nullable=False),
    sa.Column("check_name", sa.String(255), nullable=False),
    sa.Column("check_run_id", sa.BigInteger, nullable=False, unique=True),  # GitHub's id
    sa.Column("workflow_run_id", sa.BigInteger, nullable=False),
    sa.Column("run_attempt", sa.Integer, nullable=False),
    sa.Column("opened_at", Timestamp, nullable=False),
    # a sweeper holds a row while it talks to GitHub (claim_token); claimed_until is also the
    # "not before" of a row put back after a failure or while its ingestion job is running
    sa.Column("claim_token", sa.String(64)),
    sa.Column("claimed_until", Timestamp),
    sa.Column("tries", sa.Integer, nullable=False, server_default="0"),
    sa.Column("settled_at", Timestamp),
    # completed_by_run (GitHub already had it completed), timed_out (the sweeper completed it),
    # gone (404), forbidden (403), abandoned (GitHub kept failing)
    sa.Column("outcome", sa.String(32)),
    sa.Column("note", sa.Text),
    # the sweeper's scan: unsettled rows, oldest first
    sa.Index(None, "settled_at", "opened_at"),
)
