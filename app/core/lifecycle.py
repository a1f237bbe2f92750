"""Status lifecycles: one shared check that a status change follows a resource's allowed moves."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TypeVar

from app.core.errors import Conflict

# A lifecycle's statuses: a str enum of the domain (or plain text).
Status = TypeVar("Status", bound=str)

# For every status, the statuses it may move to next (an empty set marks a final status).
Transitions = Mapping[Status, frozenset[Status]]


def _article(kind: str) -> str:
    return "An" if kind[:1].lower() in "aeiou" else "A"


def allowed_next(transitions: Transitions[Status], current: Status) -> list[Status]:
    """The statuses `current` may move to, sorted so problems and documents read the same."""
    return sorted(transitions.get(current, frozenset()))


def ensure_transition(
    kind: str, transitions: Transitions[Status], current: Status, new: Status
) -> None:
    """Raise Conflict (409) unless `current` → `new` is an allowed move for a `kind` resource.

    Staying in the same status is not a transition and always passes, so a merge patch that
    repeats the current status changes nothing. The problem carries `allowedTransitions`,
    the statuses a client may choose instead (empty for a final status).
    """
    if new == current:
        return
    allowed = allowed_next(transitions, current)
    if new in allowed:
        return
    if allowed:
        options = ", ".join(allowed)
        detail = (
            f"{_article(kind)} {kind} cannot move from '{current}' to '{new}'; from '{current}' it may move to: "
            f"{options}."
        )
    else:
        detail = f"{_article(kind)} {kind} in status '{current}' is final and accepts no further status change."
    raise Conflict(detail, extra={"allowedTransitions": allowed, "currentStatus": current})


def ensure_editable(kind: str, current: str, frozen: Collection[str]) -> None:
    """Raise Conflict (409) when a `kind` resource sits in a status that accepts no change at all.

    `frozen` names those statuses (e.g. `merged`: the survivor carries on, the merged one is
    history). A final status outside `frozen` may still have its other fields corrected.
    """
    if current in frozen:
        raise Conflict(
            f"{_article(kind)} {kind} in status '{current}' accepts no further changes.",
            extra={"allowedTransitions": [], "currentStatus": current},
        )
