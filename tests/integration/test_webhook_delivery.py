"""Webhooks end to end on moto: an interaction on the stream -> the fan-out function -> the
delivery queue -> the delivery worker -> a receiver (a real HTTP server behind the transport,
after every check). Each event reaches its endpoints signed, at least once, with one delivery
id whatever the retries, crashes and redeliveries; nothing reaches an address that is not
public, at registration or at delivery (DNS rebinding), nor through a redirect."""

from __future__ import annotations

import json
from typing import Any

import pytest

from capture import webhook_delivery
from capture.webhook_fanout import lambda_handler as fanout_handler
from ecrm.platform import aws, keys, store
from ecrm.platform.settings import settings
from ecrm.webhooks import delivery, fanout, signing
from tests import events
from tests.integration.webhooks_world import (
    PUBLIC,
    Receiver,
    admin,
    new_webhook,
    receiver,
    resolver,
)

pytestmark = pytest.mark.usefixtures("aws_env", "resolver")
__all__ = ["receiver", "resolver"]
_numbers = iter(range(10_000))


def interaction(kind: str = "custom_event", **fields: Any) -> dict[str, Any]:
    n = next(_numbers)
    return {
        "pk": "CONTACT#c-1",
        "sk": f"EVENT#2026-12-07T08:00:{n % 60:02d}.000000Z#ev_{n:04d}",
        "type": kind,
        "contact_id": "c-1",
        "email": "ann@example.com",  # never sent
        "ip": "198.51.100.9",
        **({"name": "purchased", "properties": {"plan": "pro"}} if kind == "custom_event" else {}),
        **fields,
    }


def stream(*images: dict[str, Any]) -> None:
    answer = fanout_handler(events.stream(*images), events.LambdaContext())
    assert answer == {"batchItemFailures": []}


def _queue() -> str:
    return str(settings().webhook_queue_url)


