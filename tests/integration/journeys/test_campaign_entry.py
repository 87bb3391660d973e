"""Entry by a campaign's mail opened or clicked (`campaign_opened`, `campaign_clicked`, journeys
only): SES's open (through `mailing.ses_events`) writes the campaign's once-per-recipient
marker, whose stream record (through the template's filter) enters the journey; a second
open, a redelivered record and a scanner's open enter no one more; `campaign_id` narrows it."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ecrm.platform import store
from tests import events
from tests.conftest import table_items
from tests.integration.campaigns.conftest import create_campaign
from tests.integration.journeys.conftest import (
    SENDER,
    Sent,
    add_contacts,
    admin,
    published,
    send,
    welcome_series,
)
from tests.integration.journeys.test_score_entry import deliver, runs_of


def campaign_journey(when: dict[str, Any]) -> dict[str, Any]:
    body = {
        "name": "Openers",
        "entry": when,
        "goal": None,
        "start": "first",
        "steps": [send("first", "welcome-1", None)],
    }
    return welcome_series(**body)


def ses(kind: str, campaign_id: str, contact_id: str, n: int, *, scanner: bool = False) -> None:
    """SES reports an open or click of the campaign's mail to the contact (a person, or a
    scanner's speed); the stream records of what it wrote reach the automations function."""
    from mailing.ses_events import lambda_handler

    before = {(i["pk"], i["sk"]) for i in table_items()}
    now = time.time()
    timing = (
        {"sent_at": now - 300, "at": now - 299}
        if scanner
        else {"sent_at": now - 300, "at": now - 60}
    )
    more = {"link": "https://example.com/a"} if kind == "click" else {}
    event = events.ses_notification(
        kind,
        message_id=f"m-{contact_id}-{n}",
        to=f"{contact_id}@example.com",
        tags={"campaign": campaign_id, "contact": contact_id},
        userAgent="Mozilla/5.0 (Macintosh)",
        **timing,
        **more,
    )
    lambda_handler(event, events.LambdaContext())
    for item in table_items():
        if (item["pk"], item["sk"]) not in before and item.get("type") == "engagement":
            deliver(store.deserialize(store.serialize(item)), None, times=2)  # redelivered


def test_an_open_enters_once_per_contact_and_campaign_and_a_scanner_enters_no_one(
    journey_env: Sent,
) -> None:
    campaign_id = create_campaign()
    opened = published(campaign_journey({"event": "campaign_opened"}))
    clicked_other = published(
        campaign_journey({"event": "campaign_clicked", "campaign_id": "another"})
    )
    [ann, bob] = add_contacts(2)
    ses("open", campaign_id, bob, 1, scanner=True)
    assert runs_of(opened) == []
    ses("open", campaign_id, ann, 1)
    ses("open", campaign_id, ann, 2)  # a second open: the marker exists, nothing new
    ses("click", campaign_id, ann, 3)  # another campaign's journey
    assert [r["contact_id"] for r in runs_of(opened)] == [ann]
    assert runs_of(clicked_other) == []


def test_a_click_of_the_named_campaign_enters(journey_env: Sent) -> None:
    campaign_id = create_campaign()
    clicked = published(campaign_journey({"event": "campaign_clicked", "campaign_id": campaign_id}))
    [ann] = add_contacts(1)
    ses("click", campaign_id, ann, 1)
    assert [r["contact_id"] for r in runs_of(clicked)] == [ann]


@pytest.mark.parametrize(
    "when",
    [
        {"event": "campaign_opened", "campaign_id": "no spaces"},
        {"event": "confirmed", "campaign_id": "cp1"},
    ],
)
def test_a_bad_campaign_entry_is_refused_and_nothing_is_written(
    journey_env: Sent, when: dict[str, Any]
) -> None:
    before = table_items()
    status, body = admin("POST", "/admin/journeys", body=campaign_journey(when))
    codes = {400: "malformed_request", 422: "validation_failed"}
    assert codes.get(status) == body["error"]["code"] and body["error"]["fields"], body
    assert table_items() == before


def test_automation_rules_refuse_campaign_events(journey_env: Sent) -> None:
    rule = {
        "name": "Openers",
        "when": {"event": "campaign_opened"},
        "template_id": "welcome-1",
        "topic": "newsletter",
        "sender": SENDER,
    }
    status, body = admin("POST", "/admin/automations", body=rule)
    assert (status, body["error"]["code"]) == (400, "malformed_request"), body
    assert "when.event" in body["error"]["fields"], body
