"""The same migrations on SQLite and PostgreSQL, and the indexes the hot queries need."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.db.engine import create_engine, current_revision, head_revision, migrate
from app.db.schema import metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    else:
        url = request.getfixturevalue("pg_url")
        eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with eng.begin() as conn:  # the session database is shared: start from nothing
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    try:
        yield eng
    finally:
        eng.dispose()


def test_migrate_from_empty_then_again(engine: sa.Engine) -> None:
    assert current_revision(engine) is None
    before, after = migrate(engine)
    assert before is None and after == head_revision()
    assert migrate(engine) == (after, after)  # idempotent


def test_migrations_produce_exactly_the_schema(engine: sa.Engine) -> None:
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    assert diff == []


def test_tables_and_columns_the_issue_asks_for(engine: sa.Engine) -> None:
    migrate(engine)
    inspector = sa.inspect(engine)
    cols = {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()}
    assert {"owner", "name", "private", "default_branch", "group_name"} <= cols["repositories"]
    assert {"sha", "branch", "author", "committed_at", "parents"} <= cols["commits"]
    assert {"number", "head_sha", "head_repo", "base_ref", "base_sha", "state"} <= cols[
        "pull_requests"
    ]
    assert {
        "repository_id",
        "commit_id",
        "flag",
        "source",
        "workflow_run_id",
        "run_attempt",
        "format",
        "storage_key",
        "native_covered",
        "native_total",
    } <= cols["uploads"]
    assert {
        "path",
        "package",
        "lines_covered",
        "lines_partial",
        "lines_total",
        "branches_covered",
        "branches_total",
        "native_covered",
        "native_total",
    } <= cols["upload_files"]
    assert {
        "delivery_id",
        "event",
        "action",
        "received_at",
        "status",
        "attempts",
        "last_error",
    } <= cols["webhook_deliveries"]
    indexes = {tuple(ix["column_names"]) for ix in inspector.get_indexes("uploads")}
    assert ("repository_id", "branch", "flag", "created_at") in indexes  # branch over time
    assert ("repository_id", "sha", "flag", "created_at") in indexes  # latest of commit X


def test_hot_queries_use_the_indexes_on_postgresql(pg_url: str) -> None:
    eng = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with eng.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        migrate(eng)
        with eng.begin() as conn:
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
            plans = {}
            for name, where in {
                "branch": "repository_id = 1 AND branch = 'main' AND flag = 'default'",
                "commit": "repository_id = 1 AND sha = 'abc' AND flag = 'default'",
            }.items():
                rows = conn.execute(
                    sa.text(
                        f"EXPLAIN SELECT * FROM uploads WHERE {where}"
                        " ORDER BY created_at DESC LIMIT 1"
                    )
                )
                plans[name] = "\n".join(r[0] for r in rows)
        assert "ix_uploads_repository_id_branch_flag_created_at" in plans["branch"]
        assert "ix_uploads_repository_id_sha_flag_created_at" in plans["commit"]
        assert "Sort" not in plans["branch"] and "Sort" not in plans["commit"]
    finally:
        eng.dispose()
