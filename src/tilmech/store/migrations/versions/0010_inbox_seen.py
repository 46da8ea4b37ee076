"""users.inbox_seen_at: when each user last looked at their inbox; history by action and time

Revision ID: 0010
Revises: 0009

NULL: never looked (everything in the user's inbox is new).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inbox_seen_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.create_index('ix_history_action_at', ['action', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_index('ix_history_action_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('inbox_seen_at')
