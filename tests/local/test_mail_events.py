"""The local stack simulates what SES reports after a mail leaves: the outbox's events endpoint,
buttons and CLI publish an SES record (built from the published samples) to the configuration
set's topic, and the template's subscribed function applies it. Inbound mail plays the
receipt rule of the `mailto:` unsubscribe. All on the product's own template."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import boto3
import pytest

from local.cli import main
from local.stack import EmbeddedStack

ANN = "ann@example.com"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    local_stack = EmbeddedStack(
        tmp_path_factory.mktemp("state"), port=0, fresh=True, keep_state=False
    )
    local_stack.start()
    try:
        yield local_stack
    finally:
        local_stack.stop()


def client(stack: EmbeddedStack, service: str) -> Any:
    make: Any = boto3.client
    return make(service, endpoint_url=stack.moto_url, region_name="us-east-1")


def http(stack: EmbeddedStack, method: str, path: str, body: Any = None, **headers: str) -> Any:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(
        stack.api_url + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def contact_items(stack: EmbeddedStack, email: str = ANN) -> list[dict[str, Any]]:
    from ecrm.platform import keys
    from ecrm.platform.store import deserialize

    pk = keys.contact(keys.contact_id_for(email))["pk"]
    found = client(stack, "dynamodb").query(
        TableName=stack.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
    )["Items"]
    return [deserialize(item) for item in found]


def of_type(stack: EmbeddedStack, kind: str, email: str = ANN) -> list[dict[str, Any]]:
    return [i for i in contact_items(stack, email) if i.get("type") == kind]


def profile(stack: EmbeddedStack, email: str = ANN) -> dict[str, Any]:
    return next(i for i in contact_items(stack, email) if i["sk"] == "PROFILE")


def signed_up(stack: EmbeddedStack, email: str) -> str:
    """Submit the demo form through the gateway; returns the confirmation mail's outbox id."""
    status, _ = http(
        stack, "POST", "/forms/newsletter/submissions", {"email": email, "consent": True}
    )
    assert status == 202
    stack.drain()
    return next(m["id"] for m in stack.outbox() if m["to"] == email)


def test_a_delivery_of_the_confirmation_mail_becomes_an_interaction(stack: EmbeddedStack) -> None:
    message_id = signed_up(stack, ANN)

    record = stack.simulate_ses_event(message_id, "delivery")

    assert record["eventType"] == "Delivery"
    assert record["mail"]["messageId"] == message_id
    assert record["delivery"]["recipients"] == [ANN]
    [delivered] = of_type(stack, "email_delivered")
    assert delivered["message_id"] == message_id
    assert "campaign_id" not in delivered  # transactional mail: found by its address


def test_opens_from_a_person_and_from_a_scanner_are_told_apart(stack: EmbeddedStack) -> None:
    message_id = signed_up(stack, "bo@example.com")

    stack.simulate_ses_event(message_id, "open")
    stack.simulate_ses_event(message_id, "click", scanner=True)
    stack.simulate_ses_event(message_id, "click")

    [opened] = of_type(stack, "email_opened", "bo@example.com")
    assert opened["scanner"] is False
    clicks = of_type(stack, "email_clicked", "bo@example.com")
    assert sorted(c["scanner"] for c in clicks) == [False, True]
    assert all("/confirm/" in c["link"] for c in clicks)  # the mail's own first link


def test_tags_of_a_campaign_send_reach_the_events(stack: EmbeddedStack) -> None:
    from ecrm.platform import keys

    contact_id = keys.contact_id_for(ANN)
    campaign = {"pk": {"S": "CAMPAIGN#c9"}, "sk": {"S": "META"}, "state": {"S": "sending"}}
    client(stack, "dynamodb").put_item(TableName=stack.table_name, Item=campaign)
    message = EmailMessage()
    message["From"] = "news@example.com"
    message["To"] = ANN
    message["Subject"] = "News"
    message.set_content("Hello")
    sent = client(stack, "sesv2").send_email(
        FromEmailAddress="news@example.com",
        Destination={"ToAddresses": [ANN]},
        Content={"Raw": {"Data": bytes(message)}},
        ConfigurationSetName="ecrm-dev",
        EmailTags=[{"Name": "campaign", "Value": "c9"}, {"Name": "contact", "Value": contact_id}],
    )

    record = stack.simulate_ses_event(sent["MessageId"], "delivery")

    assert record["mail"]["tags"]["campaign"] == ["c9"]
    kept = stack.state_dir / "outbox"  # beside the .eml: simulating still works after a restart
    assert list(kept.glob(f"*-{sent['MessageId']}.tags.json"))
    item = client(stack, "dynamodb").get_item(
        TableName=stack.table_name, Key={k: campaign[k] for k in ("pk", "sk")}
    )
    assert item["Item"]["delivered"] == {"N": "1"}


