"""history.surface: where each change came from (cli, web, api, xliff)

Revision ID: 0009
Revises: 0008

Older rows get "" (not recorded).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('surface', sa.String(length=120), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_column('surface')
