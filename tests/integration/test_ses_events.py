"""After a mail leaves: every published SES event sample, delivered by SNS (at least once),
becomes the right interaction, suppression and campaign counter, exactly once."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ecrm.contacts import suppression
from ecrm.platform import keys, store
from tests import events
from tests.conftest import table_items

ANN = "ann@example.com"
ANN_ID = keys.contact_id_for(ANN)
NOW = time.time()
HUMAN = {"sent_at": NOW - 300, "at": NOW - 60}  # read five minutes after it was sent


def deliver(kind: str, *, to: str = ANN, message_id: str = "m-1", **fields: Any) -> None:
    from mailing.ses_events import lambda_handler

    fields = {**HUMAN, **fields}
    event = events.ses_notification(kind, message_id=message_id, to=to, **fields)
    lambda_handler(event, events.LambdaContext())


def campaign_tags(contact_id: str = ANN_ID) -> dict[str, str]:
    return {"campaign": "c1", "contact": contact_id}


def interactions(kind: str | None = None) -> list[dict[str, Any]]:
    """Mail-event interactions (the subscriber's `form_submitted` and `confirmed` left out)."""
    found = [i for i in table_items() if i["sk"].startswith("EVENT#")]
    found = [i for i in found if i["type"] not in ("form_submitted", "confirmed")]
    return [i for i in found if kind is None or i["type"] == kind]


def item(key: dict[str, str]) -> dict[str, Any] | None:
    return store.get(key)


def campaign() -> dict[str, Any]:
    found = item(keys.campaign("c1"))
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("kind", "interaction"),
    [
        ("delivery", "email_delivered"),
        ("bounce", "email_bounced"),
        ("soft_bounce", "email_bounced"),
        ("complaint", "email_complained"),
        ("open", "email_opened"),
        ("click", "email_clicked"),
        ("reject", "email_rejected"),
    ],
)
def test_each_published_sample_becomes_an_interaction_on_the_tagged_contact(
    subscriber: str, sending_campaign: Any, kind: str, interaction: str
) -> None:
    deliver(kind, tags=campaign_tags())

    [found] = interactions(interaction)
    assert found["pk"] == f"CONTACT#{subscriber}"
    assert found["contact_id"] == subscriber
    assert found["campaign_id"] == "c1"
    assert found["message_id"] == "m-1"
    assert found["scanner"] is False
    assert found["event_id"].startswith("ses_")


@pytest.mark.parametrize("kind", ["send", "delivery_delay"])
def test_events_that_change_nothing_write_nothing(subscriber: str, kind: str) -> None:
    before = table_items()
    deliver(kind, tags=campaign_tags())
    assert table_items() == before


def test_a_redelivered_event_writes_once_and_counts_once(
    subscriber: str, sending_campaign: Any
) -> None:
    for _ in range(3):
        deliver("delivery", tags=campaign_tags())

    assert len(interactions("email_delivered")) == 1
    assert campaign()["delivered"] == 1


def test_permanent_bounce_suppresses_the_address_and_marks_the_contact(
    subscriber: str, sending_campaign: Any
) -> None:
    deliver("bounce", tags=campaign_tags())
    deliver("bounce", tags=campaign_tags())  # SNS again

    suppressed = item(keys.suppression(ANN))
    assert suppressed is not None and suppressed["reasons"] == ["bounce"]
    assert ANN not in str(suppressed)  # the suppression holds only the hash
    contact = item(keys.contact(subscriber))
    assert contact is not None and contact["email_status"] == "bounced"
    [bounce] = interactions("email_bounced")
    assert bounce["permanent"] is True
    assert campaign()["bounced"] == 1


def test_transient_bounce_is_counted_without_suppression(
    subscriber: str, sending_campaign: Any
) -> None:
    deliver("soft_bounce", tags=campaign_tags())

    assert item(keys.suppression(ANN)) is None
    contact = item(keys.contact(subscriber))
    assert contact is not None and contact["soft_bounces"] == 1
    assert contact["status"] == "subscribed"
    [bounce] = interactions("email_bounced")
    assert bounce["permanent"] is False
    assert campaign()["soft_bounced"] == 1
    assert "bounced" not in campaign()


def test_complaint_suppresses_and_unsubscribes_the_contact(
    subscriber: str, sending_campaign: Any
) -> None:
    deliver("complaint", tags=campaign_tags())
    deliver("complaint", tags=campaign_tags())

    suppressed = item(keys.suppression(ANN))
    assert suppressed is not None and "complaint" in suppressed["reasons"]
    contact = item(keys.contact(subscriber))
    assert contact is not None and contact["status"] == "unsubscribed"
    assert len(interactions("email_complained")) == 1
    [unsubscribed] = interactions("unsubscribed")
    assert unsubscribed["source"] == "complaint" and "topic" not in unsubscribed
    assert campaign()["complained"] == 1


