"""articles.sentence_cuts: where the sentence splitter cut each paragraph of the article

Revision ID: 0006
Revises: 0005

Existing rows keep NULL: their paragraphs are split again the next time they change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sentence_cuts', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_column('sentence_cuts')
