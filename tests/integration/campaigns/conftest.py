"""Campaign fixtures: the marketer API and the campaign sender on moto, a population of
contacts written straight into the table, the campaign queue run to empty in process, and
every SES call recorded (with its tags)."""

from __future__ import annotations

import email
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from typing import Any

import boto3
import pytest

from ecrm.campaigns import content, sending
from ecrm.contacts import profile_schema, suppression
from ecrm.mail import pacing
from ecrm.platform import aws, clock, keys, store
from local.faults import record_sends
from local.moto_backend import answer_get_account
from local.moto_fast import fast_moto
from local.queues import lambda_record
from tests import events
from tests.conftest import ROOT

MARKETER = {"sub": "m1", "email": "m@example.com", "cognito:groups": "marketers"}
SENDER = {"email": "news@example.com", "name": "Ecrm News", "reply_to": "reply@example.com"}
HTML = (
    "<p>Hello {{ contact.first_name|default('there') }},</p><p>News for {{ contact.company }}.</p>"
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
)


@dataclass
class Sent:
    """What reached SES: each SendEmail's raw message, parsed, and its tags."""

    raw: list[bytes] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    configuration_sets: list[str | None] = field(default_factory=list)
    confirmed: int = 0  # the first tags whose SES Send event a fault sweep replayed

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(r, policy=default) for r in self.raw]  # type: ignore[misc]

    def recipients(self) -> list[str]:
        return [str(m["To"]) for m in self.messages()]


def _queue_url(suffix: str) -> str:
    sqs = boto3.client("sqs")
    return next(u for u in sqs.list_queues()["QueueUrls"] if u.endswith(suffix))


@pytest.fixture
def campaign_env(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Sent]:
    """The sender's environment (queue, domain, configuration set), the demo profile schema,
    SES answering GetAccount (1,000/s), no waiting between retries, every send recorded."""
    configuration_set = boto3.client("sesv2").list_configuration_sets()["ConfigurationSets"][0]
    monkeypatch.setenv("CAMPAIGN_QUEUE_URL", _queue_url("-CampaignQueue"))
    monkeypatch.setenv("SENDING_DOMAIN", "example.com")
    monkeypatch.setenv("CONFIGURATION_SET", configuration_set)
    monkeypatch.setattr(sending, "RETRY_DELAY", 0)
    monkeypatch.setattr(sending, "DEFERRED_DELAY", 0)
    from ecrm.platform.settings import settings

    settings.cache_clear()
    pacing.forget_cached()
    content.forget_cached()
    profile_schema.forget_cached()
    data = json.loads((ROOT / "local" / "demo_profile.json").read_text())
    profile_schema.save(profile_schema.ProfileSchema.model_validate(data))
    answer_get_account(aws.sesv2(), max_send_rate=1000)
    sent = Sent()

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.raw.append(params["Content"]["Raw"]["Data"])
        sent.tags.append({t["Name"]: t["Value"] for t in params.get("EmailTags", [])})
        sent.configuration_sets.append(params.get("ConfigurationSetName"))

    record_sends(aws.sesv2(), record)
    # moto copies the table per transaction item, walks every answer through a generic
    # serializer and parses whole raw mails otherwise (`local.moto_fast`: same outcomes).
    with fast_moto():
        yield sent
    pacing.forget_cached()
    content.forget_cached()


@pytest.fixture
def six_test_mails_an_hour(campaign_env: Sent, monkeypatch: pytest.MonkeyPatch) -> None:
    """`TEST_MAILS_PER_HOUR` 6, and every request of the test in one hour's window."""
    from ecrm.platform.settings import settings

    monkeypatch.setenv("TEST_MAILS_PER_HOUR", "6")
    settings.cache_clear()
    start = clock.now() // 3600 * 3600 + 1
    monkeypatch.setattr(clock, "now", lambda: start)


def add_contacts(
    count: int,
    *,
    topic: str = "newsletter",
    start: int = 0,
    status: str = "subscribed",
    domain: str = "example.org",
    **fields: Any,
) -> list[str]:
    """Contacts written straight into the table (contact item + topic membership)."""
    at = clock.iso(clock.now())
    ids, items = [], []
    for number in range(start, start + count):
        address = f"person{number}@{domain}"
        contact_id = keys.contact_id_for(address)
        ids.append(contact_id)
        items.append(
            {
                **keys.contact(contact_id),
                "type": "contact",
                "contact_id": contact_id,
                "email": address,
                "status": status,
                "topics": {topic},
                "created_at": at,
                "updated_at": at,
                **{f"f_{k}": v for k, v in fields.items()},
            }
        )
        membership = keys.topic_membership(contact_id, topic)
        items.append({**membership, "type": "topic_membership", "topic": topic, "joined_at": at})
    store.batch_put(items)
    return ids


