"""indexes for the review queue on large stores

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_segments_article_position', 'segments', ['article', 'position'], unique=False)
    op.create_index('ix_translations_lang_state', 'translations', ['lang', 'state'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_translations_lang_state', table_name='translations')
    op.drop_index('ix_segments_article_position', table_name='segments')
