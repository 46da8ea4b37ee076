"""Alembic environment of the Tilmech store (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from tilmech.store.schema import Base

config = context.config


def _run(connection: Any) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(str(config.get_main_option("sqlalchemy.url")))
    with engine.begin() as conn:
        _run(conn)
