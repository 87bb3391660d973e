"""The journey queue (`ecrm.journeys.steps_queue`): the tick hands due runs to it, a run due later
in the minute with its delay, and SchedulerFunction's queue source moves each run once, however
often a message is delivered or sent; a busy run comes back later without failing its record.
The fault sweep of the queue hop: the tick and the consumer killed before and after each of
their SQS calls and the tick's watermark, each message delivered twice: each mail goes once."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ecrm import due
from ecrm.journeys import queue_worker, send_step, steps_queue
from ecrm.platform import aws, clock, keys
from ecrm.platform.errors import Busy
from local.faults import Faults, Kill, Killed
from local.queues import lambda_record
from tests import events
from tests.integration.journeys.conftest import (
    Sent,
    add_contacts,
    admin,
    confirm,
    deliver,
    happen,
    messages,
    published,
    run_of,
    send,
    subjects,
    welcome_series,
)

WAIT = 60


def two_mails() -> dict[str, Any]:
    return welcome_series(
        steps=[
            send("first", "welcome-1", "wait1"),
            {"id": "wait1", "type": "wait", "minutes": WAIT, "next": "third"},
            send("third", "welcome-3", None),
        ]
    )


@pytest.fixture
def queued(journey_env: Sent, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sent]:
    """A busy run comes back at once (not after 60 s)."""
    from ecrm.platform.settings import settings

    assert settings().journey_queue_url  # the template's, as every function's environment
    monkeypatch.setattr(steps_queue, "BUSY_DELAY", 0)
    yield journey_env


def sent_batches(journey_env: Sent) -> list[dict[str, Any]]:
    """Every SendMessageBatch entry the product sends to the journey queue from now on."""
    entries: list[dict[str, Any]] = []

    def keep(params: dict[str, Any], **_: Any) -> None:
        entries.extend(params["Entries"])

    aws.sqs().meta.events.register(
        "provide-client-params.sqs.SendMessageBatch", keep, unique_id="journey-entries"
    )
    return entries


@pytest.fixture
def entries(queued: Sent) -> Iterator[list[dict[str, Any]]]:
    yield sent_batches(queued)
    aws.sqs().meta.events.unregister(
        "provide-client-params.sqs.SendMessageBatch", unique_id="journey-entries"
    )


def test_the_tick_queues_due_runs_and_the_queue_moves_each_once(
    queued: Sent, entries: list[dict[str, Any]]
) -> None:
    journey_id = published(two_mails())
    people = add_contacts(12)
    for person in people:
        happen(person)
    result = due.tick(now=clock.now() + 1)
    assert result.kinds.get("journey_queued") == 12 and "journey" not in result.kinds
    assert subjects(queued) == []  # the tick moved nothing itself
    assert sorted(json.loads(e["MessageBody"])["pk"] for e in entries) == sorted(
        keys.journey_run(p, journey_id)["pk"] for p in people
    )
    assert {e["DelaySeconds"] for e in entries} == {0}
    due.tick(now=clock.now() + 2)  # the minute read again: every run queued twice
    records = messages()
    assert len(records) == 24
    for start in range(0, len(records), 10):
        assert deliver(records[start : start + 10]) == set()
    assert Counter(t["contact"] for t in queued.tags) == Counter(dict.fromkeys(people, 1))
    for person in people:
        run = run_of(person, journey_id)
        assert run["step"] == "wait1" and run["phase"] == "waiting" and run["seq"] == 2


def test_runs_due_in_the_next_two_minutes_are_queued_ahead_once_with_their_delays(
    queued: Sent, entries: list[dict[str, Any]]
) -> None:
    published(two_mails())
    ann, bob = add_contacts(2)
    minute = clock.now() // 60 * 60
    happen(ann, now=minute + 45.2)  # due at second 45.2 of the minute
    due.tick(now=minute + 10)
    assert [e["DelaySeconds"] for e in entries] == [36]  # never early
    due.tick(now=minute + 20)  # on its way: not sent again
    assert len(entries) == 1
    happen(bob, now=minute + 150)  # due in the minute after next: sent ahead by the next tick
    due.tick(now=minute + 50)  # Ann is due and not moved yet (nobody consumes here): again
    assert [e["DelaySeconds"] for e in entries] == [36, 0, 100]
    due.tick(now=minute + 60)
    assert [e["DelaySeconds"] for e in entries] == [36, 0, 100, 0]  # Bob is on his way
    assert steps_queue.delay_for(minute + 45.2, minute + 45.2) == 0
    assert steps_queue.delay_for(minute + 3600, minute) == steps_queue.MAX_DELAY_SECONDS


def test_a_busy_run_comes_back_without_failing_its_record(
    queued: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    journey_id = published(two_mails())
    [ann] = add_contacts(1)
    happen(ann)
    due.tick(now=clock.now() + 1)
    [record] = messages()
    busy = {"left": 1}
    real = send_step.send

    def throttled(*args: Any) -> Any:
        if busy["left"]:
            busy["left"] -= 1
            raise Busy("SES is not taking mail right now")
        return real(*args)

    monkeypatch.setattr(send_step, "send", throttled)
    assert deliver([record]) == set()
    [again] = messages()  # sent back (BUSY_DELAY, 0 here), counted
    assert json.loads(again["body"]) == {**keys.journey_run(ann, journey_id), "busy": 1}
    assert deliver([again]) == set()
    assert subjects(queued) == ["Mail welcome-1"]
    assert messages() == []


def test_a_run_busy_too_long_fails_its_record_and_a_foreign_key_is_refused(
    queued: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    journey_id = published(two_mails())
    [ann] = add_contacts(1)
    happen(ann)

    def busy(*_: Any) -> Any:
        raise Busy("SES is not taking mail right now")

    monkeypatch.setattr(send_step, "send", busy)
    key = keys.journey_run(ann, journey_id)
    with pytest.raises(Busy):
        queue_worker.consume({**key, "busy": steps_queue.MAX_BUSY})
    for foreign in ({"pk": "CAMPAIGN#c1", "sk": "DUE"}, {"pk": "CONTACT#x"}, {"sk": 3}):
        with pytest.raises(ValueError):
            queue_worker.consume(foreign)
    monkeypatch.setattr(send_step, "send", lambda *_: (_ for _ in ()).throw(AssertionError))
    body = json.dumps({"pk": "CONTACT#x", "sk": "AUTOMATION#r"})
    record = {**lambda_record({"MessageId": "m1", "ReceiptHandle": "r1"}, "arn", "us-east-1")}
    record["body"] = body
    from mailing.scheduler import lambda_handler

    with pytest.raises(Exception, match="All records failed"):
        lambda_handler({"Records": [record]}, events.LambdaContext())


def test_without_a_journey_queue_the_tick_moves_due_runs_itself(
    journey_env: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecrm.platform.settings import settings

    monkeypatch.delenv("JOURNEY_QUEUE_URL")
    settings.cache_clear()
    try:
        journey_id = published(two_mails())
        [ann] = add_contacts(1)
        happen(ann)
        result = due.tick(now=clock.now() + 1)
        assert result.kinds == {"journey": 1} and messages() == []
        assert subjects(journey_env) == ["Mail welcome-1"]
        assert run_of(ann, journey_id)["phase"] == "waiting"
    finally:
        monkeypatch.undo()
        settings.cache_clear()


# --- the fault sweep of the queue hop ------------------------------------------------------


def _hop(operation: str, params: dict[str, Any]) -> bool:
    """The queue hop's own calls: sending to the queue, and the tick's watermark after it."""
    if operation in {"SendMessageBatch", "SendMessage"}:
        return True
    return (
        operation == "PutItem"
        and params.get("Item", {}).get("pk", {}).get("S") == (keys.schedule_watermark()["pk"])
    )


def _queue_life(
    sent: Sent, faults: Faults, later: Callable[[float], None], person: str, kill: Kill | None
) -> tuple[str, int]:
    """Enter `person`, then tick and deliver (each message twice) until the run ends."""
    kills = 0
    journey_id = published(two_mails())
    faults.kills[:] = [kill] if kill else []

    def crashed() -> None:
        nonlocal kills
        kills += 1
        faults.revive()
        confirm(sent, faults)  # SES's Send events for what a dead worker sent
        later(send_step.STALE_SENDING_SECONDS + 1)

    happen(person)  # the entry makes no call the kill matches
    for _ in range(40):
        if run_of(person, journey_id)["state"] == "ended":
            break
        try:
            due.tick(now=clock.now())
            while records := messages():
                for record in records:
                    deliver([record, record])  # delivered twice: the second finds it moved
        except Killed:
            crashed()
            continue
        later(WAIT * 60 + 1)
    faults.kills[:] = []
    for record in messages():  # what a kill left behind (the same run, already moved)
        deliver([record])
    status, _ = admin("POST", "/admin/journeys/{journey_id}/stop", {"journey_id": journey_id})
    assert status == 200
    return journey_id, kills


def _assert_once(sent: Sent, journey_id: str, person: str) -> None:
    mine = Counter(t["jstep"] for t in sent.tags if t.get("journey") == journey_id)
    assert mine == Counter({"first": 1, "third": 1}), mine
    assert run_of(person, journey_id)["outcome"] == "completed"


@pytest.mark.slow
def test_the_queue_hop_killed_before_and_after_each_call_sends_each_mail_once(
    queued: Sent, later: Callable[[float], None]
) -> None:
    faults = Faults()
    faults.install()
    try:
        counted = Kill(_hop, "before", nth=10**6)
        [clean] = add_contacts(1, start=700)
        journey_id, _ = _queue_life(queued, faults, later, clean, counted)
        _assert_once(queued, journey_id, clean)
        hops = counted.seen
        assert hops >= 4  # the tick's sends and watermarks, twice
        for nth in range(1, hops + 1):
            for when in ("before", "after"):
                [person] = add_contacts(1, start=710 + 2 * nth + (when == "after"))
                kill = Kill(_hop, when, nth)
                journey_id, kills = _queue_life(queued, faults, later, person, kill)
                assert kill.fired and kills == 1, (nth, when)
                _assert_once(queued, journey_id, person)
    finally:
        faults.uninstall()
