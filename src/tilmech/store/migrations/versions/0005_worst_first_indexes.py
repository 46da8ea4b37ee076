"""indexes for the queue worst first and weakest score first

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_translations_lang_risk', 'translations', ['lang', 'risk'], unique=False)
    op.create_index('ix_translations_lang_score', 'translations', ['lang', 'score'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_translations_lang_score', table_name='translations')
    op.drop_index('ix_translations_lang_risk', table_name='translations')
