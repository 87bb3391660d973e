"""A queue's pump asks the queue for its messages in flight only while it may have left some:
after every empty poll, that read was half the calls of an idle stack."""

from __future__ import annotations

from typing import Any

import boto3

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
