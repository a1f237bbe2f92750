"""departures end what is current: an index for a member's own questions, and the members who
left before deactivation ended anything leave their groups and the werkplaatsen ahead now

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:00:00.000000

Until this revision, deactivating or erasing a member left them a current member of their
groups (counted in memberCount) and signed up for werkplaatsen ahead; from now on every door
that makes a member inactive ends both (app/members/departure.py). This brings the members
who are already inactive to the same state, as that would have: each current membership ends
at the member's deactivation (never before it began; merged groups, which change no more,
excepted), each sign-up for a werkplaats that has not started goes, and each is recorded in
the audit trail and the change feed as the departure records it. Downgrading keeps the data.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.core.models


revision: str = '0015'
down_revision: str | Sequence[str] | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_Moment = app.core.models.UTCDateTime

_members = sa.table(
    'members',
    sa.column('id', sa.Uuid()),
    sa.column('status', sa.String()),
    sa.column('deactivated_at', _Moment()),
)
_groups = sa.table('learning_groups', sa.column('id', sa.Uuid()), sa.column('status', sa.String()))
_memberships = sa.table(
    'group_memberships',
    sa.column('id', sa.Uuid()),
    sa.column('group_id', sa.Uuid()),
    sa.column('member_id', sa.Uuid()),
    sa.column('joined_at', _Moment()),
    sa.column('left_at', _Moment()),
)
_workshops = sa.table(
    'workshops',
    sa.column('id', sa.Uuid()),
    sa.column('starts_at', _Moment()),
    sa.column('version', sa.Integer()),
)
_attendees = sa.table(
    'workshop_attendees', sa.column('workshop_id', sa.Uuid()), sa.column('member_id', sa.Uuid())
)
_events = sa.table(
    'audit_events',
    sa.column('occurred_at', _Moment()),
    sa.column('action', sa.String()),
    sa.column('object_type', sa.String()),
    sa.column('object_id', sa.String()),
    sa.column('result', sa.String()),
    sa.column('detail', sa.JSON()),
    sa.column('change', sa.String()),
    sa.column('object_version', sa.Integer()),
)


def _end_what_departed_members_hold() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    m, g, ms = _members.c, _groups.c, _memberships.c
    inactive = sa.select(m.id).where(m.status == 'inactive')
    ended = conn.execute(
        sa.select(ms.id, ms.group_id, ms.member_id, ms.joined_at, m.deactivated_at)
        .select_from(_memberships.join(_members, m.id == ms.member_id))
        .where(
            ms.left_at.is_(None),
            m.status == 'inactive',
            ms.group_id.not_in(sa.select(g.id).where(g.status == 'merged')),
        )
    ).all()
    events = []
    if ended:
        conn.execute(
            sa.update(_memberships)
            .where(ms.id == sa.bindparam('b_id'))
            .values(left_at=sa.bindparam('b_left_at', type_=_Moment())),
            [
                {'b_id': row.id, 'b_left_at': max(row.joined_at, row.deactivated_at or now)}
                for row in ended
            ],
        )
        events += [
            {
                'action': 'learning-group-memberships-end',
                'object_type': 'group-membership',
                'object_id': str(row.id),
                'detail': {
                    'groupId': str(row.group_id),
                    'memberId': str(row.member_id),
                    'fields': ['left_at'],
                    'because': 'member-deactivated',
                },
                'change': 'ended',
                'object_version': None,
            }
            for row in ended
        ]
    a, w = _attendees.c, _workshops.c
    ahead = conn.execute(
        sa.select(a.workshop_id, a.member_id, w.version)
        .select_from(_attendees.join(_workshops, w.id == a.workshop_id))
        .where(a.member_id.in_(inactive), w.starts_at > now)
    ).all()
    if ahead:
        conn.execute(
            sa.delete(_attendees).where(
                a.workshop_id == sa.bindparam('b_workshop_id'),
                a.member_id == sa.bindparam('b_member_id'),
            ),
            [{'b_workshop_id': row.workshop_id, 'b_member_id': row.member_id} for row in ahead],
        )
        events += [
            {
                'action': 'workshop-attendees-delete',
                'object_type': 'workshop',
                'object_id': str(row.workshop_id),
                'detail': {'memberId': str(row.member_id), 'because': 'member-deactivated'},
                'change': 'attendee-removed',
                'object_version': row.version,
            }
            for row in ahead
        ]
    if events:
        conn.execute(
            sa.insert(_events),
            [{**event, 'occurred_at': now, 'result': 'success'} for event in events],
        )


def upgrade() -> None:
    with op.batch_alter_table('learning_questions', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_learning_questions_raised_by_member_id'),
            ['raised_by_member_id'],
            unique=False,
        )
    _end_what_departed_members_hold()


def downgrade() -> None:
    # The memberships stay ended and the sign-ups gone: that is what the members' departure
    # meant, whichever revision the schema is at.
    with op.batch_alter_table('learning_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_questions_raised_by_member_id'))
