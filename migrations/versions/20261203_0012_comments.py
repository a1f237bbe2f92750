"""comments: the discussion on learning questions, cases, insights and learning groups

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 16:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.models


revision: str = '0012'
down_revision: str | Sequence[str] | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('comments',
    sa.Column('thread_type', sa.Enum('learning-question', 'case', 'insight', 'learning-group', name='comment_thread_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('thread_id', sa.Uuid(), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('author_member_id', sa.Uuid(), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('format', sa.Enum('plain', 'markdown', name='comment_format', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('edited_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hidden_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hidden_by_member_id', sa.Uuid(), nullable=True),
    sa.Column('hidden_reason', sa.String(length=500), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', app.core.models.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['author_member_id'], ['members.id'], name=op.f('fk_comments_author_member_id_members')),
    sa.ForeignKeyConstraint(['hidden_by_member_id'], ['members.id'], name=op.f('fk_comments_hidden_by_member_id_members')),
    sa.ForeignKeyConstraint(['parent_id'], ['comments.id'], name=op.f('fk_comments_parent_id_comments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_author_member_id_created_at', ['author_member_id', 'created_at'], unique=False)
        batch_op.create_index('ix_comments_parent_id_created_at', ['parent_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_comments_thread', ['thread_type', 'thread_id', 'created_at', 'id'], unique=False, postgresql_where=sa.text('parent_id IS NULL'), sqlite_where=sa.text('parent_id IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_thread', postgresql_where=sa.text('parent_id IS NULL'), sqlite_where=sa.text('parent_id IS NULL'))
        batch_op.drop_index('ix_comments_parent_id_created_at')
        batch_op.drop_index('ix_comments_author_member_id_created_at')

    op.drop_table('comments')
