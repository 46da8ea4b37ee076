"""memory.origin: where a memory unit came from (engine, approved, an imported TMX)

Revision ID: 0012
Revises: 0011

Engine output keeps "" (the engine column says which); units imported from a TMX file carry
the name given at import (`tilmech tm import --origin NAME`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('memory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=100), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('memory', schema=None) as batch_op:
        batch_op.drop_column('origin')
