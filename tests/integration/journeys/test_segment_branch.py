"""Branches on segment conditions: a run takes `yes` when every condition holds for its contact
as it is when the run gets there (the segments' own evaluation: fields, interests, topics,
status, stage, score, activity), including what an update step just before changed; a bad
condition is refused naming the step; a kill before or after any AWS call takes one path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ecrm.platform import aws, clock, keys, store
from local.faults import Faults, Kill
from tests.conftest import table_items
from tests.integration.journeys.conftest import (
    Sent,
    add_contacts,
    admin,
    advance,
    confirm,
    happen,
    published,
    run_of,
    send,
    welcome_series,
)
from tests.integration.journeys.test_wait_until import COUNTING, _again, _count

SALES_SQL = [
    {"kind": "field", "field": "role", "op": "eq", "value": "sales"},
    {"kind": "stage", "in": ["sql"]},
]


def branching(conditions: list[dict[str, Any]], before: list[dict[str, Any]] = ()) -> Any:  # type: ignore[assignment]
    first = before[0]["id"] if before else "is_sales"
    return welcome_series(
        goal=None,
        start=first,
        steps=[
            *before,
            {
                "id": "is_sales",
                "type": "branch",
                "if": {"conditions": conditions},
                "yes": "for_sales",
                "no": "for_others",
            },
            send("for_sales", "welcome-2a", None),
            send("for_others", "welcome-2b", None),
        ],
    )


def sent_step(sent: Sent, journey_id: str, contact_id: str) -> list[str]:
    return [
        t["jstep"]
        for t in sent.tags
        if t.get("journey") == journey_id and t.get("contact") == contact_id
    ]


def walk_through(person: str, journey_id: str) -> None:
    t0 = clock.now()
    happen(person, now=t0)
    assert advance(person, journey_id, t0) == "ended"


def test_a_branch_on_conditions_sends_each_contact_their_path(journey_env: Sent) -> None:
    journey_id = published(branching(SALES_SQL))
    [ann] = add_contacts(1, start=1, role="sales")
    [bob] = add_contacts(1, start=2, role="sales")
    [cat] = add_contacts(1, start=3, role="engineering")
    for person in (ann, cat):
        store.write(store.Put({**keys.score(person), "stage": "sql", "ruleset_version": 1}))
    for person in (ann, bob, cat):
        walk_through(person, journey_id)
    assert sent_step(journey_env, journey_id, ann) == ["for_sales"]
    assert sent_step(journey_env, journey_id, bob) == ["for_others"]  # no score: not sql
    assert sent_step(journey_env, journey_id, cat) == ["for_others"]
    _, body = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})
    assert body["versions"]["1"]["is_sales"] == {"entered": 3, "passed": 3, "waiting": 0}


def test_a_branch_after_an_update_step_sees_the_contact_as_updated(journey_env: Sent) -> None:
    update = {"id": "tag", "type": "update", "set": {"role": "sales"}, "next": "is_sales"}
    journey_id = published(
        branching([{"kind": "field", "field": "role", "op": "eq", "value": "sales"}], [update])
    )
    [dan] = add_contacts(1, start=4, role="engineering")
    t0 = clock.now()
    happen(dan, now=t0)
    advance(dan, journey_id, t0)
    assert run_of(dan, journey_id)["outcome"] == "completed"
    assert sent_step(journey_env, journey_id, dan) == ["for_sales"]


@pytest.mark.parametrize(
    ("asked", "field"),
    [
        ({"conditions": [{"kind": "field", "field": "role", "op": "like"}]}, "steps.0"),
        ({"conditions": [{"kind": "activity", "event": "custom", "within_days": 3}]}, "steps.0"),
        ({"conditions": []}, "steps.0"),
        ({"conditions": SALES_SQL, "opened": "for_sales"}, "steps.0"),
        ({"conditions": [{"kind": "score", "min": 5, "max": 1}]}, "steps.0"),
    ],
)
def test_a_bad_segment_branch_is_refused_naming_the_step(
    journey_env: Sent, asked: dict[str, Any], field: str
) -> None:
    body = branching(SALES_SQL)
    body["steps"][0]["if"] = asked
    before = table_items()
    status, answer = admin("POST", "/admin/journeys", body=body)
    assert status in (400, 422), answer
    assert any(f.startswith(field) for f in answer["error"]["fields"]), answer
    assert table_items() == before


def _life(sent: Sent, faults: Faults, later: Any, person: str, kill: Kill | None) -> str:
    journey_id = published(branching(SALES_SQL))
    faults.kills[:] = [kill] if kill else []
    COUNTING["on"] = True
    t0 = clock.now()
    _again(lambda: happen(person, now=t0), sent, faults, later)
    _again(lambda: advance(person, journey_id, clock.now()), sent, faults, later)
    COUNTING["on"] = False
    faults.kills[:] = []
    admin("POST", "/admin/journeys/{journey_id}/stop", {"journey_id": journey_id})
    return journey_id


@pytest.mark.slow
def test_killed_before_and_after_every_aws_call_a_branch_takes_one_path(
    journey_env: Sent, injected: Faults, later: Callable[[float], None]
) -> None:
    def person(n: int) -> str:
        [found] = add_contacts(1, start=n, role="sales")
        store.write(store.Put({**keys.score(found), "stage": "sql", "ruleset_version": 1}))
        return found

    clients = (aws.dynamodb(), aws.sesv2())
    COUNTING["n"] = 0
    for client in clients:
        client.meta.events.register("before-call", _count, unique_id="count-branch")
    try:
        first = person(200)
        journey_id = _life(journey_env, Faults(), later, first, None)
    finally:
        for client in clients:
            client.meta.events.unregister("before-call", unique_id="count-branch")
    assert sent_step(journey_env, journey_id, first) == ["for_sales"]
    for nth in range(1, COUNTING["n"] + 1):
        for when in ("before", "after"):
            someone = person(210 + 2 * nth + (when == "after"))
            kill = Kill(lambda _op, _params: True, when, nth)
            journey_id = _life(journey_env, injected, later, someone, kill)
            confirm(journey_env, injected)
            assert sent_step(journey_env, journey_id, someone) == ["for_sales"]
            assert run_of(someone, journey_id)["outcome"] == "completed"
