"""stream tickets: short-lived credentials for a browser's EventSource on the change feed

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.models


revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stream_tickets',
    sa.Column('ticket_hash', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.Uuid(), nullable=True),
    sa.Column('role', sa.Enum('admin', 'facilitator', 'member', 'reader', 'sync', name='stream_ticket_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=True),
    sa.Column('types', sa.String(length=500), nullable=True),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['key_id'], ['api_keys.id'], name=op.f('fk_stream_tickets_key_id_api_keys')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_stream_tickets_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stream_tickets')),
    sa.UniqueConstraint('ticket_hash', name=op.f('uq_stream_tickets_ticket_hash'))
    )
    with op.batch_alter_table('stream_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stream_tickets_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stream_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stream_tickets_expires_at'))

    op.drop_table('stream_tickets')
