"""Automated mailings on moto: marketers manage rules; trigger events from the stream schedule a
run once per contact and rule; the schedule tick sends it when due, as bulk mail with list
headers and tags; throttles and crashes neither lose nor double it."""

from __future__ import annotations

import email
import json
import time
from email.policy import default
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from ecrm import due
from ecrm.automations import rules
from ecrm.automations import runs as automation_runs
from ecrm.mail.templates import MailTemplateIn
from ecrm.platform import aws, clock, keys, store
from ecrm.platform.settings import settings
from local.template import Template
from tests import events
from tests.conftest import ROOT, table_items

MARKETER = {"sub": "m1", "email": "mia@example.com", "cognito:groups": "marketers"}
ANN = "ann@example.com"
ANN_ID = keys.contact_id_for(ANN)
NONE_YET = {"triggered": 0, "sent": 0, "skipped": 0, "failed": 0, "waiting": 0}
ROUTES = [
    (r.method, r.path)
    for f in Template.load(ROOT / "infra" / "template.yaml").functions()
    if f.handler_module == "mailing.automations_api"
    for r in f.api_routes
]


def rule(**changes: Any) -> dict[str, Any]:
    body = {
        "name": "Welcome",
        "when": {"event": "confirmed"},
        "template_id": "welcome",
        "topic": "newsletter",
        "sender": {"email": "news@example.com", "name": "The ecrm team"},
        "delay_minutes": 60,
    }
    return {**body, **changes}


