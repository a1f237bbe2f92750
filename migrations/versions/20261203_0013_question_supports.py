"""question supports: who wants to learn a question too ("ik wil dit ook leren"), since when, until
when; and the stored count each question shows and lists sort on

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 16:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.models


revision: str = '0013'
down_revision: str | Sequence[str] | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('question_supports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('question_id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('supported_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_question_supports_member_id_members')),
    sa.ForeignKeyConstraint(['question_id'], ['learning_questions.id'], name=op.f('fk_question_supports_question_id_learning_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_supports'))
    )
    with op.batch_alter_table('question_supports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_supports_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_question_supports_question_id_supported_at', ['question_id', 'supported_at', 'member_id'], unique=False, postgresql_include=['withdrawn_at'])
        batch_op.create_index('uq_question_supports_current', ['question_id', 'member_id'], unique=True, sqlite_where=sa.text('withdrawn_at IS NULL'), postgresql_where=sa.text('withdrawn_at IS NULL'))

    # Every existing question starts with no support (there was none to record).
    with op.batch_alter_table('learning_questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('support_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_learning_questions_support_count_id', ['support_count', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('learning_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_learning_questions_support_count_id')
        batch_op.drop_column('support_count')

    with op.batch_alter_table('question_supports', schema=None) as batch_op:
        batch_op.drop_index('uq_question_supports_current', sqlite_where=sa.text('withdrawn_at IS NULL'), postgresql_where=sa.text('withdrawn_at IS NULL'))
        batch_op.drop_index('ix_question_supports_question_id_supported_at', postgresql_include=['withdrawn_at'])
        batch_op.drop_index(batch_op.f('ix_question_supports_member_id'))

    op.drop_table('question_supports')
