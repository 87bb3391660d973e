"""A queue's pump asks the queue for its messages in flight only while it may have left some:
after every empty poll, that read was half the calls of an idle stack."""

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


def test_the_queue_is_asked_about_messages_in_flight_only_while_some_may_be(
    moto_url: str,
) -> None:
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    asked: list[str] = []
    sqs.meta.events.register(
        "before-call.sqs.GetQueueAttributes", lambda **_: asked.append("in flight?")
    )

    def deliver(event: dict[str, Any]) -> dict[str, Any]:
        failed = [r["messageId"] for r in event["Records"] if r["body"] == "fails"]
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}

    pump = QueuePump(
        name="jobs", sqs=sqs, queue_url=url, queue_arn="arn:aws:sqs:us-east-1:123:jobs",
        source=SOURCE, deliver=deliver, region="us-east-1",
    )  # fmt: skip

    assert pump.poll_once() is False  # a first empty poll asks (left from a previous run?)
    assert pump.poll_once() is False
    assert len(asked) == 1

    sqs.send_message(QueueUrl=url, MessageBody="works")
    assert pump.poll_once() is True
    assert pump.poll_once() is False  # delivered and deleted: nothing to ask about
    assert len(asked) == 1

    sqs.send_message(QueueUrl=url, MessageBody="fails")
    assert pump.poll_once() is True
    assert pump.poll_once() is True  # invisible for 30 s, not idle: it comes back
    assert pump.poll_once() is True
    assert len(asked) == 3


def test_a_counted_queue_seen_empty_is_not_polled_until_a_message_is_added(
    moto_url: str,
) -> None:
    """Woken by a drain, or backing off, an idle queue's pump received nothing, at every poll:
    once the queue held nothing at all (none visible, in flight or delayed), it makes no call
    until a message is added; a delayed one keeps it polling until it comes."""
    thread_safe_moto()  # counts each message added (`local.pump.writes`)
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    url = sqs.create_queue(QueueName="counted")["QueueUrl"]
    calls: list[str] = []
    sqs.meta.events.register("before-call.sqs.*", lambda model, **_: calls.append(model.name))
    delivered: list[str] = []

    def deliver(event: dict[str, Any]) -> dict[str, Any]:
        delivered.extend(r["body"] for r in event["Records"])
        return {}

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
    assert pump.poll_once() is False
    calls.clear()
    assert pump.poll_once() is False
    assert calls == []