def admin(
    method: str,
    path: str,
    params: dict[str, str] | None = None,
    body: Any = None,
    claims: Any = MARKETER,
) -> tuple[int, Any]:
    from mailing.automations_api import lambda_handler

    event = events.api(method, path, params, body=body)
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    response = lambda_handler(event, events.LambdaContext())
    return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def template(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_SEND_RATE", "100")  # moto has no SES v2 GetAccount
    settings.cache_clear()
    from ecrm.mail import templates

    html = '<p>Hello {{ contact.email }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
    templates.create("welcome", MailTemplateIn(name="Welcome", subject="Welcome!", html=html))
    rules.forget_cached()


def create(**changes: Any) -> str:
    status, body = admin("POST", "/admin/automations", body=rule(**changes))
    assert status == 201, body
    rules.forget_cached()
    return str(body["id"])


def stream(images: list[dict[str, Any]], old: list[dict[str, Any] | None] | None = None) -> Any:
    """Hand items to the automations function as one stream batch (with old images: MODIFY)."""
    from mailing.automations import lambda_handler

    event = events.stream(*images, event_name="MODIFY" if old else "INSERT")
    for record, before in zip(event["Records"], old or [], strict=False):
        if before is not None:
            record["dynamodb"]["OldImage"] = store.serialize(before)
    return lambda_handler(event, events.LambdaContext())


def interaction(kind: str, contact_id: str = ANN_ID, **fields: Any) -> dict[str, Any]:
    at = clock.iso(time.time())
    event_id = f"{kind}-{time.monotonic_ns()}"
    return {
        **keys.interaction(contact_id, at, event_id),
        "type": kind,
        "contact_id": contact_id,
        "event_id": event_id,
        "at": at,
        **fields,
    }


def runs() -> list[dict[str, Any]]:
    return [i for i in table_items() if i.get("type") == "automation_run"]


def sent() -> list[email.message.EmailMessage]:
    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    return [
        email.message_from_string(m.raw_data, policy=default)  # type: ignore[misc]
        for m in backend.sent_messages
        if "news@example.com" in m.raw_data
    ]


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let `tick_after` move the domain's clock forward (the tick and the runs read it)."""
    monkeypatch.setattr(clock, "now", lambda: time.time() + _offset["seconds"])
    _offset["seconds"] = 0.0


_offset = {"seconds": 0.0}


def tick_after(minutes: float) -> due.TickResult:
    """The schedule tick, `minutes` from now."""
    _offset["seconds"] = minutes * 60
    return due.tick()


# --- the admin API -------------------------------------------------------------------------------


def test_marketers_create_read_list_and_update_rules(template: None) -> None:
    status, created = admin("POST", "/admin/automations", body=rule())
    assert status == 201
    assert created["version"] == 1 and created["when"]["event"] == "confirmed"
    path = "/admin/automations/{automation_id}"
    params = {"automation_id": created["id"]}

    assert admin("GET", path, params) == (200, created)
    assert admin("GET", "/admin/automations")[1]["items"] == [{**created, "counts": NONE_YET}]

    status, updated = admin("PUT", path, params, body=rule(delay_minutes=5, version=1))
    assert status == 200 and updated["version"] == 2 and updated["delay_minutes"] == 5
    status, stale = admin("PUT", path, params, body=rule(version=1))
    assert status == 409 and stale["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    "changes",
    [
        {"template_id": "nope"},
        {"when": {"event": "stage_reached"}},
        {"when": {"event": "topic_added"}},
        {"when": {"event": "clicked"}},
        {"delay_minutes": -1},
        {"sender": {"email": "not an address", "name": "x"}},
    ],
)
def test_an_incomplete_rule_is_refused_and_nothing_is_stored(
    template: None, changes: dict[str, Any]
) -> None:
    status, body = admin("POST", "/admin/automations", body=rule(**changes))
    assert status in (400, 422)
    assert body["error"]["fields"]
    assert rules.all_rules() == []


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_needs_a_marketer(aws_env: dict[str, str], method: str, path: str) -> None:
    params = {"automation_id": "au_0123456789ab"}
    assert admin(method, path, params, rule(), claims=None)[0] == 401
    staff = {"sub": "s", "cognito:groups": "staff"}
    assert admin(method, path, params, rule(), claims=staff)[0] == 403
    viewer = admin(method, path, params, rule(), claims={"sub": "v", "cognito:groups": "viewers"})
    assert (viewer[0] == 403) is (method != "GET")  # a viewer reads, never changes


# --- from the stream: at most once per contact and rule --------------------------------------


def test_a_trigger_event_schedules_one_run_due_after_the_delay(template: None) -> None:
    rule_id = create()
    before = time.time()

    assert stream([interaction("confirmed")]) == {"batchItemFailures": []}

    [run] = runs()
    assert run["pk"] == f"CONTACT#{ANN_ID}" and run["sk"] == f"AUTOMATION#{rule_id}"
    assert run["state"] == "scheduled"
    due_at = run["due_at"]
    assert clock.iso(before + 3600) <= due_at <= clock.iso(time.time() + 3600)
    assert run["gsi1pk"] == f"DUE#{due_at[:13]}"


def test_where_nothing_is_cached_a_batch_reads_the_rules_and_the_journeys_once(
    template: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Locally definitions are not cached (DEFINITION_CACHE_SECONDS=0): each triggering record
    read the rules and the live journeys again (three Queries a record); one read each a batch
    serves it, the rules first (the journeys read after them, `triggers.Rules`)."""
    create()
    monkeypatch.setenv("DEFINITION_CACHE_SECONDS", "0")
    settings.cache_clear()
    partitions: list[str] = []

    def seen(params: dict[str, Any], **_: Any) -> None:
        partitions.append(params["ExpressionAttributeValues"][":pk"]["S"])

    client = aws.dynamodb()
    client.meta.events.register(
        "before-parameter-build.dynamodb.Query", seen, unique_id="definitions"
    )
    try:
        contacts = [keys.contact_id_for(f"p{n}@example.com") for n in range(5)]
        assert stream([interaction("confirmed", c) for c in contacts]) == {"batchItemFailures": []}
    finally:
        client.meta.events.unregister(
            "before-parameter-build.dynamodb.Query", unique_id="definitions"
        )

    assert len(runs()) == 5
    reads = [p for p in partitions if p in (keys.AUTOMATIONS, keys.JOURNEYS)]
    assert reads == [keys.AUTOMATIONS, keys.JOURNEYS], partitions  # 15 before: 3 a record


def test_a_rule_fires_once_per_contact_however_often_its_event_recurs(template: None) -> None:
    create()
    first = interaction("confirmed")
    stream([first])
    stream([first])  # the stream again
    stream([interaction("confirmed")])  # the same contact confirms again later

    assert len(runs()) == 1
    stream([interaction("confirmed", keys.contact_id_for("bob@example.com"))])
    assert len(runs()) == 2


def test_each_trigger_kind_fires_only_its_own_rules(template: None) -> None:
    form_rule = create(when={"event": "form_submitted", "form_id": "newsletter"})
    stage_rule = create(when={"event": "stage_reached", "stage": "mql"})
    topic_rule = create(when={"event": "topic_added", "topic": "newsletter"})
    create(when={"event": "confirmed"}, enabled=False)

    stream([interaction("form_submitted", form_id="other")])
    stream([interaction("stage_changed", to_stage="lead")])
    stream([interaction("confirmed")])
    assert runs() == []

    stream([interaction("form_submitted", form_id="newsletter")])
    stream([interaction("stage_changed", from_stage="lead", to_stage="mql")])
    membership = {**keys.topic_membership(ANN_ID, "newsletter"), "type": "topic_membership"}
    membership["topic"] = "newsletter"
    stream([membership])
    assert sorted(r["automation_id"] for r in runs()) == sorted([form_rule, stage_rule, topic_rule])


def test_topic_added_means_entering_the_topic_index(template: None) -> None:
    create(when={"event": "topic_added", "topic": "newsletter"})
    joined = {**keys.topic_membership(ANN_ID, "newsletter"), "type": "topic_membership"}
    joined["topic"] = "newsletter"
    left = {k: v for k, v in joined.items() if not k.startswith("gsi1")} | {"left_at": "x"}

    stream([joined], old=[joined])  # re-submitted while a member: not added
    assert runs() == []
    stream([joined], old=[left])  # back after leaving: added
    assert len(runs()) == 1


def test_a_throttled_schedule_write_is_reported_for_retry_alone(template: None) -> None:
    create()
    throttled = interaction("confirmed")
    fine = interaction("confirmed", keys.contact_id_for("bob@example.com"))
    error = ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "x"}}, "TransactWriteItems"
    )
    calls = {"n": 0}

    def throttle(**_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise error

    aws.dynamodb().meta.events.register("before-call.dynamodb.TransactWriteItems", throttle)
    try:
        response = stream([throttled, fine])
    finally:
        aws.dynamodb().meta.events.unregister("before-call.dynamodb.TransactWriteItems", throttle)

    assert len(response["batchItemFailures"]) == 1  # the throttled record, alone
    assert [r["contact_id"] for r in runs()] == [fine["contact_id"]]
    assert stream([throttled, fine]) == {"batchItemFailures": []}  # Lambda's retry
    assert len(runs()) == 2


# --- the tick sends it when due -------------------------------------------------------------


@pytest.fixture
def scheduled(template: None, subscriber: str) -> str:
    """Ann, subscribed; the welcome rule fired for her an hour's delay ago."""
    rule_id = create()
    stream([interaction("confirmed")])
    return rule_id


def test_the_tick_sends_a_due_run_once_as_bulk_mail(scheduled: str) -> None:
    tick_after(0)
    tick_after(59)
    assert sent() == []  # not due yet

    tick_after(61)
    tick_after(62)  # the tick reads recent minutes again: nothing twice

    [message] = sent()
    assert message["To"] == ANN and message["Subject"] == "Welcome!"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "mailto:unsubscribe@example.com?subject=" in message["List-Unsubscribe"]
    assert message["List-Id"].endswith("<newsletter.example.com>")
    [run] = runs()
    assert run["state"] == "sent" and run["message_id"]
    assert "gsi1pk" not in run  # out of the due index


def test_a_contact_no_longer_subscribed_when_due_is_skipped(scheduled: str) -> None:
    store.write(
        store.Update(
            keys.contact(ANN_ID),
            "SET #s = :s",
            names={"#s": "status"},
            values={":s": "unsubscribed"},
        )
    )
    tick_after(61)

    assert sent() == []
    [run] = runs()
    assert run["state"] == "skipped" and run["reason"] == "not subscribed to newsletter"


def test_ses_throttling_keeps_the_run_for_a_later_tick(scheduled: str) -> None:
    error = ClientError(
        {"Error": {"Code": "TooManyRequestsException", "Message": "x"}}, "SendEmail"
    )
    calls = {"n": 0}

    def throttle(**_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise error

    aws.sesv2().meta.events.register("before-call.sesv2.SendEmail", throttle)
    try:
        first = tick_after(61)
    finally:
        aws.sesv2().meta.events.unregister("before-call.sesv2.SendEmail", throttle)

    assert first.failed == 1 and sent() == []
    assert runs()[0]["state"] == "scheduled"
    assert tick_after(62).handled >= 1
    assert len(sent()) == 1


def test_a_worker_that_died_after_ses_is_settled_by_the_send_event_not_resent(
    scheduled: str,
) -> None:
    [run] = runs()
    key = {"pk": run["pk"], "sk": run["sk"]}
    claimed = clock.iso(time.time() + 61 * 60)
    store.write(
        store.Update(
            key,
            "SET #s = :s, claimed_at = :c",
            names={"#s": "state"},
            values={":s": "sending", ":c": claimed},
        )
    )
    assert tick_after(62).failed == 1  # fresh claim: another worker may be sending

    assert automation_runs.confirm_sent(ANN_ID, scheduled, "ses-1")  # SES's Send event
    tick_after(61 + 16)

    assert sent() == []
    [run] = runs()
    assert run["state"] == "sent" and run["confirmed_by_event"] is True


def test_a_stale_unconfirmed_claim_is_taken_over_and_sent(scheduled: str) -> None:
    [run] = runs()
    key = {"pk": run["pk"], "sk": run["sk"]}
    claimed = clock.iso(time.time() + 61 * 60)
    store.write(
        store.Update(
            key,
            "SET #s = :s, claimed_at = :c",
            names={"#s": "state"},
            values={":s": "sending", ":c": claimed},
        )
    )

    tick_after(61 + 16)

    assert len(sent()) == 1
    assert runs()[0]["state"] == "sent" and runs()[0]["attempts"] == 1
