"""acknowledged QA findings: who acknowledged which finding of a translation, when

Revision ID: 0011
Revises: 0010

One row per finding code acknowledged on approval: the translation, the code (and its message
then), the translation's version it holds for, who, when and through which surface.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'acknowledgements',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('translation_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('who', sa.String(length=100), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('surface', sa.String(length=120), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['translation_id'], ['translations.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('acknowledgements', schema=None) as batch_op:
        batch_op.create_index('ix_acknowledgements_translation_version', ['translation_id', 'version'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('acknowledgements', schema=None) as batch_op:
        batch_op.drop_index('ix_acknowledgements_translation_version')
    op.drop_table('acknowledgements')
