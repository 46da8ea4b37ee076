"""translations.risk: the QA risk score of each segment (worst first in the queue)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 14:00:00

Existing rows keep NULL (not checked yet) until `tilmech qa recheck` or their next edit.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('translations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('risk', sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f('ix_translations_risk'), ['risk'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('translations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_translations_risk'))
        batch_op.drop_column('risk')
