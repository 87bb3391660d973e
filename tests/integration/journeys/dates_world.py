"""What the date entry tests share: a clock the test sets, contacts with dates indexed through
the table's real stream, a date journey published, the tick run at a moment and the journey
queue drained (each batch delivered twice)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from ecrm import due
from ecrm.contacts import profile_schema
from ecrm.platform import clock, keys, store
from ecrm.platform.settings import settings
from mailing.scheduler import lambda_handler
from tests import events
from tests.conftest import ROOT, table_items
from tests.integration.journeys.conftest import (
    add_contacts,
    deliver,
    messages,
    published,
    queue_url,
    send,
    welcome_series,
)
from tests.integration.stream_tap import Tap


class Clock:
    """`clock.now()` as the test sets it (the tick hands a due day no time of its own)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = utc(2026, 5, 10, 6)
        monkeypatch.setattr(clock, "now", lambda: self.at)

    def set(self, *parts: int) -> float:
        self.at = utc(*parts)
        return self.at


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()


def with_renewal() -> None:
    """The demo profile (its `birthday`) and a `renewal` date field."""
    data = json.loads((ROOT / "local" / "demo_profile.json").read_text())
    data["profile"].append({"name": "renewal", "label": "Renewal", "type": "date"})
    profile_schema.save(profile_schema.ProfileSchema.model_validate(data))


def dated(count: int, start: int, **dates: str) -> list[str]:
    """`count` contacts with these date fields, indexed through the stream."""
    tap = Tap()
    people = add_contacts(count, start=start, **dates)
    tap.deliver()
    return people


def date_journey(entry: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {
        "name": f"On {entry['date_field']} {entry['days']}",
        "entry": entry,
        "goal": None,
        "start": "first",
        "steps": [send("first", "welcome-1", None)],
    }
    return welcome_series(**(body | changes))


BIRTHDAY_WEEK_BEFORE = {"date_field": "birthday", "days": -7, "every_year": True}


def publish(entry: dict[str, Any] = BIRTHDAY_WEEK_BEFORE, **changes: Any) -> str:
    return published(date_journey(entry, **changes))


def drain(times: int = 2) -> int:
    """Deliver the journey queue until it is empty, each batch `times` times (a redelivery
    first). Returns how many messages were delivered."""
    delivered = 0
    while records := messages():
        for start in range(0, len(records), 10):
            batch = records[start : start + 10]
            for _ in range(times - 1):  # delivered again before it is deleted
                try:
                    answer = lambda_handler({"Records": batch}, events.LambdaContext())
                except BaseException:  # a crash: the batch comes back, as after its timeout
                    sqs = boto3.client("sqs")
                    for record in batch:
                        sqs.change_message_visibility(
                            QueueUrl=queue_url(),
                            ReceiptHandle=record["receiptHandle"],
                            VisibilityTimeout=0,
                        )
                    raise
                assert answer == {"batchItemFailures": []}
            assert deliver(batch) == set()
            delivered += len(batch)
    return delivered


def tick() -> due.TickResult:
    """The tick at the test's moment. After a jump of the clock (a day, a year), the tick would
    catch up minute by minute (a Query each): it reads from three minutes back instead, as if
    it had ticked every minute meanwhile (nothing else is due in these tests); so it does
    after the clock was set back (a fault sweep's next life)."""
    table, key = settings().table_name, store.serialize(keys.schedule_watermark())
    dynamodb = boto3.client("dynamodb")  # the harness's own: faults hook the product's
    mark = dynamodb.get_item(TableName=table, Key=key).get("Item")
    back = clock.now() - 180
    if not mark or not clock.iso(back - 180) <= mark["minute"]["S"] <= clock.iso(clock.now()):
        minute = {
            "minute": {"S": clock.iso(back // 60 * 60)},
            "type": {"S": "watermark"},
            "due_layout": {"S": "hour"},
        }
        dynamodb.put_item(TableName=table, Item={**key, **minute})
    return due.tick(now=clock.now())


def entered(journey_id: str) -> dict[str, str]:
    """Each contact with a run of the journey, and the day it entered for."""
    return {
        str(i["contact_id"]): str(i["trigger_ref"]).rsplit(":", 1)[1]
        for i in table_items()
        if i.get("type") == "journey_run" and i["journey_id"] == journey_id
    }


def day_item(journey_id: str) -> dict[str, Any] | None:
    return store.get(keys.journey_dates(journey_id))
