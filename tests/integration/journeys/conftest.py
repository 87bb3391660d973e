"""Journey fixtures: the campaign environment (SES recorded with tags, the demo profile), the
journeys admin API in process, three templates, and a welcome series journey: mail 1, a wait,
a branch on "opened mail 1", mail 2a or 2b, a wait, mail 3; goal: the custom event
`purchased`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from ecrm.automations.triggers import Happened
from ecrm.journeys import engagement, engine, entry, graph
from ecrm.mail import templates
from ecrm.mail.templates import MailTemplateIn
from ecrm.platform import clock, keys, store
from local.faults import Faults
from local.queues import lambda_record
from tests import events
from tests.integration.campaigns.conftest import Sent, add_contacts, campaign_env

__all__ = ["Sent", "add_contacts", "campaign_env"]

MARKETER = {"sub": "m1", "email": "mia@example.com", "cognito:groups": "marketers"}
VIEWER = {"sub": "v1", "email": "vic@example.com", "cognito:groups": "viewers"}
SENDER = {"email": "news@example.com", "name": "The ecrm team"}
HTML = '<p>Hello {{ contact.email }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
DAY = 24 * 60


def send(step_id: str, template: str, nxt: str | None, **more: Any) -> dict[str, Any]:
    return {
        "id": step_id,
        "type": "send",
        "template_id": template,
        "topic": "newsletter",
        "sender": SENDER,
        "next": nxt,
        **more,
    }


def welcome_series(**changes: Any) -> dict[str, Any]:
    body = {
        "name": "Welcome series",
        "entry": {"event": "confirmed"},
        "goal": {"event": "custom_event", "name": "purchased"},
        "start": "first",
        "steps": [
            send("first", "welcome-1", "wait1"),
            {"id": "wait1", "type": "wait", "minutes": DAY, "next": "opened"},
            {
                "id": "opened",
                "type": "branch",
                "if": {"opened": "first"},
                "yes": "second_a",
                "no": "second_b",
            },
            send("second_a", "welcome-2a", "wait2"),
            send("second_b", "welcome-2b", "wait2"),
            {"id": "wait2", "type": "wait", "minutes": 2 * DAY, "next": "third"},
            send("third", "welcome-3", None),
        ],
    }
    return {**body, **changes}


def admin(
    method: str,
    resource: str,
    path: dict[str, str] | None = None,
    body: Any = None,
    claims: Any = MARKETER,
) -> tuple[int, Any]:
    from mailing.automations_api import lambda_handler

    event = events.api(method, resource, path, body=body)
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    response = lambda_handler(event, events.LambdaContext())
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


@pytest.fixture
def journey_env(campaign_env: Sent) -> Iterator[Sent]:
    for template_id in ("welcome-1", "welcome-2a", "welcome-2b", "welcome-3"):
        templates.create(
            template_id, MailTemplateIn(name=template_id, subject=f"Mail {template_id}", html=HTML)
        )
    graph.forget_cached()
    yield campaign_env
    graph.forget_cached()


def published(body: dict[str, Any] | None = None) -> str:
    status, created = admin("POST", "/admin/journeys", body=body or welcome_series())
    assert status == 201, created
    journey_id = str(created["id"])
    status, version = admin(
        "POST", "/admin/journeys/{journey_id}/publish", {"journey_id": journey_id}
    )
    assert status == 201, version
    return journey_id


def happen(contact_id: str, event: str = "confirmed", now: float | None = None, **more: Any) -> Any:
    return entry.on_event(Happened(event, contact_id, f"ref-{event}", **more), now=now)  # type: ignore[arg-type]


def run_of(contact_id: str, journey_id: str) -> dict[str, Any]:
    found = store.get(keys.journey_run(contact_id, journey_id))
    assert found is not None
    return found


def advance(contact_id: str, journey_id: str, now: float) -> str:
    return engine.advance(keys.journey_run(contact_id, journey_id), now=now)


def subjects(sent: Sent) -> list[str]:
    return [str(m["Subject"]) for m in sent.messages()]


def ses_event(sent_tags: dict[str, str], ses_type: str, message_id: str = "m-1") -> bool:
    def tag(name: str) -> str | None:
        return sent_tags.get(name)

    return engagement.record(tag, ses_type, permanent=False, scanner=False)


def queue_url() -> str:
    urls = boto3.client("sqs").list_queues()["QueueUrls"]
    return next(u for u in urls if u.endswith("-JourneyQueue"))


def messages() -> list[dict[str, Any]]:
    """Every message visible on the journey queue now, as SQS records (left in flight), read
    with a client of the harness's own (the faults hook the product's)."""
    sqs, url, found = boto3.client("sqs"), queue_url(), []
    while got := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", []):
        found += got
    arn = f"arn:aws:sqs:us-east-1:123456789012:{url.rsplit('/', 1)[1]}"
    return [lambda_record(m, arn, "us-east-1") for m in found]


def deliver(records: list[dict[str, Any]]) -> set[str]:
    """Invoke SchedulerFunction with a batch, as the queue source does; delete what succeeded
    and make the rest visible again. Returns the failed message ids."""
    from mailing.scheduler import lambda_handler

    sqs, url = boto3.client("sqs"), queue_url()
    try:
        answer = lambda_handler({"Records": records}, events.LambdaContext())
    except BaseException:  # a crash: the whole batch comes back
        for record in records:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
            )
        raise
    failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
    for record in records:
        if record["messageId"] in failed:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
            )
        else:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
    return failed


# --- fault sweeps ------------------------------------------------------------------------


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """The product's clock moved on by the test (`later(seconds)`): waits fall due, a dead
    worker's claim goes stale, as if the retry came that much later."""
    offset = {"s": 0.0}
    monkeypatch.setattr(clock, "now", lambda: time.time() + offset["s"])

    def advance_by(seconds: float) -> None:
        offset["s"] += seconds

    return advance_by


@pytest.fixture
def injected(journey_env: Sent) -> Iterator[Faults]:
    """Kills and throttles (`local.faults`) armed by the test, on every client."""
    found = Faults()
    found.install()
    yield found
    found.uninstall()


def confirm(sent: Sent, faults: Faults) -> None:
    """SES's Send events for what SES accepted since the last call (a dead worker's too),
    unthrottled (SNS redelivers an event whose function failed). Each mail's event comes once:
    replaying every earlier mail's at each kill made a sweep's time grow with its square."""
    throttles, faults.throttles = faults.throttles, []
    try:
        while sent.confirmed < len(sent.tags):
            engagement.confirm_sent(sent.tags[sent.confirmed].get, "ses-message-id")
            sent.confirmed += 1
    finally:
        faults.throttles = throttles