def test_opens_and_clicks_count_each_recipient_once_but_are_all_recorded(
    subscriber: str, sending_campaign: Any
) -> None:
    deliver("open", tags=campaign_tags(), at=NOW - 60)
    deliver("open", tags=campaign_tags(), at=NOW - 30)
    deliver("click", tags=campaign_tags(), link="https://example.com/a")
    deliver("click", tags=campaign_tags(), link="https://example.com/b")

    assert len(interactions("email_opened")) == 2
    assert {c["link"] for c in interactions("email_clicked")} == {
        "https://example.com/a",
        "https://example.com/b",
    }
    assert campaign()["opened"] == 1
    assert campaign()["clicked"] == 1
    contact = item(keys.contact(subscriber))
    assert contact is not None and "last_engaged_at" in contact


@pytest.mark.parametrize(
    "machine",
    [
        {"at": NOW - 299},  # a second after SES accepted it: a gateway on delivery
        {"userAgent": "Mozilla/5.0 (compatible; Barracuda Sentinel)"},
        {"userAgent": "python-requests/2.32"},
        {"ipAddress": "17.58.0.1"},  # Apple Mail Privacy Protection prefetch
    ],
)
def test_scanner_opens_and_clicks_are_flagged_and_not_counted(
    subscriber: str, sending_campaign: Any, machine: dict[str, Any]
) -> None:
    deliver("open", tags=campaign_tags(), **machine)
    deliver("click", tags=campaign_tags(), **machine)

    assert [i["scanner"] for i in interactions()] == [True, True]
    assert "opened" not in campaign() and "clicked" not in campaign()
    contact = item(keys.contact(subscriber))
    assert contact is not None and "last_engaged_at" not in contact


def test_without_tags_the_contact_is_found_from_the_address(subscriber: str) -> None:
    deliver("delivery", to="  Ann@Example.com ", tags=None)

    [found] = interactions("email_delivered")
    assert found["contact_id"] == subscriber
    assert "campaign_id" not in found  # transactional or untagged mail: no campaign


def test_transactional_mail_tagged_with_the_contact_only_touches_no_campaign(
    subscriber: str, sending_campaign: Any
) -> None:
    deliver("delivery", tags={"contact": subscriber})
    assert len(interactions("email_delivered")) == 1
    assert "delivered" not in campaign()


def test_an_event_for_an_unknown_address_creates_no_contact_data_but_suppresses(
    aws_env: dict[str, str], sending_campaign: Any
) -> None:
    gone = "gone@example.com"
    for _ in range(2):
        deliver("bounce", to=gone, tags=campaign_tags(keys.contact_id_for(gone)))

    assert interactions() == []
    assert not [i for i in table_items() if i["pk"].startswith("CONTACT#")]
    [marker] = [i for i in table_items() if i["pk"].startswith("MAILEVENT#")]
    assert marker["expires_at"] > NOW
    # No contact holds the address: the suppression takes the keyed form
    # (ecrm.contacts.suppression).
    assert item(keys.suppression(gone)) is None
    assert suppression.reasons(gone) == {"bounce"}
    assert campaign()["bounced"] == 1


def test_an_event_for_a_deleted_campaign_does_not_bring_it_back(subscriber: str) -> None:
    deliver("delivery", tags=campaign_tags())
    deliver("open", tags=campaign_tags())

    assert item(keys.campaign("c1")) is None
    assert len(interactions()) == 2


@pytest.mark.parametrize(
    ("tags", "key"),
    [
        ({"campaign": "c1", "contact": ANN_ID}, keys.send_ledger("c1", ANN_ID)),
        ({"automation": "au_1", "contact": ANN_ID}, keys.automation_run(ANN_ID, "au_1")),
    ],
)
def test_a_send_event_settles_a_send_left_in_flight_by_a_dead_worker(
    aws_env: dict[str, str], tags: dict[str, str], key: dict[str, str]
) -> None:
    store.write(store.Put({**key, "state": "sending", "claimed_at": "2026-01-01T00:00:00.000Z"}))

    deliver("send", tags=tags, message_id="ses-7")
    deliver("send", tags=tags, message_id="ses-7")

    settled = item(key)
    assert settled is not None and settled["state"] == "sent"
    assert settled["message_id"] == "ses-7" and settled["confirmed_by_event"] is True
