"""The insight adoption ladder: captured → shared → piloted → embedded, one step at a time."""

from __future__ import annotations

from app.core.lifecycle import Transitions
from app.insights.models import Adoption as A

# Adoption only moves forward and never skips a stage: each stage is evidence for the next.
TRANSITIONS: Transitions[A] = {
    A.CAPTURED: frozenset({A.SHARED}),
    A.SHARED: frozenset({A.PILOTED}),
    A.PILOTED: frozenset({A.EMBEDDED}),
    A.EMBEDDED: frozenset(),
}
