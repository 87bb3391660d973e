"""One representative event per function of the template, for the packaging test.

A scenario prepares what its event needs in the moto server (in this process, as the function
would see it), returns the events (built from the published samples, through tests/events.py)
and a check of the built function's answers. Every function in infra/template.yaml needs one:
add yours to SCENARIOS, keyed by the function's logical id.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
from collections.abc import Callable
from typing import Any

import boto3

from bench.moto_env import Stack, as_function, save_demo_form
from capture.app import lambda_handler as capture_handler
from ecrm.contacts import suppression
from ecrm.events import api_keys
from ecrm.platform import keys, normalise, store
from ecrm.webhooks import endpoints as webhook_endpoints
from ecrm.webhooks import fanout as webhook_events
from local.cognito import create_pool
from local.template import Function
from tests import events
from tests.conftest import FIXTURES

Event = dict[str, Any]
Check = Callable[[list[Any]], None]  # raises AssertionError unless the answers are right
Scenario = Callable[[Stack, Function], tuple[list[Event], Check]]

_visits = itertools.count(1)


def _visitor(name: str) -> tuple[str, str]:
    """A new address and IP per call: the cold-start bench replays scenarios, and per-address
    and per-IP rate limits must never turn a replay into a 429."""
    n = next(_visits)
    return f"{name}-{n}@example.com", str(ipaddress.IPv4Address("198.51.100.0") + n)


def _item(stack: Stack, key: dict[str, str]) -> dict[str, Any] | None:
    client = boto3.client(
        "dynamodb", region_name=stack.names.region, endpoint_url=stack.endpoint_url
    )
    found = client.get_item(
        TableName=stack.names.refs["Table"], Key=store.serialize(key), ConsistentRead=True
    ).get("Item")
    return store.deserialize(found) if found else None


def capture(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """Render a form, submit it (one transaction), open a malformed confirmation link (its
    problem page is rendered by Jinja from the function's own pages)."""
    with as_function(stack, function.logical_id):
        form = save_demo_form()
    visitor, ip = _visitor("packaged")
    fields = {"email": visitor, "first_name": "Ann", "consent": True}
    path = {"form_id": form.id}
    batch = [
        events.api("GET", "/forms/{form_id}", path),
        events.api(
            "POST",
            "/forms/{form_id}/submissions",
            path,
            body=fields,
            headers={"Origin": form.allowed_origins[0]},
            ip=ip,
        ),
        events.api("GET", "/confirm/{token}", {"token": "not-a-real-token"}),
    ]

    def check(answers: list[Any]) -> None:
        definition, submission, page = answers
        assert definition["statusCode"] == 200, definition
        assert json.loads(definition["body"])["id"] == form.id
        assert submission["statusCode"] == 202, submission
        assert json.loads(submission["body"])["submission_id"]
        assert page["statusCode"] == 401, page
        assert "This link is malformed." in page["body"]
        contact = keys.contact(keys.contact_id_for(normalise.email(visitor)))
        assert _item(stack, contact), "the submission stored no contact"

    return batch, check


def transactional_mail(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """The stream record of a real submission's interaction -> the confirmation mail."""
    email, ip = _visitor("confirm-me")
    with as_function(stack, "CaptureFunction") as capture_function:
        form = save_demo_form()
        answer = capture_handler(
            events.api(
                "POST",
                "/forms/{form_id}/submissions",
                {"form_id": form.id},
                body={"email": email, "first_name": "Bea", "consent": True},
                headers={"Origin": form.allowed_origins[0]},
                ip=ip,
            ),
            stack.context(capture_function),
        )
        assert answer["statusCode"] == 202, answer
        contact_id = keys.contact_id_for(normalise.email(email))
        interactions, _ = store.query(keys.contact(contact_id)["pk"], sk_prefix="EVENT#")
    [interaction] = interactions

    def check(answers: list[Any]) -> None:
        [response] = answers
        assert not response.get("batchItemFailures"), response
        ledger = _item(
            stack, keys.transactional_mail(contact_id, "confirm", interaction["event_id"])
        )
        assert ledger and ledger.get("state") == "sent", ledger

    return [_stream(interaction)], check


def ses_events(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A permanent bounce published by SES through SNS -> the address is suppressed. A new
    address and message per call: the cold-start bench replays the scenario on one server,
    where other functions (an erasure) add suppressions of their own."""
    n = next(_visits)
    bounced = normalise.email(f"bounced-{n}@example.com")
    notification = events.ses_notification(
        "bounce",
        message_id=f"packaged-{n}",
        to=bounced,
        sent_at=1_700_000_000.0,
        at=1_700_000_060.0,
    )

    def check(answers: list[Any]) -> None:
        assert answers == [None]
        # No contact holds the address, so its suppression is in the keyed form (its key needs
        # the stack's pseudonym key), holding the bounce, and there is no plain item.
        with as_function(stack, function.logical_id):
            plain, keyed = suppression.keys_of(bounced)
        assert _item(stack, plain) is None, "suppressed in the plain form"
        held = _item(stack, keyed)
        assert held is not None and held["reasons"] == ["bounce"], f"not suppressed: {held}"

    return [notification], check


def inbound_mail(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A mail to the unsubscribe address without a valid token changes nothing."""

    def check(answers: list[Any]) -> None:
        assert answers == [None]

    return [events.ses_receipt("please unsubscribe me")], check


def account(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """Ask for a sign-in link (answered the same whether or not the address is known), open
    an unsubscribe link's page (Jinja, the function's pages/)."""
    email, ip = _visitor("account")
    batch = [
        events.api("POST", "/account/link", body={"email": email}, ip=ip),
        events.api("GET", "/unsubscribe/{token}", {"token": "not-a-real-token"}),
    ]

    def check(answers: list[Any]) -> None:
        link, page = answers
        assert link["statusCode"] == 202, link
        assert page["statusCode"] in {200, 400, 401}, page
        assert "<html" in page["body"].lower(), page

    return batch, check


def _submitted_interaction(stack: Stack, email: str, ip: str) -> dict[str, Any]:
    """The interaction item a real submission wrote (for stream scenarios)."""
    with as_function(stack, "CaptureFunction") as capture_function:
        form = save_demo_form()
        answer = capture_handler(
            events.api(
                "POST",
                "/forms/{form_id}/submissions",
                {"form_id": form.id},
                body={"email": email, "first_name": "Cy", "consent": True},
                headers={"Origin": form.allowed_origins[0]},
                ip=ip,
            ),
            stack.context(capture_function),
        )
        assert answer["statusCode"] == 202, answer
        contact_id = keys.contact_id_for(normalise.email(email))
        interactions, _ = store.query(keys.contact(contact_id)["pk"], sk_prefix="EVENT#")
    return interactions[0]


def _stream(item: dict[str, Any]) -> Event:
    """The stream event of one new item, its record's id new per call as DynamoDB's are (the
    functions that count a record once, by its id, would take a replay for a retry)."""
    event = events.stream(item)
    event["Records"][0]["eventID"] = f"packaged-{next(_visits)}"
    return event


def _no_batch_failures(answers: list[Any]) -> None:
    [response] = answers
    assert response == {"batchItemFailures": []}, response


def scoring(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A form submission's interaction from the stream -> the contact is scored."""
    interaction = _submitted_interaction(stack, *_visitor("score-me"))
    return [_stream(interaction)], _no_batch_failures


def stage_events(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A stage change from the stream -> published to EventBridge."""
    interaction = _submitted_interaction(stack, *_visitor("stage-me"))
    changed = {
        **interaction,
        "sk": interaction["sk"] + "-stage",
        "type": "stage_changed",
        "from_stage": "subscriber",
        "to_stage": "lead",
    }
    return [_stream(changed)], _no_batch_failures


def scoring_api(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A marketer (Cognito claims from the authorizer) reads the scoring ruleset."""
    event = _marketer(events.api("GET", "/admin/scoring"))

    def check(answers: list[Any]) -> None:
        [answer] = answers
        assert answer["statusCode"] == 200, answer
        assert isinstance(json.loads(answer["body"]), dict)

    return [event], check


def rescore(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """One step of a re-score job, from its queue's message."""
    from ecrm.scoring import rescore as jobs

    with as_function(stack, function.logical_id):
        job = jobs.start("marketer@example.com")
    message = json.loads((FIXTURES / "aws" / "sqs.json").read_text(encoding="utf-8"))
    record = {**message["Records"][0], "body": json.dumps({"job_id": job["job_id"]})}
    return [{"Records": [record]}], _no_batch_failures


def forms_admin(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A marketer puts a new form definition (GetItem + conditional PutItem), then lists forms
    (a gsi1 Query and a BatchGetItem). A new id per call: the cold-start bench replays it."""
    import uuid

    from local.stack import DEMO_FORM

    form_id = f"packaged-{uuid.uuid4().hex[:12]}"
    definition = json.loads(DEMO_FORM.read_text(encoding="utf-8")) | {"id": form_id}
    put = events.api("PUT", "/admin/forms/{form_id}", {"form_id": form_id}, body=definition)
    batch = [_marketer(put), _marketer(events.api("GET", "/admin/forms"))]

    def check(answers: list[Any]) -> None:
        saved, listed = answers
        assert saved["statusCode"] == 201, saved
        assert json.loads(saved["body"])["version"] == 1
        assert listed["statusCode"] == 200, listed
        assert json.loads(listed["body"])["items"], "the listing is empty"

    return batch, check


def contacts_admin(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A marketer announces a CSV file: the import and its presigned upload URL. A new file
    per call: the cold-start bench replays it (the same file again answers 200, not 201)."""
    import uuid

    digest = uuid.uuid4().hex * 2  # 64 hex digits, as a SHA-256
    body = {"sha256": digest, "size": 10, "filename": "a.csv", "consent_source": "fair"}
    event = _marketer(events.api("POST", "/admin/imports", body=body))

    def check(answers: list[Any]) -> None:
        [answer] = answers
        assert answer["statusCode"] == 201, answer
        assert "X-Amz-Signature=" in json.loads(answer["body"])["upload"]["url"]

    return [event], check


def contact_erasure(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A marketer erases a contact that signed up, its address typed (a new one per call:
    the cold-start bench replays it, and an erased contact is a 404)."""
    email, ip = _visitor("erased")
    contact_id = _submitted_interaction(stack, email, ip)["contact_id"]
    body = {"email": email}
    event = _marketer(
        events.api("DELETE", "/admin/contacts/{contact_id}", {"contact_id": contact_id}, body=body)
    )

    def check(answers: list[Any]) -> None:
        [answer] = answers
        assert answer["statusCode"] == 200, answer
        assert json.loads(answer["body"])["erased"] is True

    return [event], check


def import_worker(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """One step of an uploaded, started import, from its queue's message."""
    import hashlib

    from ecrm.imports import jobs

    address = normalise.email(_visitor("packaged-import")[0])  # a new one per call (replays)
    data = f"email\n{address}\n".encode()
    with as_function(stack, function.logical_id):
        body = jobs.ImportRequest(
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            filename="a.csv",
            consent_source="fair",
        )
        job, _ = jobs.create(body, "marketer@example.com")
        boto3.client(
            "s3", region_name=stack.names.region, endpoint_url=stack.endpoint_url
        ).put_object(Bucket=jobs.bucket(), Key=f"imports/{job['import_id']}.csv", Body=data)
        jobs.start(job["import_id"])
    message = json.loads((FIXTURES / "aws" / "sqs.json").read_text(encoding="utf-8"))
    record = {**message["Records"][0], "body": json.dumps({"import_id": job["import_id"]})}

    def check(answers: list[Any]) -> None:
        _no_batch_failures(answers)
        assert _item(stack, keys.contact(keys.contact_id_for(address))) is not None

    return [{"Records": [record]}], check


def _marketer(event: Event, group: str = "marketers") -> Event:
    """The claims API Gateway's Cognito authorizer passes for a member of `group`."""
    event["requestContext"]["authorizer"] = {
        "claims": {"sub": f"{group}-1", "email": f"{group}@example.com", "cognito:groups": group}
    }
    return event


def _admin_read(path: str) -> Scenario:
    def scenario(stack: Stack, function: Function) -> tuple[list[Event], Check]:
        def check(answers: list[Any]) -> None:
            [answer] = answers
            assert answer["statusCode"] == 200, answer
            json.loads(answer["body"])

        return [_marketer(events.api("GET", path))], check

    return scenario


def team_admin(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """An admin lists the team, from the template's user pool (made once per server, as `ecrm
    serve` makes it: the moto server of the packaging test has no Cognito resources)."""

    def client(service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]  # any service name, as create_pool asks
            region_name=stack.names.region,
            endpoint_url=stack.endpoint_url,
        )

    if not client("cognito-idp").list_user_pools(MaxResults=1)["UserPools"]:
        create_pool(stack.template, stack.names, client, stack.endpoint_url or "")

    def check(answers: list[Any]) -> None:
        [answer] = answers
        assert answer["statusCode"] == 200, answer
        assert json.loads(answer["body"])["items"] == [], answer  # nobody invited yet

    return [_marketer(events.api("GET", "/admin/team"), "admins")], check


def event_keys_admin(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A marketer creates an event key (its secret answered once, its hash stored) and lists
    the keys (the listing index and a BatchGetItem of the page)."""
    name = f"packaged source {next(_visits)}"
    batch = [
        _marketer(events.api("POST", "/admin/event-keys", body={"name": name})),
        _marketer(events.api("GET", "/admin/event-keys")),
    ]

    def check(answers: list[Any]) -> None:
        created, listed = answers
        assert created["statusCode"] == 201, created
        made = json.loads(created["body"])
        assert made["key"].startswith("ecrm_ek_") and made["name"] == name
        assert listed["statusCode"] == 200, listed
        assert made["id"] in {k["id"] for k in json.loads(listed["body"])["items"]}
        stored = _item(stack, keys.event_key(made["id"])) or {}
        assert stored["secret_hash"] and made["key"] not in json.dumps(stored)

    return batch, check


def events_in(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A backend records an event for a contact with its key (the key checked, the contacts
    read, one transaction), then replays it (its id: once)."""
    interaction = _submitted_interaction(stack, *_visitor("eventful"))
    contact_id = str(interaction["contact_id"])
    with as_function(stack, "EventKeysAdminFunction"):
        secret = api_keys.create(f"packaged source {next(_visits)}", "packaging")["key"]
    body = {"name": "purchased", "contact_id": contact_id, "id": f"order-{next(_visits)}"}
    sent = [
        events.api("POST", "/events", body=body, headers={"Authorization": f"Bearer {secret}"})
        for _ in range(2)
    ]

    def check(answers: list[Any]) -> None:
        assert [a["statusCode"] for a in answers] == [202, 202], answers
        assert json.loads(answers[0]["body"]) == {"accepted": 1}
        with as_function(stack, function.logical_id):
            found, _ = store.query(keys.contact(contact_id)["pk"], sk_prefix="EVENT#")
        assert [i["name"] for i in found if i["type"] == "custom_event"] == ["purchased"]

    return sent, check


def webhooks_admin(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A marketer registers a webhook (the URL checked, its secret derived from a salt and
    the webhook key, answered once) and lists them. A public address literal: no name lookup."""
    body = {"url": f"https://93.184.215.14/hook-{next(_visits)}", "events": ["event.custom"]}
    batch = [
        _marketer(events.api("POST", "/admin/webhooks", body=body)),
        _marketer(events.api("GET", "/admin/webhooks")),
    ]

    def check(answers: list[Any]) -> None:
        created, listed = answers
        assert created["statusCode"] == 201, created
        made = json.loads(created["body"])
        assert made["secret"].startswith("whsec_") and made["url"] == body["url"]
        assert made["id"] in {h["id"] for h in json.loads(listed["body"])["items"]}
        stored = _item(stack, keys.webhook(made["id"])) or {}
        assert stored["secret_salt"] and made["secret"] not in repr(stored)
        _drop_webhooks(stack, made["id"])

    return batch, check


def _webhook(stack: Stack, url: str = "https://93.184.215.14/hook") -> dict[str, Any]:
    with as_function(stack, "WebhooksAdminFunction"):
        fields = {"url": url, "events": ["form.submitted"], "description": ""}
        return webhook_endpoints.create(fields, "packaging")


def _drop_webhooks(stack: Stack, *ids: str) -> None:
    """A scenario's endpoints deleted once checked: the cold-start bench replays every scenario
    on one server, and the endpoints of earlier rounds would reach the limit (25) and make every
    later fan-out deliver to all of them."""
    with as_function(stack, "WebhooksAdminFunction"):
        for webhook_id in ids:
            webhook_endpoints.delete(webhook_id)


def webhook_fanout(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A submission's interaction from the stream -> one delivery queued per endpoint."""
    hook = _webhook(stack)
    interaction = _submitted_interaction(stack, *_visitor("hooked"))
    event = webhook_events.event_of(interaction) or {}
    wanted = webhook_events.delivery_id(str(event["id"]), hook["id"])

    def check(answers: list[Any]) -> None:
        assert answers == [{"batchItemFailures": []}], answers
        with as_function(stack, function.logical_id):
            sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url)
            url = stack.environment(function)["WEBHOOK_QUEUE_URL"]
            queued: list[Any] = []
            # The whole queue, emptied: a bench replays this and each round's endpoint adds to
            # the next rounds' deliveries (one receive saw 10 of them, perhaps not this one).
            while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
                "Messages", []
            ):
                queued += batch
                for message in batch:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        assert wanted in {json.loads(m["Body"])["delivery_id"] for m in queued}, queued
        _drop_webhooks(stack, hook["id"])

    return [_stream(interaction)], check


def webhook_delivery(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """Two queued deliveries: one already delivered (its marker: not posted again), one to an
    endpoint whose address is private by now (refused, recorded, to be retried). No network."""
    done, private = _webhook(stack), _webhook(stack)
    with as_function(stack, function.logical_id):
        marked = str(next(_visits))
        store.write(store.Put({**keys.webhook_delivered(f"dlv_{marked}"), "type": "mark"}))
        store.write(
            store.Update(
                keys.webhook(private["id"]),
                "SET #u = :u",
                names={"#u": "url"},
                values={":u": "https://10.0.0.9/hook"},
            )
        )
    event = {"id": "evt_packaged", "type": "form.submitted", "created_at": "", "data": {}}
    bodies = [
        {"delivery_id": f"dlv_{marked}", "webhook_id": done["id"], "event": event},
        {"delivery_id": f"dlv_p{marked}", "webhook_id": private["id"], "event": event},
    ]
    records = [
        {
            "messageId": f"m-{n}",
            "receiptHandle": f"not-a-handle-{n}",
            "body": json.dumps(body),
            "attributes": {"ApproximateReceiveCount": "1"},
            "eventSource": "aws:sqs",
        }
        for n, body in enumerate(bodies)
    ]

    def check(answers: list[Any]) -> None:
        assert answers == [{"batchItemFailures": [{"itemIdentifier": "m-1"}]}], answers
        stored = _item(stack, keys.webhook(private["id"])) or {}
        assert str(stored.get("last_error", "")).startswith("refused:"), stored
        _drop_webhooks(stack, done["id"], private["id"])

    return [{"Records": records}], check


def automations(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A form submission's interaction from the stream -> automations that start on it; the
    contact given a birthday -> the contacts' date index."""
    interaction = _submitted_interaction(stack, *_visitor("automate-me"))
    contact_id = str(interaction["contact_id"])
    contact = _item(stack, keys.contact(contact_id))
    assert contact is not None
    event = _stream(interaction)
    [changed] = _stream({**contact, "f_birthday": "1990-05-17"})["Records"]
    changed["eventName"] = "MODIFY"
    changed["dynamodb"]["OldImage"] = store.serialize(contact)
    event["Records"].append(changed)

    def check(answers: list[Any]) -> None:
        _no_batch_failures(answers)
        assert _item(stack, keys.contact_date(contact_id, "birthday")) is not None

    return [event], check


def trends(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A form submission's interaction from the stream -> counted on its day (once more than
    before: the cold-start bench replays the scenario on one server)."""
    interaction = _submitted_interaction(stack, *_visitor("count-me"))
    day_key = keys.trend_day(interaction["at"][:10])

    def signups() -> int:
        day = _item(stack, day_key) or {}
        return int(day.get("totals", {}).get("signups", 0))

    before = signups()

    def check(answers: list[Any]) -> None:
        _no_batch_failures(answers)
        assert signups() == before + 1, _item(stack, day_key)

    return [_stream(interaction)], check


def campaign_sender(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """A plan message of a campaign that no longer sends: read, and nothing to do."""
    message = json.loads((FIXTURES / "aws" / "sqs.json").read_text(encoding="utf-8"))
    body = {"kind": "plan", "campaign": "cmp_packaging", "shard": 0, "page": 0}
    record = {**message["Records"][0], "body": json.dumps(body)}
    return [{"Records": [record]}], _no_batch_failures


def scheduler(stack: Stack, function: Function) -> tuple[list[Event], Check]:
    """EventBridge's scheduled tick: nothing is due on an empty table; then a journey queue
    message naming a run that does not exist: read, and nothing to do."""
    tick = json.loads((FIXTURES / "aws" / "eventbridge.json").read_text(encoding="utf-8"))
    tick.update({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}})
    message = json.loads((FIXTURES / "aws" / "sqs.json").read_text(encoding="utf-8"))
    body = {"pk": "CONTACT#c_packaging", "sk": "JOURNEY#j_packaging"}
    record = {**message["Records"][0], "body": json.dumps(body)}

    def check(answers: list[Any]) -> None:
        answer, steps = answers
        assert isinstance(answer, dict) and "minutes" in answer, answer
        _no_batch_failures([steps])

    return [tick, {"Records": [record]}], check


SCENARIOS: dict[str, Scenario] = {
    "AutomationsFunction": automations,
    "AutomationsApiFunction": _admin_read("/admin/automations"),
    "FormsAdminFunction": forms_admin,
    "MailingAdminFunction": _admin_read("/admin/templates"),
    "CampaignSenderFunction": campaign_sender,
    "SchedulerFunction": scheduler,
    "AccountFunction": account,
    "ScoringFunction": scoring,
    "StageEventsFunction": stage_events,
    "ScoringApiFunction": scoring_api,
    "RescoreFunction": rescore,
    "TrendsFunction": trends,
    "ReportsFunction": _admin_read("/admin/reports"),
    "ContactsAdminFunction": contacts_admin,
    "ContactErasureFunction": contact_erasure,
    "ImportWorkerFunction": import_worker,
    "TeamAdminFunction": team_admin,
    "EventKeysAdminFunction": event_keys_admin,
    "EventsFunction": events_in,
    "WebhooksAdminFunction": webhooks_admin,
    "WebhookFanoutFunction": webhook_fanout,
    "WebhookDeliveryFunction": webhook_delivery,
    "CaptureFunction": capture,
    "TransactionalMailFunction": transactional_mail,
    "SesEventsFunction": ses_events,
    "InboundMailFunction": inbound_mail,
}
