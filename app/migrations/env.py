"""Alembic environment: the engine comes from app.db.engine.migrate, never from a .ini file."""

from __future__ import annotations

from alembic import context

from app.db.schema import metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
