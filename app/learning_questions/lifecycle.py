"""The learning question lifecycle: which status may follow which."""

from __future__ import annotations

from app.core.lifecycle import Transitions
from app.learning_questions.models import QuestionStatus as S

# `merged` is reached only through _merge, so no PATCH transition leads to it; `merged` and
# `retired` are final.
TRANSITIONS: Transitions[S] = {
    S.PROPOSED: frozenset({S.OPEN, S.RETIRED}),
    S.OPEN: frozenset({S.EXPLORING, S.PARKED, S.ANSWERED, S.RETIRED}),
    S.EXPLORING: frozenset({S.ANSWERED, S.PARKED, S.RETIRED}),
    S.PARKED: frozenset({S.OPEN, S.RETIRED}),
    S.ANSWERED: frozenset({S.OPEN, S.RETIRED}),
    S.MERGED: frozenset(),
    S.RETIRED: frozenset(),
}

# Where a question's asking has ended: answered (it may be reopened), merged or retired. The
# others are still open for the member who raised it (GET /me counts them).
CLOSED = frozenset({S.ANSWERED, S.MERGED, S.RETIRED})


def describe() -> str:
    """The lifecycle as a sentence per status, for the route descriptions."""
    lines = []
    for status, following in TRANSITIONS.items():
        if following:
            lines.append(f"`{status}` → " + " | ".join(f"`{s}`" for s in sorted(following)))
        else:
            lines.append(f"`{status}` is final")
    return "; ".join(lines) + "."
