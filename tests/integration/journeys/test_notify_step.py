"""`notify` steps: a run writes one `journey_step` notice (an interaction: the outbox) in its own
move, whatever is killed; the stream carries it to EventBridge's default bus and to webhook
endpoints that take `journey.step`, each only when the step names that channel; no address or
profile value travels; a bad step is refused naming it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from ecrm.platform import aws, clock, store
from ecrm.webhooks import fanout
from local.faults import Faults, Kill
from tests import events
from tests.conftest import table_items
from tests.integration.journeys.conftest import (
    Sent,
    add_contacts,
    admin,
    advance,
    happen,
    published,
    run_of,
    welcome_series,
)
from tests.integration.journeys.test_wait_until import COUNTING, _again, _count


def notifying(to: list[str], label: str | None = "trial-ending") -> dict[str, Any]:
    step: dict[str, Any] = {"id": "tell", "type": "notify", "to": to, "next": None}
    if label:
        step["label"] = label
    return welcome_series(goal=None, start="tell", steps=[step])


def notices_of(contact_id: str) -> list[dict[str, Any]]:
    return [
        i
        for i in store.query_all(f"CONTACT#{contact_id}", sk_prefix="EVENT#")
        if i.get("type") == "journey_step"
    ]


def walk_through(person: str, journey_id: str) -> None:
    t0 = clock.now()
    happen(person, now=t0)
    assert advance(person, journey_id, t0) == "ended"
    assert advance(person, journey_id, t0 + 60) == "ended"  # the minute again: nothing more


def test_a_notify_step_writes_one_notice_without_personal_data(journey_env: Sent) -> None:
    journey_id = published(notifying(["webhook", "eventbridge"]))
    [ann] = add_contacts(1, first_name="Ann")
    walk_through(ann, journey_id)
    [notice] = notices_of(ann)
    assert notice["event_id"].startswith("jn_")
    assert {k: notice[k] for k in ("journey_id", "journey_version", "step", "label", "to")} == {
        "journey_id": journey_id,
        "journey_version": 1,
        "step": "tell",
        "label": "trial-ending",
        "to": ["eventbridge", "webhook"],
    }
    assert "Ann" not in json.dumps(notice, default=str) and "@" not in json.dumps(notice)
    _, body = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})
    assert body["versions"]["1"]["tell"] == {
        "entered": 1,
        "notified": 1,
        "exited": 1,
        "waiting": 0,
    }
    assert run_of(ann, journey_id)["outcome"] == "completed"


def test_the_notice_reaches_webhooks_only_when_the_step_names_them(journey_env: Sent) -> None:
    both = published(notifying(["webhook", "eventbridge"]))
    [ann, bob] = add_contacts(2)
    walk_through(ann, both)
    bus_only = published(notifying(["eventbridge"]))
    walk_through(bob, bus_only)
    [for_ann], [for_bob] = notices_of(ann), notices_of(bob)
    event = fanout.event_of(for_ann)
    assert event is not None and event["type"] == "journey.step"
    assert event["data"] == {
        "contact_id": ann,
        "journey_id": both,
        "journey_version": 1,
        "step": "tell",
        "label": "trial-ending",
    }
    assert fanout.event_of(for_bob) is None


@pytest.fixture
def listener(journey_env: Sent) -> str:
    sqs, bus = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName="journey-listener")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    bus.put_rule(Name="journeys", EventPattern=json.dumps({"source": ["ecrm.journeys"]}))
    bus.put_targets(Rule="journeys", Targets=[{"Id": "q", "Arn": arn}])
    return url


def test_the_notice_reaches_eventbridge_only_when_the_step_names_it(listener: str) -> None:
    from scoring.stages import lambda_handler

    to_bus, to_hooks = published(notifying(["eventbridge"])), published(notifying(["webhook"]))
    [ann, bob] = add_contacts(2)
    walk_through(ann, to_bus)
    walk_through(bob, to_hooks)
    images = [*notices_of(ann), *notices_of(bob)]
    answer = lambda_handler(events.stream(*images), events.LambdaContext())
    assert answer == {"batchItemFailures": []}
    got = boto3.client("sqs").receive_message(QueueUrl=listener, MaxNumberOfMessages=10)
    [event] = [json.loads(m["Body"]) for m in got.get("Messages", [])]
    assert (event["source"], event["detail-type"]) == ("ecrm.journeys", "Journey step")
    assert event["detail"]["contact_id"] == ann and event["detail"]["journey_id"] == to_bus
    assert event["detail"]["event_id"] == images[0]["event_id"]  # stable: receivers dedupe


def test_webhook_endpoints_may_take_journey_steps(journey_env: Sent) -> None:
    from ecrm.webhooks import endpoints

    assert "journey.step" in endpoints.EVENT_TYPES


@pytest.mark.parametrize(
    "change",
    [{"to": []}, {"to": ["sms"]}, {"to": ["webhook", "webhook"]}, {"label": "Not A Name"}],
)
def test_a_bad_notify_step_is_refused_naming_it(journey_env: Sent, change: dict[str, Any]) -> None:
    body = notifying(["webhook"])
    body["steps"][0] |= change
    before = table_items()
    status, answer = admin("POST", "/admin/journeys", body=body)
    assert status in (400, 422), answer
    assert any(f.startswith("steps.0") for f in answer["error"]["fields"]), answer
    assert table_items() == before


def _life(sent: Sent, faults: Faults, later: Any, person: str, kill: Kill | None) -> str:
    journey_id = published(notifying(["webhook"]))
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
def test_killed_before_and_after_every_aws_call_a_run_notifies_once(
    journey_env: Sent, injected: Faults, later: Callable[[float], None]
) -> None:
    client = aws.dynamodb()
    COUNTING["n"] = 0
    client.meta.events.register("before-call", _count, unique_id="count-notify")
    try:
        [first] = add_contacts(1, start=100)
        _life(journey_env, Faults(), later, first, None)
    finally:
        client.meta.events.unregister("before-call", unique_id="count-notify")
    assert len(notices_of(first)) == 1
    for nth in range(1, COUNTING["n"] + 1):
        for when in ("before", "after"):
            [person] = add_contacts(1, start=110 + 2 * nth + (when == "after"))
            journey_id = _life(
                journey_env, injected, later, person, Kill(lambda _o, _p: True, when, nth)
            )
            assert len(notices_of(person)) == 1
            assert run_of(person, journey_id)["outcome"] == "completed"