def pump(*, visible_again: bool = False) -> dict[str, Any]:
    """One poll of the delivery queue handed to the worker as Lambda's SQS source would:
    succeeded messages deleted, failed ones left (`visible_again`: the backoff has passed)."""
    sqs = aws.sqs()
    got = sqs.receive_message(
        QueueUrl=_queue(), MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"]
    ).get("Messages", [])
    if not got:
        return {"batchItemFailures": []}
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {"ApproximateReceiveCount": m["Attributes"]["ApproximateReceiveCount"]},
            "eventSource": "aws:sqs",
        }
        for m in got
    ]
    try:
        answer = webhook_delivery.lambda_handler({"Records": records}, events.LambdaContext())
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
    except Exception:
        answer, failed = {"batchItemFailures": "all"}, {m["MessageId"] for m in got}
    for m in got:
        if m["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=_queue(), ReceiptHandle=m["ReceiptHandle"])
        elif visible_again:
            sqs.change_message_visibility(
                QueueUrl=_queue(), ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
            )
    return dict(answer)


def waiting() -> int:
    attributes = aws.sqs().get_queue_attributes(
        QueueUrl=_queue(),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def shown(webhook_id: str) -> dict[str, Any]:
    status, answer = admin("GET", "/admin/webhooks/{webhook_id}", webhook_id=webhook_id)
    assert status == 200
    return dict(answer)


def test_an_event_reaches_its_endpoint_signed_with_a_stable_delivery_id(receiver: Receiver) -> None:
    hook = new_webhook()
    other = new_webhook(types=["contact.unsubscribed"])
    image = interaction()
    stream(image)
    pump()
    [got] = receiver.received
    assert receiver.addresses == [PUBLIC]  # connected to the address it checked
    assert got.path == "/ecrm"
    event = json.loads(got.body)
    assert event["type"] == "event.custom" and event["data"]["contact_id"] == "c-1"
    assert event["data"]["properties"] == {"plan": "pro"}
    assert "ann@example.com" not in got.body.decode() and "198.51.100.9" not in got.body.decode()
    signature = got.headers["Ecrm-Signature"]
    now = int(signature.split(",")[0].removeprefix("t="))
    assert signing.verify(hook["secret"], signature, got.body, now)
    assert got.headers["Ecrm-Delivery-Id"] == fanout.delivery_id(event["id"], hook["id"])
    assert got.headers["Ecrm-Event-Type"] == "event.custom" and got.headers["Ecrm-Attempt"] == "1"
    seen = shown(hook["id"])
    assert seen["last_status"] == 200
    assert seen["last_delivery_id"] == got.headers["Ecrm-Delivery-Id"]
    assert seen["failures_in_a_row"] == 0 and seen["last_success_at"] == seen["last_attempt_at"]
    assert shown(other["id"])["last_attempt_at"] is None
    # The stream delivers the record again (a retried batch): the same delivery, not posted twice.
    stream(image)
    pump()
    assert len(receiver.received) == 1 and waiting() == 0


def test_the_receivers_recipe_refuses_forged_tampered_and_replayed_deliveries(
    receiver: Receiver,
) -> None:
    hook = new_webhook()
    stream(interaction())
    pump()
    [got] = receiver.received
    header = got.headers["Ecrm-Signature"]
    t = int(header.split(",")[0].removeprefix("t="))
    assert signing.verify(hook["secret"], header, got.body, t + 299)
    assert not signing.verify("whsec_" + "A" * 43, header, got.body, t)  # another secret
    assert not signing.verify(hook["secret"], header, got.body + b" ", t)  # body changed
    assert not signing.verify(hook["secret"], header, got.body, t + 301)  # replayed later
    assert not signing.verify(hook["secret"], header, got.body, t - 301)  # from the future
    later = header.replace(f"t={t}", f"t={t + 600}")  # a fresh time on an old signature
    assert not signing.verify(hook["secret"], later, got.body, t + 600)
    assert not signing.verify(hook["secret"], None, got.body, t)
    assert not signing.verify(hook["secret"], f"t={t}", got.body, t)


def test_a_failed_delivery_is_retried_after_a_backoff_with_the_same_delivery_id(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = new_webhook()
    delays: list[int] = []
    real_later = webhook_delivery._later
    monkeypatch.setattr(
        webhook_delivery, "_later", lambda m, s: (delays.append(s), real_later(m, s))
    )
    receiver.answers = [(500, {}, b"down"), (503, {}, b"down")]
    stream(interaction())
    pump(visible_again=True)
    assert shown(hook["id"])["last_status"] == 500
    assert shown(hook["id"])["failures_in_a_row"] == 1
    pump(visible_again=True)
    pump()
    first, second, third = receiver.received
    ids = {r.headers["Ecrm-Delivery-Id"] for r in receiver.received}
    assert len(ids) == 1 and first.body == second.body == third.body
    assert [r.headers["Ecrm-Attempt"] for r in receiver.received] == ["1", "2", "3"]
    assert delays == [30, 60]
    seen = shown(hook["id"])
    assert seen["last_status"] == 200 and seen["failures_in_a_row"] == 0 and waiting() == 0


def test_a_redirect_is_never_followed(receiver: Receiver) -> None:
    hook = new_webhook()
    receiver.answers = [(302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")]
    stream(interaction())
    answer = pump()
    assert answer["batchItemFailures"]  # failed, to be retried later
    assert len(receiver.received) == 1  # the redirect's target was never asked
    seen = shown(hook["id"])
    assert seen["last_status"] == 302 and seen["last_error"] == "redirect not followed"


def test_a_name_that_resolves_to_a_private_address_by_delivery_time_is_refused(
    receiver: Receiver, resolver: dict[str, list[str]]
) -> None:
    hook = new_webhook()
    resolver["hooks.example.com"] = ["127.0.0.1"]  # DNS rebinding after registration
    stream(interaction())
    pump()
    resolver["hooks.example.com"] = ["169.254.169.254"]
    pump(visible_again=True)
    assert receiver.addresses == [] and receiver.received == []
    assert shown(hook["id"])["last_error"].startswith("refused:")


def test_a_crash_before_or_after_the_post_still_delivers_with_the_same_id(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = new_webhook()
    receiver.crash_before = 1  # killed before the POST left
    real_write = store.write
    crashes = {"after": 1}

    def write(op: Any) -> Any:
        marking = isinstance(op, store.Put) and op.item["pk"].startswith("WHDELIVERED#")
        if marking and crashes["after"]:
            crashes["after"] -= 1
            raise RuntimeError("killed after the POST, before the marker")
        return real_write(op)

    monkeypatch.setattr(store, "write", write)
    images = [interaction(), interaction()]
    stream(*images)
    for _ in range(4):
        pump(visible_again=True)
    assert waiting() == 0
    expected = {fanout.delivery_id(fanout.event_of(i)["id"], hook["id"]) for i in images}  # type: ignore[index]
    ids = [r.headers["Ecrm-Delivery-Id"] for r in receiver.received]
    assert set(ids) == expected  # every event delivered, at least once
    assert len(ids) == 3  # one posted twice (the crash after its POST), with one id
    assert all(
        signing.verify(
            hook["secret"],
            r.headers["Ecrm-Signature"],
            r.body,
            int(r.headers["Ecrm-Signature"][2:12]),
        )
        for r in receiver.received
    )


def test_after_its_last_attempt_a_delivery_waits_in_the_dead_letter_queue(
    receiver: Receiver,
) -> None:
    new_webhook()
    receiver.answers = [(500, {}, b"")] * 20
    stream(interaction())
    for _ in range(9):
        pump(visible_again=True)
    assert len(receiver.received) == 8 and waiting() == 0
    dlq = aws.sqs().get_queue_url(QueueName="ecrm-local-WebhookDLQ")["QueueUrl"]
    parked = aws.sqs().receive_message(QueueUrl=dlq).get("Messages", [])
    assert [json.loads(m["Body"])["event"]["type"] for m in parked] == ["event.custom"]


def test_deliveries_to_a_deleted_or_disabled_endpoint_are_dropped(receiver: Receiver) -> None:
    gone, off = new_webhook(), new_webhook()
    stream(interaction())
    path = "/admin/webhooks/{webhook_id}"
    admin("DELETE", path, webhook_id=gone["id"])
    body = {"url": off["url"], "events": off["events"], "enabled": False}
    assert admin("PUT", path, webhook_id=off["id"], body=body)[0] == 200
    pump()
    assert receiver.received == [] and waiting() == 0


def test_only_the_types_webhooks_carry_are_sent_and_a_campaigns_mail_is_not(
    receiver: Receiver,
) -> None:
    new_webhook(types=list(fanout.TYPES.values()))
    stream(
        interaction("email_delivered", campaign_id="cmp-1"),
        interaction("email_opened", automation_id="aut-1"),
        interaction("email_delivered", automation_id="aut-1"),
        interaction("stage_changed", from_stage="lead", to_stage="mql"),
        interaction("unsubscribed", topic="news"),
    )
    pump()
    pump()
    kinds = sorted(json.loads(r.body)["type"] for r in receiver.received)
    assert kinds == ["automation.mail_delivered", "contact.stage_changed", "contact.unsubscribed"]


def test_huge_and_deeply_nested_items_make_bounded_deliveries(receiver: Receiver) -> None:
    new_webhook()
    nested: Any = "deep"
    for _ in range(50):
        nested = {"n": nested}
    wide = {f"k{i}": "x" * 5000 for i in range(200)}
    stream(
        interaction(properties={"nested": nested, "text": "y" * 100_000}),
        interaction(properties=wide),
    )
    pump()
    first, second = (json.loads(r.body) for r in receiver.received)
    assert len(json.dumps(first)) <= fanout.MAX_EVENT_BYTES
    assert first["data"]["properties"]["text"] == "y" * fanout.MAX_TEXT
    assert first["data"]["properties"]["nested"] == {"n": None}  # cut at MAX_DEPTH
    assert second["data"] == {"contact_id": "c-1", "truncated": True}
    assert all(len(r.body) <= fanout.MAX_EVENT_BYTES for r in receiver.received)


def test_backoff_doubles_from_30_seconds_to_at_most_an_hour() -> None:
    assert [delivery.backoff(n) for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]


def test_the_delivered_marker_expires_and_names_no_contact() -> None:
    assert keys.webhook_delivered("dlv_1") == {"pk": "WHDELIVERED#dlv_1", "sk": "MARK"}
