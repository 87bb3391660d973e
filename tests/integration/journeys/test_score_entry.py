"""Entry by a score crossing a value (`score_crossed`, journeys only): the automations stream
consumer compares the score item's old and new images (through the template's filter), so a
crossing enters once, a score that moves while above enters no one, a redelivered record
enters once, and a score that decayed below the value and rises over it again crossed it.
Automation rules refuse the event (400, as any unknown event), and a bad `at_least` is
refused naming the field; a crossing can be a goal too."""

from __future__ import annotations

from typing import Any

import pytest

from ecrm.platform import clock, store
from ecrm.scoring.engine import Score
from ecrm.scoring.ledger import score_item
from local.event_filter import matches_any
from tests import events
from tests.conftest import product_template, table_items
from tests.integration.journeys.conftest import (
    SENDER,
    Sent,
    add_contacts,
    admin,
    happen,
    published,
    run_of,
    send,
    welcome_series,
)

DAY = 86400.0


def score_journey(**changes: Any) -> dict[str, Any]:
    body = {
        "name": "Hot leads",
        "entry": {"event": "score_crossed", "at_least": 50},
        "goal": None,
        "start": "first",
        "steps": [send("first", "welcome-1", None)],
    }
    return welcome_series(**(body | changes))


def image(contact_id: str, points: float, at: float, version: int) -> dict[str, Any]:
    """The score item scoring writes (`ledger.score_item`) with `points` of engagement that
    halve each day, as of `at`."""
    score = Score(1, "lead", half_life=DAY, as_of=at, engagement={"e": points}, version=version)
    return store.deserialize(store.serialize(score_item(contact_id, score, at)))


def deliver(new: dict[str, Any], old: dict[str, Any] | None, *, times: int = 1) -> Any:
    """The write's stream record, as the template's filter lets it reach the automations
    function, handed to it `times` times (a redelivery)."""
    from mailing.automations import lambda_handler

    functions = product_template().functions()
    [function] = [f for f in functions if f.logical_id == "AutomationsFunction"]
    [source] = function.stream_sources
    event = events.stream(new, event_name="MODIFY" if old else "INSERT")
    for record in event["Records"]:
        if old is not None:
            record["dynamodb"]["OldImage"] = store.serialize(old)
    records = [r for r in event["Records"] if matches_any(source.filter_patterns, r)]
    assert records, "the filter lets score writes through"
    for _ in range(times):
        answer = lambda_handler({"Records": records}, events.LambdaContext())
        assert answer["batchItemFailures"] == []


def runs_of(journey_id: str) -> list[dict[str, Any]]:
    return [
        i for i in table_items() if i.get("type") == "journey_run" and i["journey_id"] == journey_id
    ]


def end_long_ago(contact_id: str, journey_id: str) -> str:
    """End the contact's run, entered past the re-entry days: only the crossing rule is left
    to keep them out. Returns its `entered_at`."""
    run = run_of(contact_id, journey_id)
    run |= {"state": "ended", "entered_at": clock.iso(clock.now() - 2 * DAY)}
    store.batch_put([run])
    return str(run["entered_at"])


def test_a_score_crossing_the_value_enters_once_and_not_again_while_above(
    journey_env: Sent,
) -> None:
    journey_id = published(score_journey(reentry={"mode": "again_after", "days": 1}))
    [ann] = add_contacts(1)
    t0 = clock.now()
    deliver(image(ann, 30, t0, 1), None)  # first score: below
    assert runs_of(journey_id) == []
    deliver(image(ann, 55, t0, 2), image(ann, 30, t0, 1), times=2)  # crosses; redelivered
    assert len(runs_of(journey_id)) == 1
    entered_at = end_long_ago(ann, journey_id)
    deliver(image(ann, 70, t0 + 60, 3), image(ann, 55, t0, 2))  # moved, still above
    deliver(image(ann, 52, t0 + 120, 4), image(ann, 70, t0 + 60, 3))  # down, still above
    assert run_of(ann, journey_id)["entered_at"] == entered_at
    # 70 as of t0 + 60 has decayed to 17.5 two days later: rising to 80 crosses again.
    deliver(image(ann, 80, t0 + 60 + 2 * DAY, 5), image(ann, 70, t0 + 60, 3))
    assert run_of(ann, journey_id)["entered_at"] != entered_at
    assert len(runs_of(journey_id)) == 1


def test_a_score_falling_or_staying_below_enters_no_one(journey_env: Sent) -> None:
    journey_id = published(score_journey())
    [ann, bob] = add_contacts(2)
    t0 = clock.now()
    deliver(image(ann, 40, t0, 2), image(ann, 60, t0, 1))  # fell through the value
    deliver(image(bob, 49.99, t0, 2), image(bob, 10, t0, 1))  # rose, not far enough
    assert runs_of(journey_id) == []
    deliver(image(bob, 50, t0, 3), image(bob, 49.99, t0, 2))  # exactly the value: at or above
    assert [r["contact_id"] for r in runs_of(journey_id)] == [bob]


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"event": "score_crossed"}, "entry"),
        ({"event": "score_crossed", "at_least": -5}, "at_least"),
        ({"event": "score_crossed", "at_least": "lots"}, "at_least"),
        ({"event": "confirmed", "at_least": 50}, "entry"),
    ],
)
def test_a_bad_score_entry_is_refused_naming_the_field_and_nothing_is_written(
    journey_env: Sent, entry: dict[str, Any], field: str
) -> None:
    before = table_items()
    status, body = admin("POST", "/admin/journeys", body=score_journey(entry=entry))
    codes = {400: "malformed_request", 422: "validation_failed"}  # off the schema: 400
    assert codes.get(status) == body["error"]["code"], body
    assert any(field in name for name in body["error"]["fields"]), body
    assert table_items() == before


def test_a_refusal_says_what_the_journeys_check_says(journey_env: Sent) -> None:
    """A model's own check is answered in its words (pydantic put "Value error, " before them,
    which the console showed to marketers), under the union member's name as before."""
    entry = {"event": "score_crossed"}
    status, body = admin("POST", "/admin/journeys", body=score_journey(entry=entry))
    assert status == 400, body  # no entry kind fits: off the schema
    said = [m for name, m in body["error"]["fields"].items() if name.endswith("JourneyWhen]]")]
    assert said == ["score_crossed needs `at_least`; no other event has one"], body


def test_automation_rules_refuse_score_crossed(journey_env: Sent) -> None:
    before = table_items()
    rule = {
        "name": "Hot",
        "when": {"event": "score_crossed", "at_least": 50},
        "template_id": "welcome-1",
        "topic": "newsletter",
        "sender": SENDER,
    }
    status, body = admin("POST", "/admin/automations", body=rule)
    # off the rule's schema (`when.event`): 400, as any unknown event (a 422 is a rule's check)
    assert (status, body["error"]["code"]) == (400, "malformed_request"), body
    assert "when.event" in body["error"]["fields"], body
    assert table_items() == before


def test_a_score_crossing_is_a_goal_too(journey_env: Sent) -> None:
    journey_id = published(welcome_series(goal={"event": "score_crossed", "at_least": 50}))
    [ann] = add_contacts(1)
    t0 = clock.now()
    assert happen(ann, now=t0) == ([journey_id], [])
    deliver(image(ann, 45, t0 + 60, 2), image(ann, 10, t0, 1))
    assert run_of(ann, journey_id)["state"] == "active"
    deliver(image(ann, 50, t0 + 120, 3), image(ann, 45, t0 + 60, 2))
    run = run_of(ann, journey_id)
    assert (run["state"], run["outcome"]) == ("ended", "converted")
