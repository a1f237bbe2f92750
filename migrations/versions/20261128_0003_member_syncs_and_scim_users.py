"""member syncs and scim users: the sync run records, and what SCIM keeps beside a member

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 02:06:20.017763
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.models


revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A run record: its change lists are JSON documents stored as text (app.sync.models).
    op.create_table('member_syncs',
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_key_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('actor_role', sa.String(length=32), nullable=False),
    sa.Column('mode', sa.Enum('additive', 'strict', name='member_sync_mode', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('allow_mass_deactivation', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('applied', 'previewed', name='member_sync_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('scope_codes', sa.JSON(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('reactivated', sa.Integer(), nullable=False),
    sa.Column('deactivated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('departments_created', sa.Integer(), nullable=False),
    sa.Column('departments_updated', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('department_changes', sa.Text(), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_syncs'))
    )
    with op.batch_alter_table('member_syncs', schema=None) as batch_op:
        batch_op.create_index('ix_member_syncs_created_at_id', ['created_at', 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # A 20,000-member change list is megabytes written once and read rarely: storing it
        # uncompressed keeps the compression's CPU out of the sync's transaction.
        op.execute('ALTER TABLE member_syncs ALTER COLUMN changes SET STORAGE EXTERNAL')

    op.create_table('scim_users',
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('user_name', sa.String(length=320), nullable=False),
    sa.Column('user_name_key', sa.String(length=320), nullable=False),
    sa.Column('employee_number', sa.String(length=200), nullable=True),
    sa.Column('department_label', sa.String(length=200), nullable=True),
    sa.Column('email_type', sa.String(length=64), nullable=True),
    sa.Column('email_primary', sa.Boolean(), nullable=True),
    sa.Column('display_name_sent', sa.Boolean(), nullable=False),
    sa.Column('deprovisioned_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_scim_users_member_id_members')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_scim_users')),
    sa.UniqueConstraint('user_name_key', name=op.f('uq_scim_users_user_name_key'))
    )


def downgrade() -> None:
    op.drop_table('scim_users')
    with op.batch_alter_table('member_syncs', schema=None) as batch_op:
        batch_op.drop_index('ix_member_syncs_created_at_id')

    op.drop_table('member_syncs')
