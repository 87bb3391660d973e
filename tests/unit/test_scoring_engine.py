"""The scoring engine, pure: rule evaluation, caps, decay and stages (no AWS, no clock)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecrm.scoring import schema
from ecrm.scoring.engine import RETENTION_SECONDS, Engine, Event, Score, decayed
from ecrm.scoring.report import explanation, wording
from ecrm.scoring.rules import default_ruleset

T0 = 1_750_000_000.0
DAY = 86400.0
TYPES = [
    "form_submitted",
    "confirmed",
    "email_opened",
    "email_clicked",
    "unsubscribed",
    "email_bounced",
    "preferences_updated",
    "email_delivered",
]


def engine(**changes: object) -> Engine:
    data = default_ruleset().to_item()
    data.update(changes)
    return Engine(schema.validate(data))


def event(n: int, kind: str, at: float, form: str | None = None, scanner: bool = False) -> Event:
    return Event(f"e{n:04d}", kind, at, form, scanner)


@st.composite
def batches(draw: st.DrawFn, max_size: int = 30) -> list[Event]:
    size = draw(st.integers(0, max_size))
    return [
        event(
            n,
            draw(st.sampled_from(TYPES)),
            T0 + draw(st.integers(0, 20 * 86400)),
            draw(st.sampled_from([None, "newsletter", "demo-request"])),
            draw(st.booleans()),
        )
        for n in range(size)
    ]


ENGINES = [engine(), engine(demote=True), engine(decay={"half_life_days": None})]
COMPANY = {"email": "ann@acme.example"}


def run(e: Engine, events: list[Event], now: float = T0 + 30 * DAY, base: Score | None = None):
    return e.apply(base or e.new_score(), events, e.fit(COMPANY), now)


# --- properties ---------------------------------------------------------------------------
@given(
    st.floats(-1000, 1000),
    st.floats(0, 10**9),
    st.one_of(st.none(), st.floats(1, 10**9)),
)
def test_decay_never_increases_points(points: float, seconds: float, half_life: float | None):
    assert decayed(points, seconds, half_life) <= points


@settings(max_examples=150)
@given(batches(), st.integers(0, 2), st.floats(0, 400 * DAY), st.floats(0, 400 * DAY))
def test_decay_never_increases_a_score(events, which, later, more):
    e = ENGINES[which]
    score = run(e, events).score
    start = score.as_of or T0
    assert score.total(start + later + more) <= score.total(start + later) + 1e-9


@settings(max_examples=150)
@given(batches(), st.integers(0, 2), st.randoms(use_true_random=False))
def test_the_order_of_events_within_a_batch_does_not_change_the_result(events, which, rnd):
    e = ENGINES[which]
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert run(e, shuffled) == run(e, events)


@settings(max_examples=150)
@given(batches(), st.integers(0, 2), st.data())
def test_splitting_a_batch_in_time_order_gives_the_same_score(events, which, data):
    e = ENGINES[which]
    events = sorted(events, key=lambda ev: (ev.at, ev.event_id))
    cut = data.draw(st.integers(0, len(events)))
    first = run(e, events[:cut])
    second = run(e, events[cut:], base=first.score)
    whole = run(e, events)
    assert second.score == whole.score
    assert first.changes + second.changes == whole.changes
    assert first.transitions + second.transitions == whole.transitions


@settings(max_examples=100)
@given(batches(), st.integers(0, 2))
def test_a_redelivered_batch_changes_nothing(events, which):
    e = ENGINES[which]
    once = run(e, events)
    again = run(e, events, base=once.score)
    assert again.score == once.score and again.changes == [] and again.transitions == []


@settings(max_examples=100)
@given(batches(60))
def test_caps_count_at_most_n_events_per_window(events):
    e = engine()
    changes = run(e, events).changes
    per_day: dict[int, int] = {}
    for change in changes:
        if "opened" in change.points:
            day = int(change.at // DAY)
            per_day[day] = per_day.get(day, 0) + 1
    assert all(count <= 3 for count in per_day.values())


@settings(max_examples=100)
@given(batches(), st.integers(0, 2), st.floats(0, 200 * DAY))
def test_the_explanation_adds_up_to_the_score(events, which, later):
    score = run(ENGINES[which], events).score
    explained = explanation(score, (score.as_of or T0) + later)
    assert round(sum(line["points"] for line in explained["lines"]), 2) == explained["score"]
    for line in explained["lines"]:
        if line["kind"] == "engagement":
            assert round(line["points_at_last_activity"] + line["decay"], 2) == line["points"]
    assert explained["decay"]["points"] <= 0
    assert explained["score"] == pytest.approx(score.total((score.as_of or T0) + later), abs=0.05)


@given(batches())
def test_scanner_flagged_events_never_score(events):
    flagged = [Event(ev.event_id, ev.type, ev.at, ev.form_id, True) for ev in events]
    assert run(engine(), flagged).changes == []


# --- examples -----------------------------------------------------------------------------
def test_form_weights_fit_and_stages():
    e = engine()
    outcome = run(e, [event(1, "form_submitted", T0, "demo-request")], now=T0)
    assert outcome.score.fit == {"company-email": 10}
    assert outcome.score.engagement == {"form": 30}
    assert [(t.from_stage, t.to_stage, t.cause) for t in outcome.transitions] == [
        ("subscriber", "lead", "e0001")
    ]
    other = e.apply(e.new_score(), [event(1, "form_submitted", T0, "newsletter")], {}, T0)
    assert other.score.engagement == {"form": 10} and other.transitions == []  # 10 < 20


def test_a_custom_event_scores_by_its_name_only_and_says_why():
    rules = [
        {"id": "buy", "on": "custom_event", "event": "purchased", "points": 30},
        {"id": "churn", "on": "custom_event", "event": "cancelled", "points": -40},
    ]
    e = engine(engagement=rules)
    bought = Event("e1", "custom_event", T0, name="purchased")
    viewed = Event("e2", "custom_event", T0 + 1, name="viewed")
    unnamed = Event("e3", "custom_event", T0 + 2)
    outcome = run(e, [bought, viewed, unnamed], now=T0 + 2)
    assert outcome.score.engagement == {"buy": 30}
    [change] = outcome.changes
    assert (change.event_id, change.event_name, change.points) == ("e1", "purchased", {"buy": 30})
    because = wording(e.ruleset)
    lines = explanation(outcome.score, T0 + 2, because)["lines"]
    assert [line["because"] for line in lines if line["rule"] == "buy"] == [
        'each "purchased" event: 30 points'
    ]
    assert because["company-email"] == "the address is at a company domain"


def test_engagement_halves_after_the_half_life_and_penalties_stay():
    e = engine()
    score = run(e, [event(1, "confirmed", T0), event(2, "unsubscribed", T0)], now=T0).score
    assert score.engagement_at(T0 + 30 * DAY) == pytest.approx(
        {"confirmed": 7.5, "unsubscribed": -30}
    )


def test_a_late_event_is_decayed_as_if_it_had_arrived_in_time():
    e = engine()
    on_time = run(e, [event(1, "confirmed", T0), event(2, "email_clicked", T0 + 5 * DAY)])
    late = run(e, [event(2, "email_clicked", T0 + 5 * DAY)])
    late = run(e, [event(1, "confirmed", T0)], base=late.score)
    assert late.score.total(T0 + 9 * DAY) == pytest.approx(on_time.score.total(T0 + 9 * DAY))


def test_stages_move_down_only_when_the_ruleset_says_so():
    events = [event(1, "form_submitted", T0, "demo-request"), event(2, "unsubscribed", T0 + 1)]
    assert run(engine(), events).score.stage == "lead"
    down = run(engine(demote=True), events)
    assert down.score.stage == "subscriber"
    assert [(t.from_stage, t.to_stage) for t in down.transitions] == [
        ("subscriber", "lead"),
        ("lead", "subscriber"),
    ]


@pytest.mark.parametrize(
    ("rule", "contact", "hit"),
    [
        ({"kind": "equals", "field": "country", "value": "DE"}, {"country": "de"}, True),
        ({"kind": "equals", "field": "country", "value": "DE"}, {"country": "FR"}, False),
        ({"kind": "equals", "field": "employees", "value": 50}, {"employees": 50}, True),
        (
            {"kind": "contains", "field": "job_title", "value": "head"},
            {"job_title": "Head of IT"},
            True,
        ),
        (
            {"kind": "contains", "field": "interests", "value": "events"},
            {"interests": ["Events"]},
            True,
        ),
        (
            {"kind": "contains", "field": "interests", "value": "event"},
            {"interests": ["Events"]},
            False,
        ),
        (
            {"kind": "in", "field": "industry", "values": ["saas", "retail"]},
            {"industry": "SaaS"},
            True,
        ),
        ({"kind": "in", "field": "industry", "values": ["saas"]}, {}, False),
        (
            {"kind": "range", "field": "employees", "min": 50, "max": 500},
            {"employees": "120"},
            True,
        ),
        ({"kind": "range", "field": "employees", "min": 50}, {"employees": 10}, False),
        ({"kind": "range", "field": "employees", "max": 9}, {"employees": "many"}, False),
        ({"kind": "email_domain", "domain": "free_mail"}, {"email": "a@gmail.com"}, True),
        ({"kind": "email_domain", "domain": "company"}, {"email": "a@gmail.com"}, False),
        ({"kind": "email_domain", "domain": "company"}, {"email": "a@acme.example"}, True),
    ],
)
def test_fit_rules(rule: dict[str, object], contact: dict[str, object], hit: bool):
    e = engine(fit=[{**rule, "id": "r", "points": 7}])
    assert e.fit(contact) == ({"r": 7} if hit else {})


def test_applied_ids_and_cap_windows_are_forgotten_after_the_retention_window():
    e = engine()
    score = run(e, [event(n, "email_opened", T0 + n) for n in range(5)], now=T0).score
    assert len(score.applied) == 5 and score.caps
    score.forget_before(T0 + RETENTION_SECONDS + DAY + 1)
    assert score.applied == {} and score.caps == {}


def test_evaluation_is_deterministic_across_many_random_contacts():
    rnd = random.Random(7)
    e = engine()
    for _ in range(50):
        events = [event(n, rnd.choice(TYPES), T0 + rnd.randrange(10 * 86400)) for n in range(20)]
        assert run(e, events) == run(e, list(reversed(events)))
