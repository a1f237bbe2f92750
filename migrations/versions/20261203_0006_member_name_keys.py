"""member name keys: search and sort names regardless of case, diacritics and tussenvoegsels

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.models
from app.members.rules import keys


revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows per UPDATE of the backfill (one executemany each).
BATCH = 1_000

_members = sa.table(
    'members',
    sa.column('id', sa.Uuid()),
    sa.column('email', sa.String()),
    sa.column('given_name', sa.String()),
    sa.column('family_name', sa.String()),
    sa.column('display_name', sa.String()),
    sa.column('given_name_key', sa.String()),
    sa.column('family_name_key', sa.String()),
    sa.column('display_name_key', sa.String()),
    sa.column('search_key', sa.Text()),
)
_NEW_KEYS = ('given_name_key', 'family_name_key', 'display_name_key', 'search_key')


def _backfill() -> None:
    """Every member's keys, made by the function the app makes them with (app/members/rules.py),
    so that the keys of existing members and of those written later agree."""
    conn = op.get_bind()
    m = _members.c
    rows = conn.execute(
        sa.select(m.id, m.given_name, m.family_name, m.display_name, m.email)
    ).all()
    statement = (
        sa.update(_members)
        .where(m.id == sa.bindparam('b_id'))
        .values({name: sa.bindparam(f'b_{name}') for name in _NEW_KEYS})
    )
    for start in range(0, len(rows), BATCH):
        values = []
        for member_id, given_name, family_name, display_name, email in rows[start : start + BATCH]:
            made = keys(
                given_name=given_name,
                family_name=family_name,
                display_name=display_name,
                email=email,
            )
            values.append({'b_id': member_id, **{f'b_{name}': made[name] for name in _NEW_KEYS}})
        conn.execute(statement, values)


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('given_name_key', app.core.models.sort_key(200), nullable=True))
        batch_op.add_column(sa.Column('family_name_key', app.core.models.sort_key(200), nullable=True))
        batch_op.add_column(sa.Column('display_name_key', app.core.models.sort_key(200), nullable=True))
        batch_op.add_column(sa.Column('search_key', sa.Text(), nullable=True))

    _backfill()

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.alter_column('given_name_key', existing_type=app.core.models.sort_key(200), nullable=False)
        batch_op.alter_column('family_name_key', existing_type=app.core.models.sort_key(200), nullable=False)
        batch_op.alter_column('display_name_key', existing_type=app.core.models.sort_key(200), nullable=False)
        batch_op.alter_column('search_key', existing_type=sa.Text(), nullable=False)
        batch_op.drop_index('ix_members_family_name_id')
        batch_op.drop_index('ix_members_department_id_family_name')
        batch_op.create_index('ix_members_family_name_key_id', ['family_name_key', 'id'], unique=False)
        batch_op.create_index('ix_members_department_id_family_name_key', ['department_id', 'family_name_key', 'id'], unique=False)
        batch_op.create_index('ix_members_given_name_key_id', ['given_name_key', 'id'], unique=False)
        batch_op.create_index('ix_members_display_name_key_id', ['display_name_key', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_display_name_key_id')
        batch_op.drop_index('ix_members_given_name_key_id')
        batch_op.drop_index('ix_members_department_id_family_name_key')
        batch_op.drop_index('ix_members_family_name_key_id')
        batch_op.create_index('ix_members_department_id_family_name', ['department_id', 'family_name', 'id'], unique=False)
        batch_op.create_index('ix_members_family_name_id', ['family_name', 'id'], unique=False)
        batch_op.drop_column('search_key')
        batch_op.drop_column('display_name_key')
        batch_op.drop_column('family_name_key')
        batch_op.drop_column('given_name_key')