def admin(
    method: str,
    resource: str,
    path: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
    *,
    claims: dict[str, str] | None = MARKETER,
    query: dict[str, str] | None = None,
) -> tuple[int, Any]:
    from mailing.admin import lambda_handler

    event = events.api(method, resource, path, body=body)
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    response = lambda_handler(event, events.LambdaContext())
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


def create_campaign(
    *, topic: str = "newsletter", conditions: list[dict[str, Any]] | None = None
) -> str:
    """A template, a segment of `topic` and a draft campaign, through the marketer API."""
    status, _ = admin(
        "POST",
        "/admin/templates",
        body={
            "id": "news",
            "name": "News",
            "subject": "News for {{ contact.first_name }}",
            "html": HTML,
        },
    )
    assert status in (201, 409)
    status, _ = admin(
        "POST",
        "/admin/segments",
        body={"id": f"seg-{topic}", "name": "All", "topic": topic, "conditions": conditions or []},
    )
    assert status in (201, 409)
    status, body = admin(
        "POST",
        "/admin/campaigns",
        body={
            "name": "November",
            "template_id": "news",
            "segment_id": f"seg-{topic}",
            "sender": SENDER,
        },
    )
    assert status == 201, body
    return str(body["id"])


def queue_messages(max_messages: int = 10) -> list[dict[str, Any]]:
    """Messages visible on the campaign queue now, as SQS records (left in flight)."""
    sqs = aws.sqs()
    url = _queue_url("-CampaignQueue")
    found: list[dict[str, Any]] = []
    while len(found) < max_messages:
        got = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, max_messages - len(found)),
            AttributeNames=["All"],
        ).get("Messages", [])
        if not got:
            break
        found += got
    arn = f"arn:aws:sqs:us-east-1:123456789012:{url.rsplit('/', 1)[1]}"
    return [lambda_record(m, arn, "us-east-1") for m in found]


def deliver(record: dict[str, Any], *, delete: bool = True) -> dict[str, Any]:
    """Invoke the sender with one record, as the SQS event source does; delete it unless the
    function reported it failed."""
    from mailing.sender import lambda_handler

    response = lambda_handler({"Records": [record]}, events.LambdaContext())
    failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
    if delete and record["messageId"] not in failed:
        aws.sqs().delete_message(
            QueueUrl=_queue_url("-CampaignQueue"), ReceiptHandle=record["receiptHandle"]
        )
    return response


def run_queue(limit: int = 10_000) -> int:
    """Deliver campaign messages until the queue is empty; returns how many were delivered."""
    delivered = 0
    while delivered < limit:
        records = queue_messages(10)
        if not records:
            return delivered
        for record in records:
            deliver(record)
            delivered += 1
    raise AssertionError("the campaign queue never ran empty")


def campaign(campaign_id: str) -> dict[str, Any]:
    status, body = admin("GET", "/admin/campaigns/{campaign_id}", {"campaign_id": campaign_id})
    assert status == 200, body
    return dict(body)


def said_no(kind: str) -> str:
    """An address whose person said no (or whose mail bounced), in the way `kind` names
    (complaint, bounce, unsubscribe, erased, unsubscribed, left_topic: of the newsletter)."""
    address = f"{kind}@example.org"
    if kind == "erased":  # as an erasure leaves it: keyed, no contact holds the address
        store.write(suppression.suppress_without_contact(address, "erased", clock.iso(clock.now())))
    elif kind in suppression.SELF_SERVICE | {"bounce", "complaint"}:
        store.write(suppression.suppress(address, kind, clock.iso(clock.now())))  # type: ignore[arg-type]
    elif kind == "unsubscribed":
        add_contacts(1, start=90, status="unsubscribed")
        address = "person90@example.org"
    else:  # left the campaign's topic, still subscribed to another
        [left] = add_contacts(1, start=91, topic="offers")
        at = clock.iso(clock.now())
        membership = keys.topic_membership(left, "newsletter")
        store.batch_put(
            [
                {
                    "pk": membership["pk"],
                    "sk": membership["sk"],
                    "type": "topic_membership",
                    "topic": "newsletter",
                    "joined_at": at,
                    "left_at": at,
                }
            ]
        )
        address = "person91@example.org"
    return address
