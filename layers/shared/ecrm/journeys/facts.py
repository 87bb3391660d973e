"""What a walk reads of its contact, only when a step needs it and at most once a walk: the
contact item (a `wait_until` step's zone, a segment branch's conditions) and its score item (a
branch on `stage` or `score`). A step that changes the contact (`update_step`) hands the walk
the contact as its move leaves it, so a step after it sees the change.

A segment branch evaluates its conditions as a segment does (`ecrm.segments.conditions.holds`,
all of them must hold) on the contact as it is when the run reaches the branch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ecrm.platform import keys, store

_UNREAD: Any = object()


class Facts:
    def __init__(self, contact_id: str, contact: Mapping[str, Any] | None = None) -> None:
        self.contact_id = contact_id
        self._contact: Any = _UNREAD if contact is None else contact
        self._score: Any = _UNREAD

    def contact(self) -> Mapping[str, Any] | None:
        if self._contact is _UNREAD:
            self._contact = store.get(keys.contact(self.contact_id), consistent=False)
        return self._contact  # type: ignore[no-any-return]

    def score(self) -> Mapping[str, Any] | None:
        if self._score is _UNREAD:
            self._score = store.get(keys.score(self.contact_id), consistent=False)
        return self._score  # type: ignore[no-any-return]

    def in_segment(self, stored: Sequence[Mapping[str, Any]], now: float) -> bool:
        """Whether every condition holds (a contact gone holds none)."""
        contact = self.contact()
        if contact is None:
            return False
        from ecrm.segments import conditions as segment_conditions  # noqa: PLC0415 - a branch's

        wanted = [segment_conditions.condition(c) for c in stored]
        needs_score = any(
            isinstance(c, segment_conditions.StageCondition | segment_conditions.ScoreCondition)
            for c in wanted
        )
        score = self.score() if needs_score else None
        return all(segment_conditions.holds(c, contact, score, now) for c in wanted)
