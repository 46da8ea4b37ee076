"""users.session_stamp (sessions that end) and tokens.last_used_at

Revision ID: 0008
Revises: 0007

Every existing user gets a stamp of its own. Cookies made before it carry none: every
reviewer signs in once more.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_stamp', sa.String(length=32), nullable=True))
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(), nullable=True))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_stamp', sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(users.update().where(users.c.id == user_id).values(session_stamp=secrets.token_hex(16)))


def downgrade() -> None:
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_stamp')
