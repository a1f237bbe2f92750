"""question title history

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.models


revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('question_title_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('question_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('changed_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['learning_questions.id'], name=op.f('fk_question_title_changes_question_id_learning_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_title_changes'))
    )
    with op.batch_alter_table('question_title_changes', schema=None) as batch_op:
        batch_op.create_index('ix_question_title_changes_question_id_changed_at', ['question_id', 'changed_at'], unique=False)

    # No earlier title was kept: each existing question is taken to have had its present title
    # since it was created.
    op.execute(
        'INSERT INTO question_title_changes (question_id, title, changed_at) '
        'SELECT id, title, created_at FROM learning_questions'
    )


def downgrade() -> None:
    with op.batch_alter_table('question_title_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_question_title_changes_question_id_changed_at')

    op.drop_table('question_title_changes')
