"""Pure, precompiled score evaluation: no I/O, no clock (callers pass `now`).

A contact's `Score` holds fit points per rule and engagement points per rule *as of* `as_of`.
Engagement decays exponentially (`decayed`): positive points halve every half-life, penalties
stay. Because exponential decay is memoryless, decaying lazily from the stored `as_of` gives
the same value as any sequence of intermediate updates: the one function `Score.total(at)` is
used wherever a score is read or updated.

Events of one contact are applied in time order (ties by event id), so the order in which a
batch lists them never matters; each event id is applied once (`Score.applied`).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ecrm.platform import clock
from ecrm.scoring.fit import predicate
from ecrm.scoring.rules import EngagementRule, Ruleset, free_mail_domains

# Lambda's stream keeps a record 24 h: an event applied longer ago than this can never be
# delivered again, so its id (and a cap window that ended before it) can be forgotten.
RETENTION_SECONDS = 26 * 3600
_DIGITS = 6
_LN2 = math.log(2)


def decayed(points: float, seconds: float, half_life: float | None) -> float:
    """Positive points after `seconds` of decay; penalties (and no half-life) do not decay."""
    if points <= 0 or half_life is None or seconds <= 0:
        return points
    return points * math.exp(-_LN2 * seconds / half_life)


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    type: str
    at: float
    form_id: str | None = None
    scanner: bool = False
    name: str | None = None  # a custom event's (`POST /events`)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Event:
        return cls(
            event_id=str(item["event_id"]),
            type=str(item["type"]),
            at=clock.epoch(str(item["at"])),
            form_id=item.get("form_id"),
            scanner=bool(item.get("scanner", False)),
            name=item.get("name") if item.get("type") == "custom_event" else None,
        )


@dataclass
class Score:
    """What the score item stores (see `ledger`); `version` is its optimistic lock."""

    ruleset_version: int
    stage: str
    half_life: float | None = None
    as_of: float | None = None
    stage_since: float | None = None
    fit: dict[str, float] = field(default_factory=dict)
    engagement: dict[str, float] = field(default_factory=dict)
    caps: dict[str, int] = field(default_factory=dict)  # "<rule>#<period s>#<window>" -> count
    applied: dict[str, float] = field(default_factory=dict)  # event id -> when applied
    version: int = 0

    def engagement_at(self, at: float) -> dict[str, float]:
        lag = at - self.as_of if self.as_of is not None else 0.0
        return {rule: decayed(v, lag, self.half_life) for rule, v in self.engagement.items()}

    def total(self, at: float) -> float:
        return sum(self.fit.values()) + sum(self.engagement_at(at).values())

    def forget_before(self, now: float) -> None:
        """Drop applied ids and cap windows that no redelivery can need any more."""
        horizon = now - RETENTION_SECONDS
        self.applied = {e: t for e, t in self.applied.items() if t >= horizon}
        self.caps = {k: n for k, n in self.caps.items() if _window_end(k) >= horizon}


def _window_end(cap_key: str) -> float:
    _, seconds, window = cap_key.rsplit("#", 2)
    return (int(window) + 1) * int(seconds)


@dataclass(frozen=True)
class Change:
    """One event that moved the score: points per rule, rules that were capped."""

    event_id: str
    event_type: str
    at: float
    points: dict[str, float]
    capped: tuple[str, ...]
    score: float
    event_name: str | None = None  # a custom event's


@dataclass(frozen=True)
class Transition:
    from_stage: str
    to_stage: str
    at: float
    score: float
    cause: str  # the event id that moved the contact, or "ruleset-v<n>"


@dataclass
class Outcome:
    score: Score
    changes: list[Change]
    transitions: list[Transition]


@dataclass(frozen=True, slots=True)
class _Rule:
    id: str
    points: float
    per_form: Mapping[str, float]
    cap_count: int
    cap_seconds: int
    event: str | None  # custom_event rules: only this event


class Engine:
    """A ruleset compiled once: rules indexed by interaction type, predicates prebuilt."""

    def __init__(self, ruleset: Ruleset, free_mail: frozenset[str] | None = None) -> None:
        self.ruleset = ruleset
        self.version = ruleset.version
        days = ruleset.decay.half_life_days
        self.half_life = days * 86400 if days else None
        self.demote = ruleset.demote
        self.stages = ruleset.stage_names()
        self._thresholds = [s.at_least or 0.0 for s in ruleset.stages[1:]]
        self._rank = {name: i for i, name in enumerate(self.stages)}
        domains = free_mail_domains() if free_mail is None else free_mail
        self._fit = tuple((r.id, predicate(r, domains), r.points) for r in ruleset.fit)
        by_type: dict[str, list[_Rule]] = {}
        for rule in ruleset.engagement:
            by_type.setdefault(rule.on, []).append(_compile(rule))
        self._by_type = {kind: tuple(rules) for kind, rules in by_type.items()}

    # --- pieces -------------------------------------------------------------------------
    def new_score(self) -> Score:
        return Score(ruleset_version=self.version, stage=self.stages[0], half_life=self.half_life)

    def fit(self, contact: Mapping[str, Any]) -> dict[str, float]:
        return {rule_id: points for rule_id, test, points in self._fit if test(contact)}

    def stage_for(self, total: float, current: str) -> str:
        """Thresholds compare the score as shown (in cents): 34.99999 shown as 35 is 35."""
        total, index = round(total, 2), 0
        for i, threshold in enumerate(self._thresholds, 1):
            if total >= threshold:
                index = i
        if not self.demote and index < self._rank.get(current, -1):
            return current
        return self.stages[index]

    # --- applying events ------------------------------------------------------------------
    def apply(
        self, score: Score, events: Iterable[Event], fit: Mapping[str, float], now: float
    ) -> Outcome:
        """New events (ids not yet applied) in time order; returns a new Score."""
        score = copy.deepcopy(score)
        score.fit, score.half_life, score.ruleset_version = dict(fit), self.half_life, self.version
        changes: list[Change] = []
        transitions: list[Transition] = []
        for event in sorted(events, key=lambda e: (e.at, e.event_id)):
            if event.event_id in score.applied:
                continue
            score.applied[event.event_id] = now
            change = self._score_event(score, event)
            if change is not None:
                changes.append(change)
            moved = self._restage(score, max(event.at, score.as_of or event.at), event.event_id)
            if moved is not None:
                transitions.append(moved)
        return Outcome(score, changes, transitions)

    def replay(
        self, events: Iterable[Event], fit: Mapping[str, float], now: float, previous: Score | None
    ) -> Outcome:
        """The score as if this ruleset had always been in force (a re-score): one change (the
        ruleset), and one transition from the previous stage if the contact moved."""
        events = list(events)
        outcome = self.apply(self.new_score(), events, fit, now)
        score = outcome.score
        recent = {e.event_id for e in events if e.at >= now - RETENTION_SECONDS}
        score.applied = {e: t for e, t in score.applied.items() if e in recent}
        before = previous.stage if previous else self.stages[0]
        score.version = previous.version if previous else 0
        cause = f"ruleset-v{self.version}"
        total = round(score.total(max(now, score.as_of or now)), _DIGITS)
        rebuilt = [Change(cause, "ruleset_changed", now, {}, (), total)]
        if before == score.stage:
            score.stage_since = previous.stage_since if previous else None
            return Outcome(score, rebuilt, [])
        score.stage_since = now
        return Outcome(score, rebuilt, [Transition(before, score.stage, now, total, cause)])

    def _score_event(self, score: Score, event: Event) -> Change | None:
        rules = self._by_type.get(event.type)
        if event.scanner or not rules:
            return None
        points: dict[str, float] = {}
        capped: list[str] = []
        for rule in rules:
            if rule.event is not None and rule.event != event.name:
                continue
            value = rule.per_form.get(event.form_id or "", rule.points)
            if not value:
                continue
            if rule.cap_count:
                key = f"{rule.id}#{rule.cap_seconds}#{int(event.at // rule.cap_seconds)}"
                used = score.caps.get(key, 0)
                if used >= rule.cap_count:
                    capped.append(rule.id)
                    continue
                score.caps[key] = used + 1
            points[rule.id] = value
        if not points:
            return None
        self._advance(score, event.at)
        assert score.as_of is not None
        lag = score.as_of - event.at  # > 0 only for an event older than the score
        for rule_id, value in points.items():
            added = decayed(value, lag, self.half_life)
            score.engagement[rule_id] = round(score.engagement.get(rule_id, 0.0) + added, _DIGITS)
        total = round(score.total(score.as_of), _DIGITS)
        return Change(
            event.event_id, event.type, event.at, points, tuple(capped), total, event.name
        )

    def _advance(self, score: Score, at: float) -> None:
        """Decay the stored engagement forward to `at` (never backwards)."""
        if score.as_of is None or at > score.as_of:
            if score.as_of is not None:
                lag = at - score.as_of
                score.engagement = {
                    k: round(decayed(v, lag, self.half_life), _DIGITS)
                    for k, v in score.engagement.items()
                }
            score.as_of = at

    def _restage(self, score: Score, at: float, cause: str) -> Transition | None:
        total = score.total(at)
        stage = self.stage_for(total, score.stage)
        if stage == score.stage:
            return None
        moved = Transition(score.stage, stage, at, round(total, _DIGITS), cause)
        score.stage, score.stage_since = stage, at
        return moved


def _compile(rule: EngagementRule) -> _Rule:
    cap = rule.cap
    count, seconds = (cap.count, cap.seconds) if cap else (0, 1)
    return _Rule(rule.id, rule.points, rule.per_form, count, seconds, rule.event)
