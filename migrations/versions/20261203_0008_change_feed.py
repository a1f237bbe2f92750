"""change feed: audit events that change a resource carry the kind of change, the resource's
version and the writing transaction's id

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The id of the transaction that writes the row, as a number (xid8 counts from 0 upward and
# never wraps): the feed shows a row once every transaction with a lower id has ended.
_PG_TXID = sa.text('(pg_current_xact_id()::text::bigint)')


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('object_version', sa.Integer(), nullable=True))
        # Existing events get the migration's own transaction; none of them is a change (the
        # feed begins here), so their order does not matter.
        batch_op.add_column(
            sa.Column(
                'txid',
                sa.BigInteger(),
                nullable=False,
                server_default=_PG_TXID if postgres else sa.text('0'),
            )
        )
    op.create_index(
        'ix_audit_events_feed',
        'audit_events',
        ['txid', 'id'],
        unique=False,
        postgresql_where=sa.text('change IS NOT NULL'),
        sqlite_where=sa.text('change IS NOT NULL'),
    )


def downgrade() -> None:
    op.drop_index(
        'ix_audit_events_feed',
        table_name='audit_events',
        postgresql_where=sa.text('change IS NOT NULL'),
        sqlite_where=sa.text('change IS NOT NULL'),
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('txid')
        batch_op.drop_column('object_version')
        batch_op.drop_column('change')
