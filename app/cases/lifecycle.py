"""The case lifecycle: which status may follow which."""

from __future__ import annotations

from app.cases.models import CaseStatus as S
from app.core.lifecycle import Transitions

TRANSITIONS: Transitions[S] = {
    S.PROPOSED: frozenset({S.IN_PROGRESS, S.CLOSED}),
    S.IN_PROGRESS: frozenset({S.PRESENTED}),
    S.PRESENTED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}
