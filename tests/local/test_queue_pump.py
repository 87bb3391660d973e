"""A queue's pump, once its queue held nothing at all (none visible, in flight or delayed), makes
no call until a message is added (`local.pump.writes`): woken by a drain, or backing off, an
idle queue's pump made a receive and a read of the queue's attributes at every poll, half the
calls of an idle stack."""

from __future__ import annotations

import time
from typing import Any

import boto3

from local.moto_threads import thread_safe_moto
from local.queues import QueuePump
from local.template import PollerSource

SOURCE = PollerSource(
    event_name="Jobs",
    kind="SQS",
    source="",
    batch_size=10,
    filter_patterns=(),
    report_batch_item_failures=True,
    maximum_retry_attempts=None,
    bisect_on_error=False,
    on_failure_destination=None,
    starting_position=None,
)


def test_a_counted_queue_seen_empty_is_not_polled_until_a_message_is_added(
    moto_url: str,
) -> None:
    thread_safe_moto()  # counts each message added (`local.pump.writes`)
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    url = sqs.create_queue(QueueName="counted", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    calls: list[str] = []
    sqs.meta.events.register("before-call.sqs.*", lambda model, **_: calls.append(model.name))
    delivered: list[str] = []

    def deliver(event: dict[str, Any]) -> dict[str, Any]:
        delivered.extend(r["body"] for r in event["Records"])
        failed = [r["messageId"] for r in event["Records"] if r["body"] == "fails once"]
        if delivered.count("fails once") > 1:
            failed = []
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}

    pump = QueuePump(
        name="counted", sqs=sqs, queue_url=url, queue_arn="arn:aws:sqs:us-east-1:123:counted",
        source=SOURCE, deliver=deliver, region="us-east-1", counted=True,
    )  # fmt: skip

    assert pump.poll_once() is False
    assert calls == ["ReceiveMessage", "GetQueueAttributes"]  # empty: nothing in it at all
    assert pump.poll_once() is False and pump.poll_once() is False
    assert len(calls) == 2

    sqs.send_message(QueueUrl=url, MessageBody="now")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    assert pump.poll_once() is True and delivered == ["now"]
    calls.clear()
    assert pump.poll_once() is False  # "later" is delayed: polled for, not empty
    assert pump.poll_once() is False
    assert calls.count("ReceiveMessage") == 2
    time.sleep(1.1)
    assert pump.poll_once() is True and delivered == ["now", "later"]

    sqs.send_message(QueueUrl=url, MessageBody="fails once")
    assert pump.poll_once() is True
    assert pump.poll_once() is True  # in flight for its visibility timeout: busy, not idle
    time.sleep(1.1)
    assert pump.poll_once() is True and delivered[-2:] == ["fails once", "fails once"]

    assert pump.poll_once() is False
    calls.clear()
    assert pump.poll_once() is False
    assert calls == []
