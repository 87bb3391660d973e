"""`wait_for` steps: a run waits until an event happens to its contact (woken by the stream, one
Query of the contact's runs, never a Scan) or its timeout (the due index, as a wait), each way
to its own step; exactly once when the event and the timeout race, when a stream record is
delivered again, and when any AWS call of the run's life is killed (the fault sweep)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ecrm.automations.triggers import Happened
from ecrm.journeys import engine, entry, send_step
from ecrm.platform import aws, clock, keys, store
from ecrm.platform.errors import Busy
from local.faults import Faults, Kill, Killed
from tests.conftest import table_items
from tests.integration.journeys.conftest import (
    DAY,
    Sent,
    add_contacts,
    admin,
    advance,
    confirm,
    happen,
    published,
    run_of,
    send,
    subjects,
    welcome_series,
)

PRICING = {"event": "custom_event", "name": "pricing_viewed"}


def waiting_for_pricing(**changes: Any) -> dict[str, Any]:
    return welcome_series(
        steps=[
            send("first", "welcome-1", "pricing"),
            {
                "id": "pricing",
                "type": "wait_for",
                "event": PRICING,
                "timeout_minutes": 3 * DAY,
                "next": "thanks",
                "on_timeout": "nudge",
            },
            send("thanks", "welcome-2a", None),
            send("nudge", "welcome-2b", None),
        ],
        **changes,
    )


def viewed(contact_id: str, now: float, record_id: str | None = None) -> entry.Outcome:
    event = Happened("custom_event", contact_id, "ref-view", name="pricing_viewed")
    return entry.handle(event, now=now, record_id=record_id)


def stats_of(journey_id: str) -> dict[str, dict[str, int]]:
    status, body = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})
    assert status == 200, body
    return body["versions"]["1"]


def test_the_event_wakes_the_run_onto_its_next_step(journey_env: Sent) -> None:
    journey_id = published(waiting_for_pricing())
    [ann] = add_contacts(1)
    t0 = clock.now()
    happen(ann, now=t0)
    assert advance(ann, journey_id, t0) == "waiting"
    run = run_of(ann, journey_id)
    assert (run["step"], run["phase"]) == ("pricing", "listening")
    assert run["gsi1pk"].startswith("DUE#")  # the timeout is a due entry, as a wait's end
    assert viewed(ann, t0 + 3600).woken == [journey_id]
    assert viewed(ann, t0 + 3601).woken == []  # once woken, a second event wakes nothing
    assert (run_of(ann, journey_id)["step"], run_of(ann, journey_id)["phase"]) == (
        "thanks",
        "ready",
    )
    assert advance(ann, journey_id, t0 + 3602) == "ended"
    assert advance(ann, journey_id, t0 + 4 * DAY * 60) == "ended"  # the old timeout: nothing
    assert subjects(journey_env) == ["Mail welcome-1", "Mail welcome-2a"]
    counts = stats_of(journey_id)
    assert counts["pricing"] == {"entered": 1, "woken": 1, "passed": 1, "waiting": 0}
    assert "nudge" not in counts


def test_without_the_event_the_timeout_takes_its_own_way(journey_env: Sent) -> None:
    journey_id = published(waiting_for_pricing())
    [bob] = add_contacts(1)
    t0 = clock.now()
    happen(bob, now=t0)
    advance(bob, journey_id, t0)
    assert advance(bob, journey_id, t0 + 3 * DAY * 60 - 60) == "waiting"  # not yet
    assert advance(bob, journey_id, t0 + 3 * DAY * 60 + 1) == "ended"
    assert viewed(bob, t0 + 3 * DAY * 60 + 5).woken == []  # too late: it wakes nothing
    assert subjects(journey_env) == ["Mail welcome-1", "Mail welcome-2b"]
    counts = stats_of(journey_id)
    assert counts["pricing"] == {"entered": 1, "timed_out": 1, "passed": 1, "waiting": 0}


def test_a_timeout_on_null_ends_the_run_and_an_event_elsewhere_wakes_nothing(
    journey_env: Sent,
) -> None:
    body = waiting_for_pricing()
    body["steps"][1]["on_timeout"] = None
    body["steps"] = body["steps"][:3]
    journey_id = published(body)
    [cat, dan] = add_contacts(2)
    t0 = clock.now()
    for person in (cat, dan):
        happen(person, now=t0)
        advance(person, journey_id, t0)
    assert happen(dan, "custom_event", name="other", now=t0 + 60) == ([], [])
    assert run_of(dan, journey_id)["phase"] == "listening"
    assert viewed(cat, t0 + 60).woken == [journey_id]  # only the contact it happened to
    assert run_of(dan, journey_id)["phase"] == "listening"
    assert advance(dan, journey_id, t0 + 3 * DAY * 60 + 1) == "ended"
    assert run_of(dan, journey_id)["outcome"] == "completed"
    assert stats_of(journey_id)["pricing"]["exited"] == 1


@pytest.mark.parametrize("first", ["event", "timeout"])
def test_the_event_and_the_timeout_racing_move_the_run_once(
    journey_env: Sent, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    """Each reads the run listening; the other moves it before its own write: one way wins."""
    journey_id = published(waiting_for_pricing())
    [eve] = add_contacts(1)
    t0 = clock.now()
    happen(eve, now=t0)
    advance(eve, journey_id, t0)
    late = t0 + 3 * DAY * 60 + 1  # the event comes in the timeout's very minute
    real_get, real_query = store.get, store.query_all
    key = keys.journey_run(eve, journey_id)
    armed = {"on": True}

    def get_then_wake(k: Any, **kw: Any) -> Any:  # the tick's read, then the event
        found = real_get(k, **kw)
        if armed["on"] and dict(k) == key:
            armed["on"] = False
            assert viewed(eve, late).woken == [journey_id]
        return found

    def query_then_timeout(pk: str, **kw: Any) -> Any:  # the stream's read, then the tick
        found = list(real_query(pk, **kw))
        if armed["on"] and pk == key["pk"]:
            armed["on"] = False
            engine.advance(key, now=late)
        return iter(found)

    if first == "event":
        monkeypatch.setattr(store, "get", get_then_wake)
        engine.advance(key, now=late)
    else:
        monkeypatch.setattr(store, "query_all", query_then_timeout)
        assert viewed(eve, late).woken == []
    monkeypatch.undo()
    advance(eve, journey_id, late + 1)
    assert not armed["on"]
    expected = "Mail welcome-2a" if first == "event" else "Mail welcome-2b"
    assert subjects(journey_env) == ["Mail welcome-1", expected]
    counts = stats_of(journey_id)["pricing"]
    assert counts == {
        "entered": 1,
        ("woken" if first == "event" else "timed_out"): 1,
        "passed": 1,
        "waiting": 0,
    }


def test_a_stream_record_delivered_again_wakes_no_later_wait(journey_env: Sent) -> None:
    """Two waits for the same event in a row, the first step of the journey: the entry's
    record does not wake the first, a record delivered again does not wake the second."""
    body = welcome_series(
        entry=PRICING,
        goal=None,
        start="w1",
        steps=[
            {"id": "w1", "type": "wait_for", "event": PRICING, "timeout_minutes": 60, "next": "w2"},
            {"id": "w2", "type": "wait_for", "event": PRICING, "timeout_minutes": 60},
        ],
    )
    journey_id = published(body)
    [fay] = add_contacts(1)
    t0 = clock.now()
    done = viewed(fay, t0, record_id="rec-1")
    assert (done.entered, done.woken) == ([journey_id], [])
    assert viewed(fay, t0 + 1, record_id="rec-1").woken == []  # redelivered: still at w1
    assert run_of(fay, journey_id)["step"] == "w1"
    assert viewed(fay, t0 + 2, record_id="rec-2").woken == [journey_id]
    assert viewed(fay, t0 + 3, record_id="rec-2").woken == []  # redelivered: still at w2
    assert run_of(fay, journey_id)["step"] == "w2"
    assert viewed(fay, t0 + 4, record_id="rec-3").woken == [journey_id]
    assert run_of(fay, journey_id)["outcome"] == "completed"


def test_the_stream_finds_waiting_runs_by_key_and_reads_nothing_for_other_events(
    journey_env: Sent,
) -> None:
    journey_id = published(waiting_for_pricing())
    [gus] = add_contacts(1)
    t0 = clock.now()
    happen(gus, now=t0)
    advance(gus, journey_id, t0)
    calls: list[tuple[str, dict[str, Any]]] = []

    def seen(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, params))

    client = aws.dynamodb()
    client.meta.events.register("before-call.dynamodb", seen, unique_id="wake-calls")
    try:
        happen(gus, "stage_reached", stage="sql", now=t0 + 1)  # nobody waits for a stage
        assert not [c for c in calls if c[0] == "Query" and "CONTACT#" in str(c[1])]
        assert viewed(gus, t0 + 2).woken == [journey_id]
    finally:
        client.meta.events.unregister("before-call.dynamodb", unique_id="wake-calls")
    names = [name for name, _ in calls]
    assert "Scan" not in names
    queries = [json.loads(p["body"]) for n, p in calls if n == "Query" and "CONTACT#" in str(p)]
    assert len(queries) == 1 and queries[0]["ConsistentRead"] is True, queries
    assert "begins_with" in queries[0]["KeyConditionExpression"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"on_timeout": "nowhere"}, "steps.1"),
        ({"event": {"event": "custom_event"}}, "steps.1.wait_for.event"),
        ({"timeout_minutes": 0}, "steps.1.wait_for.timeout_minutes"),
        ({"timeout_minutes": 367 * DAY}, "steps.1.wait_for.timeout_minutes"),
    ],
)
def test_a_bad_wait_for_is_refused_naming_the_step_and_nothing_is_written(
    journey_env: Sent, change: dict[str, Any], field: str
) -> None:
    body = waiting_for_pricing()
    body["steps"][1] |= change
    before = table_items()
    status, answer = admin("POST", "/admin/journeys", body=body)
    assert status in (400, 422), answer
    assert any(f.startswith(field) for f in answer["error"]["fields"]), answer
    assert table_items() == before


# --- the fault sweep ------------------------------------------------------------------------

counting = {"on": False}


def _life(
    sent: Sent, faults: Faults, later: Callable[[float], None], person: str, kill: Kill | None
) -> tuple[str, int]:
    """Enter, the first mail, the event (stream record `rec-<person>`), the second mail."""
    kills = 0

    def again(do: Callable[[], object]) -> None:
        nonlocal kills
        for _ in range(60):
            try:
                do()
                do()  # a repeated minute, a redelivered record: nothing more
                return
            except Killed:
                kills += 1
                faults.revive()
                confirm(sent, faults)
                later(send_step.STALE_SENDING_SECONDS + 1)
            except Busy:
                confirm(sent, faults)
                later(60)
        raise AssertionError("the run never settled")

    journey_id = published(waiting_for_pricing(goal=None))
    faults.kills[:] = [kill] if kill else []
    counting["on"] = True
    again(lambda: happen(person, now=clock.now()))
    again(lambda: advance(person, journey_id, clock.now()))
    again(lambda: viewed(person, clock.now(), record_id=f"rec-{person}"))
    again(lambda: advance(person, journey_id, clock.now()))
    later(3 * DAY * 60 + 1)  # the old timeout comes and goes
    again(lambda: advance(person, journey_id, clock.now()))
    faults.kills[:] = []
    counting["on"] = False
    status, _ = admin("POST", "/admin/journeys/{journey_id}/stop", {"journey_id": journey_id})
    assert status == 200
    return journey_id, kills


def _exact(sent: Sent, journey_id: str, person: str) -> None:
    mine = Counter(t["jstep"] for t in sent.tags if t.get("journey") == journey_id)
    assert mine == Counter({"first": 1, "thanks": 1}), mine
    assert run_of(person, journey_id)["outcome"] == "completed"
    counts = stats_of(journey_id)
    assert counts["pricing"] == {"entered": 1, "woken": 1, "passed": 1, "waiting": 0}, counts
    assert counts["thanks"] == {"entered": 1, "sent": 1, "exited": 1, "waiting": 0}, counts


@pytest.fixture
def swept(journey_env: Sent, injected: Faults) -> Iterator[Faults]:
    yield injected


@pytest.mark.slow
def test_killed_before_and_after_every_aws_call_the_wake_and_each_mail_happen_once(
    journey_env: Sent, swept: Faults, later: Callable[[float], None]
) -> None:
    calls = {"n": 0}

    def count(**_: Any) -> None:
        calls["n"] += counting["on"]

    clients = (aws.dynamodb(), aws.sesv2())
    [first] = add_contacts(1, start=700)
    for client in clients:
        client.meta.events.register("before-call", count, unique_id="count-wake")
    try:
        journey_id, _ = _life(journey_env, Faults(), later, first, None)
    finally:
        for client in clients:
            client.meta.events.unregister("before-call", unique_id="count-wake")
    _exact(journey_env, journey_id, first)
    fired = 0
    for nth in range(1, calls["n"] + 1):
        for when in ("before", "after"):
            [person] = add_contacts(1, start=800 + 2 * nth + (when == "after"))
            kill = Kill(lambda _op, _params: True, when, nth)
            journey_id, kills = _life(journey_env, swept, later, person, kill)
            fired += kill.fired
            assert kills <= 1
            _exact(journey_env, journey_id, person)
    assert fired >= calls["n"]  # later lives read less (cached versions, the send policy)
