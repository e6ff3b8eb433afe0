"""The database: schema (SQLAlchemy Core), engine creation, migrations."""