def test_the_events_endpoint_answers_with_the_record_and_refuses_nonsense(
    stack: EmbeddedStack,
) -> None:
    message_id = signed_up(stack, "cy@example.com")

    status, body = http(
        stack, "POST", f"/_local/outbox/{message_id}/events", {"type": "soft_bounce"}
    )
    assert status == 202
    assert json.loads(body)["bounce"]["bounceType"] == "Transient"
    assert profile(stack, "cy@example.com")["soft_bounces"] == 1

    assert http(stack, "POST", f"/_local/outbox/{message_id}/events", {"type": "nope"})[0] == 400
    assert http(stack, "POST", f"/_local/outbox/{message_id}/events", b"[]")[0] == 400
    assert http(stack, "POST", "/_local/outbox/unknown/events", {"type": "open"})[0] == 404


def test_the_outbox_page_buttons_post_a_form_and_come_back(stack: EmbeddedStack) -> None:
    message_id = signed_up(stack, "di@example.com")
    status, page = http(stack, "GET", "/_local/outbox")
    assert status == 200
    assert f'action="/_local/outbox/{message_id}/events"'.encode() in page
    assert b'name="type" value="complaint"' in page

    request = urllib.request.Request(
        f"{stack.api_url}/_local/outbox/{message_id}/events",
        data=b"type=complaint",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # follows the 303
        assert f"/_local/outbox?reported=complaint&mail={message_id}" in answer.url
        assert "Simulated “Complaint”" in answer.read().decode()

    assert profile(stack, "di@example.com")["status"] == "unsubscribed"
    assert len(of_type(stack, "email_complained", "di@example.com")) == 1


def test_the_cli_simulates_an_event_on_the_running_stack(
    stack: EmbeddedStack, capsys: pytest.CaptureFixture[str]
) -> None:
    message_id = signed_up(stack, "ed@example.com")

    code = main(["outbox", "event", message_id, "bounce", "--state", str(stack.state_dir)])

    assert code == 0
    assert '"eventType": "Bounce"' in capsys.readouterr().out  # among the handlers' own logs
    assert profile(stack, "ed@example.com")["email_status"] == "bounced"


def test_a_mail_to_the_unsubscribe_address_runs_the_receipt_rule(stack: EmbeddedStack) -> None:
    from ecrm.platform import keys, tokens

    signed_up(stack, "fay@example.com")
    token = tokens.issue("unsubscribe", keys.contact_id_for("fay@example.com"))

    assert stack.receive_mail("unsubscribe@example.com", token, "fay@example.com") == 1
    assert stack.receive_mail("someone-else@elsewhere.example", token) == 0

    assert profile(stack, "fay@example.com")["status"] == "unsubscribed"
    [done] = of_type(stack, "unsubscribed", "fay@example.com")
    assert done["source"] == "mailto"


def test_a_function_that_keeps_failing_parks_the_event_in_its_dlq(
    stack: EmbeddedStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mailing.ses_events

    message_id = signed_up(stack, "gil@example.com")

    def broken(message: str) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(mailing.ses_events, "record_handler", broken)
    stack.simulate_ses_event(message_id, "delivery")

    sqs = client(stack, "sqs")
    url = sqs.get_queue_url(QueueName="ecrm-local-MailEventsDLQ")["QueueUrl"]
    [parked] = sqs.receive_message(QueueUrl=url)["Messages"]
    record = json.loads(parked["Body"])
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"]["Records"][0]["EventSource"] == "aws:sns"
    assert of_type(stack, "email_delivered", "gil@example.com") == []
