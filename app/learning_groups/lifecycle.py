"""The learning group lifecycle: which status may follow which, and which status is frozen."""

from __future__ import annotations

from app.core.lifecycle import Transitions
from app.learning_groups.models import GroupStatus as S

TRANSITIONS: Transitions[S] = {
    S.FORMING: frozenset({S.ACTIVE, S.MERGED}),
    S.ACTIVE: frozenset({S.PRESENTED, S.MERGED}),
    S.PRESENTED: frozenset({S.CONCLUDED, S.MERGED}),
    S.CONCLUDED: frozenset(),
    S.MERGED: frozenset(),
}
# A merged group is history: its survivor carries on, so nothing about it changes any more.
FROZEN = frozenset({S.MERGED})
# Members join and leave on their own only while a group is still taking shape or at work.
OPEN_TO_MEMBERS = frozenset({S.FORMING, S.ACTIVE})
