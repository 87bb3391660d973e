"""`wait_until` steps: a run waits until its contact's wall clock shows a time of day, in the
contact's zone as local-time sends read it (their `time_zone`, their country's, the account's),
right across daylight saving changes; a bad time is refused naming the step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ecrm.journeys import send_step
from ecrm.journeys.local_wait import next_moment
from ecrm.platform import aws, clock
from ecrm.platform.errors import Busy
from local.faults import Faults, Kill, Killed
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
    subjects,
    welcome_series,
)

NEW_YORK, PARIS = ZoneInfo("America/New_York"), ZoneInfo("Europe/Paris")


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("now", "hh_mm", "zone", "expected"),
    [
        # the day New York springs forward (8 March 2026): 09:00 EDT comes 23 hours after 10:00 EST
        ("2026-03-07T15:00:00", "09:00", NEW_YORK, "2026-03-08T13:00:00"),
        ("2026-03-07T13:00:00", "09:00", NEW_YORK, "2026-03-07T14:00:00"),  # later today, EST
        # a time the clocks skip (02:30 that night) is the jump itself: 03:00 EDT
        ("2026-03-07T15:00:00", "02:30", NEW_YORK, "2026-03-08T07:00:00"),
        # a time they repeat (01:30 on 1 November 2026) is its first pass, in EDT
        ("2026-10-31T20:00:00", "01:30", NEW_YORK, "2026-11-01T05:30:00"),
        # Paris falls back on 25 October 2026: 09:00 CET is 08:00 UTC, the day before 07:00 UTC
        ("2026-10-24T10:00:00", "09:00", PARIS, "2026-10-25T08:00:00"),
        ("2026-10-23T10:00:00", "09:00", PARIS, "2026-10-24T07:00:00"),
        # exactly at the time: the next day's
        ("2026-06-01T07:00:00", "09:00", PARIS, "2026-06-02T07:00:00"),
    ],
)
def test_the_next_moment_follows_the_wall_clock_across_daylight_saving(
    now: str, hh_mm: str, zone: ZoneInfo, expected: str
) -> None:
    hours, minutes = map(int, hh_mm.split(":"))
    assert next_moment(utc(now), hours * 60 + minutes, zone) == utc(expected)


def until_nine(**changes: Any) -> dict[str, Any]:
    return welcome_series(
        goal=None,
        start="morning",
        steps=[
            {"id": "morning", "type": "wait_until", "time": "09:00", "next": "first"},
            send("first", "welcome-1", None),
        ],
        **changes,
    )


def test_each_contact_waits_for_nine_in_their_own_zone(journey_env: Sent) -> None:
    journey_id = published(until_nine())
    [ny] = add_contacts(1, start=10, time_zone="America/New_York")
    [jp] = add_contacts(1, start=11, country="jp")
    [plain] = add_contacts(1, start=12)  # no zone: the account's (UTC by default)
    t0 = utc("2026-03-07T15:00:00")  # Saturday 10:00 in New York, the eve of its DST change
    for person in (ny, jp, plain):
        assert happen(person, now=t0) == ([journey_id], [])
    due = {p: run_of(p, journey_id)["due_at"] for p in (ny, jp, plain)}
    assert due == {
        ny: clock.iso(utc("2026-03-08T13:00:00")),  # 09:00 EDT, 23 hours on
        jp: clock.iso(utc("2026-03-08T00:00:00")),  # 09:00 in Tokyo
        plain: clock.iso(utc("2026-03-08T09:00:00")),
    }
    assert advance(ny, journey_id, utc("2026-03-08T12:59:00")) == "waiting"
    assert advance(ny, journey_id, utc("2026-03-08T13:00:00")) == "ended"
    assert subjects(journey_env) == ["Mail welcome-1"]
    _, body = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})
    assert body["versions"]["1"]["morning"] == {"entered": 3, "passed": 1, "waiting": 2}


@pytest.mark.parametrize("bad", ["24:00", "9:00", "09:60", "nine", ""])
def test_a_bad_time_of_day_is_refused_naming_the_step(journey_env: Sent, bad: str) -> None:
    body = until_nine()
    body["steps"][0]["time"] = bad
    before = table_items()
    status, answer = admin("POST", "/admin/journeys", body=body)
    assert status in (400, 422), answer
    assert any(f.startswith("steps.0") for f in answer["error"]["fields"]), answer
    assert table_items() == before


COUNTING = {"n": 0, "on": False}


def _count(**_: Any) -> None:
    COUNTING["n"] += COUNTING["on"]


def _again(do: Callable[[], object], sent: Sent, faults: Faults, later: Any) -> None:
    for _ in range(10):
        try:
            do()
            do()  # redelivered, the minute read again
            return
        except Killed:
            faults.revive()
            confirm(sent, faults)  # SES's Send event for what a dead worker sent
            later(send_step.STALE_SENDING_SECONDS + 1)
        except Busy:
            confirm(sent, faults)
            later(60)
    raise AssertionError("the run never settled")


def _life(sent: Sent, faults: Faults, later: Any, person: str, kill: Kill | None) -> str:
    journey_id = published(until_nine())
    faults.kills[:] = [kill] if kill else []
    COUNTING["on"] = True
    t0 = clock.now()
    _again(lambda: happen(person, now=t0), sent, faults, later)
    _again(lambda: advance(person, journey_id, t0 + 2 * 86400), sent, faults, later)
    COUNTING["on"] = False
    faults.kills[:] = []
    admin("POST", "/admin/journeys/{journey_id}/stop", {"journey_id": journey_id})
    return journey_id


def _exact(sent: Sent, faults: Faults, person: str, journey_id: str) -> None:
    confirm(sent, faults)
    assert [t["jstep"] for t in sent.tags if t.get("journey") == journey_id] == ["first"]
    assert run_of(person, journey_id)["outcome"] == "completed"
    _, body = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})
    assert body["versions"]["1"]["morning"] == {"entered": 1, "passed": 1, "waiting": 0}


@pytest.mark.slow
def test_killed_before_and_after_every_aws_call_the_wait_ends_once(
    journey_env: Sent, injected: Faults, later: Callable[[float], None]
) -> None:
    clients = (aws.dynamodb(), aws.sesv2())
    for client in clients:
        client.meta.events.register("before-call", _count, unique_id="count-until")
    try:
        [first] = add_contacts(1, start=300, time_zone="Europe/Paris")
        _exact(journey_env, injected, first, _life(journey_env, Faults(), later, first, None))
    finally:
        for client in clients:
            client.meta.events.unregister("before-call", unique_id="count-until")
    for nth in range(1, COUNTING["n"] + 1):
        for when in ("before", "after"):
            [person] = add_contacts(1, start=400 + 2 * nth + (when == "after"), country="FR")
            kill = Kill(lambda _op, _params: True, when, nth)
            journey_id = _life(journey_env, injected, later, person, kill)
            _exact(journey_env, injected, person, journey_id)
