"""calendar tickets: the secret of a member's calendar subscription URL

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.models


revision: str = '0017'
down_revision: str | Sequence[str] | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calendar_tickets',
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('ticket_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_calendar_tickets_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_tickets')),
    sa.UniqueConstraint('member_id', name=op.f('uq_calendar_tickets_member_id')),
    sa.UniqueConstraint('ticket_hash', name=op.f('uq_calendar_tickets_ticket_hash'))
    )


def downgrade() -> None:
    op.drop_table('calendar_tickets')
