"""Segment joiners under crashes (`local.faults`, the botocore hooks of tests/integration/
test_faults.py): the stream's path killed before and after each of its AWS calls, then the
record delivered again (by a fresh process: nothing cached), and again once done; the daily
pass killed before and after each of its writes (a crash between two reads leaves the state of
a crash before the next write), then the tick's handler run again and every page delivered
until the queue is empty. Each joiner enters exactly once, the `entered` counter is exact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from ecrm.journeys import graph, joiners, joiners_pass
from ecrm.platform import aws, clock, keys, store
from local.faults import Faults, Kill, Killed
from tests.integration.journeys.conftest import (
    Sent,
    add_contacts,
    admin,
    deliver,
    messages,
    queue_url,
)
from tests.integration.journeys.conftest import published as publish
from tests.integration.journeys.joiners import (
    acme,
    joiners_journey,
    record,
    runs_of,
    score_image,
    segment,
)
from tests.integration.journeys.joiners import deliver as deliver_record

pytestmark = pytest.mark.slow  # 8 + 9 lives, the pass's with 8 shard pages each: ~6 s of CPU

DAY = 86400.0
WRITES = {"TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "SendMessageBatch"}


def entered(journey_id: str) -> int:
    _, stats = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})
    return int(stats["versions"]["1"]["first"].get("entered", 0))


def fresh_process() -> None:
    graph.forget_cached()
    joiners.forget_cached()


def until_done(faults: Faults, do: Callable[[], object]) -> int:
    """`do` until it ends without a crash, then once more (a redelivery); returns the kills."""
    kills = 0
    for _ in range(5):
        fresh_process()
        try:
            do()
        except Killed:
            kills += 1
            faults.revive()
            continue
        do()
        return kills
    raise AssertionError("never done")


def joiner(start: int) -> dict[str, Any]:
    """An Acme-to-be with a score of 60: the record of their company's change to Acme."""
    [contact_id] = add_contacts(1, start=start, company="Other")
    store.batch_put([score_image(contact_id, 60, 1)])
    old = store.get(keys.contact(contact_id))
    assert old is not None
    new = {**old, "f_company": "Acme"}
    store.batch_put([new])
    raw = record(new, old)
    assert raw is not None
    return raw


def calls_of(do: Callable[[], object]) -> list[str]:
    seen: list[str] = []

    def count(model: Any, **_: Any) -> None:
        seen.append(model.name)

    clients = (aws.dynamodb(), aws.sqs())
    for client in clients:
        client.meta.events.register("before-call", count, unique_id="count-calls")
    try:
        do()
    finally:
        for client in clients:
            client.meta.events.unregister("before-call", unique_id="count-calls")
    return seen


def test_the_stream_killed_at_each_call_enters_each_joiner_once(
    journey_env: Sent, injected: Faults
) -> None:
    segment("acme-hot", acme(), {"kind": "score", "min": 50})  # the score item is read too
    journey_id = publish(joiners_journey("acme-hot"))
    first = joiner(0)
    fresh_process()
    calls = calls_of(lambda: deliver_record(first))
    assert calls == ["Query", "GetItem", "GetItem", "TransactWriteItems"], calls
    people = 1
    for nth in range(1, len(calls) + 1):
        for when in ("before", "after"):
            raw = joiner(people)
            people += 1
            kill = Kill(lambda op, params: True, when, nth)
            injected.kills[:] = [kill]
            assert until_done(injected, lambda r=raw: deliver_record(r)) == 1  # type: ignore[misc]
            injected.kills[:] = []
            assert kill.fired
            assert len(runs_of(journey_id)) == people == entered(journey_id)


def pass_life(faults: Faults, later: Callable[[float], None], n: int, kill: Kill) -> str:
    """A journey on a segment of its own topic (`t<n>`): one whom time makes a member and one
    whose change never reached the stream; a day later its pass, `kill` armed, driven to the
    end. Returns the journey."""
    topic = f"t{n}"
    segment(f"lapsed-{n}", {"kind": "activity", "within_days": 30, "active": False}, topic=topic)

    def last_seen(days_ago: float, start: int) -> str:
        [contact_id] = add_contacts(1, start=start, topic=topic)
        item = store.get(keys.contact(contact_id))
        assert item is not None
        store.batch_put([{**item, "updated_at": clock.iso(clock.now() - days_ago * DAY)}])
        return contact_id

    lapsing = last_seen(29.5, 100 * n)
    journey_id = publish(joiners_journey(f"lapsed-{n}", name=f"Lapsed {n}"))
    sqs = boto3.client("sqs")
    for page in messages():  # its enrollment's pages: no member yet
        sqs.delete_message(QueueUrl=queue_url(), ReceiptHandle=page["receiptHandle"])
    missed = last_seen(45, 100 * n + 1)
    later(DAY + 60)
    faults.kills[:] = [kill]
    until_done(faults, lambda: joiners_pass.run_due(keys.journey_daily(journey_id)))
    drain(faults)
    faults.kills[:] = []
    assert set(runs_of(journey_id)) == {lapsing, missed}
    assert entered(journey_id) == 2
    return journey_id


def drain(faults: Faults) -> None:
    """Deliver the journey queue until it is empty, a crashed batch coming back."""
    for _ in range(100):
        records = messages()
        if not records:
            return
        try:
            deliver(records[:10])
        except Killed:
            faults.revive()
    raise AssertionError("the queue never emptied")


def test_the_daily_pass_killed_at_each_write_enters_each_owed_member_once(
    journey_env: Sent, injected: Faults, later: Callable[[float], None]
) -> None:
    writes: list[str] = []

    def count(operation: str, params: dict[str, Any]) -> bool:
        if operation in WRITES:
            writes.append(operation)
        return False

    pass_life(injected, later, 0, Kill(count, "before"))
    assert sorted(writes) == sorted(
        ["SendMessageBatch", "UpdateItem", "TransactWriteItems", "TransactWriteItems"]
    ), writes
    for nth in range(1, len(writes) + 1):
        for when in ("before", "after"):
            kill = Kill(lambda op, params: op in WRITES, when, nth)
            pass_life(injected, later, 2 * nth + (when == "after"), kill)
            assert kill.fired
