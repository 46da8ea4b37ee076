"""engine provenance: model id and version on drafts; translation memory keyed by them

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 13:45:00

Drafts and memory entries made before this revision get an empty model and
version: they stay as they are (nothing is dropped), are never re-drafted by
``--redraft-unapproved``, and no longer match the memory lookup of any engine.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_OLD_KEY = ["source_hash", "lang", "engine"]
_NEW_KEY = ["source_hash", "lang", "engine", "model", "model_version"]


def upgrade() -> None:
    for table in ("translations", "memory"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("model", sa.String(length=200), nullable=False, server_default=""))
            batch_op.add_column(sa.Column("model_version", sa.String(length=64), nullable=False, server_default=""))
    # the old unique key (source_hash, lang, engine) was unnamed: SQLite reflects no name, PostgreSQL its own
    old = next((uc["name"] for uc in sa.inspect(op.get_bind()).get_unique_constraints("memory")
                if sorted(uc["column_names"]) == sorted(_OLD_KEY)), None)
    naming = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}
    with op.batch_alter_table("memory", schema=None, naming_convention=naming) as batch_op:
        batch_op.drop_constraint(old or "uq_memory_source_hash_lang_engine", type_="unique")
        batch_op.create_unique_constraint("uq_memory_entry", _NEW_KEY)


def downgrade() -> None:
    with op.batch_alter_table("memory", schema=None) as batch_op:
        batch_op.drop_constraint("uq_memory_entry", type_="unique")
        batch_op.create_unique_constraint("uq_memory_source_hash_lang_engine", _OLD_KEY)
        batch_op.drop_column("model_version")
        batch_op.drop_column("model")
    with op.batch_alter_table("translations", schema=None) as batch_op:
        batch_op.drop_column("model_version")
        batch_op.drop_column("model")
