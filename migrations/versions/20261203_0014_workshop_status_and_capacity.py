"""workshop status and capacity: a werkplaats can be cancelled, and may limit its sign-ups

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 16:43:55.806460
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | Sequence[str] | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every workshop so far goes ahead; none limits its sign-ups.
    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum('planned', 'cancelled', name='workshop_status', native_enum=False, create_constraint=True, length=32), server_default='planned', nullable=False))
        batch_op.add_column(sa.Column('capacity', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('capacity_positive', 'capacity IS NULL OR capacity >= 1')


def downgrade() -> None:
    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_workshops_capacity_positive'), type_='check')
        batch_op.drop_constraint(op.f('ck_workshops_workshop_status'), type_='check')
        batch_op.drop_column('capacity')
        batch_op.drop_column('status')
