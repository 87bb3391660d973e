"""Stage transitions reach EventBridge's default bus from the table (the outbox): a stored
transition is an emitted one, and a failed emission is retried, never dropped."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from ecrm.platform import aws, keys
from ecrm.platform.records import AllRecordsFailed
from tests import events

CONTACT = keys.contact_id_for("ann@acme.example")
MOVE = {
    **keys.interaction(CONTACT, "2026-01-01T10:00:00.000Z", "sub_1-stage"),
    "type": "stage_changed",
    "contact_id": CONTACT,
    "event_id": "sub_1-stage",
    "at": "2026-01-01T10:00:00.000Z",
    "from_stage": "subscriber",
    "to_stage": "lead",
    "score": 20,
    "cause": "sub_1",
    "ruleset_version": 3,
}


@pytest.fixture
def listener(aws_env: dict[str, str]) -> str:
    """A rule on the default bus for scoring's events, delivering to a queue we read."""
    sqs, bus = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName="stage-listener")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    bus.put_rule(Name="stages", EventPattern=json.dumps({"source": ["ecrm.scoring"]}))
    bus.put_targets(Rule="stages", Targets=[{"Id": "q", "Arn": arn}])
    return url


def received(url: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def publish(*images: dict[str, Any]) -> Any:
    from scoring.stages import lambda_handler

    return lambda_handler(events.stream(*images), events.LambdaContext())


def test_a_stage_change_is_published_on_the_default_bus(listener: str) -> None:
    assert publish(MOVE) == {"batchItemFailures": []}

    [event] = received(listener)
    assert event["source"] == "ecrm.scoring" and event["detail-type"] == "Contact stage changed"
    assert event["detail"] == {k: MOVE[k] for k in event["detail"]}
    assert event["detail"]["to_stage"] == "lead" and event["detail"]["event_id"] == "sub_1-stage"


def test_a_refused_event_fails_its_record_for_a_retry(
    listener: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "PutEvents")

    with monkeypatch.context() as patched:
        patched.setattr(aws.events(), "put_events", refuse)
        with pytest.raises(AllRecordsFailed):
            publish(MOVE)

    assert publish(MOVE) == {"batchItemFailures": []}
    assert len(received(listener)) == 1
