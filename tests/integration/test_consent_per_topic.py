"""Consent is per topic: what a stranger's submission about an existing address may change.

Issue 14, finding 1: with a second double opt-in form, an anonymous submission of a confirmed
contact's address added the form's topic at once (the contact was in the topic's audience and
got the next campaign), overwrote `first_name`, and sent no confirmation mail; the same after
the person had left the topic.
"""

from __future__ import annotations

from typing import Any

import pytest

from ecrm.contacts import export, forms
from ecrm.platform import keys, store
from ecrm.segments import audience as segment_audience
from ecrm.segments.definitions import Segment
from tests import events
from tests.conftest import table_items
from tests.integration.conftest import (
    Submit,
    confirm_without_mail,
    link_in,
    sent_mail,
    submit_form,
    valid_body,
)
from tests.integration.test_double_opt_in import confirm, token_of

ANN = "ann@example.com"


def save_form(form_id: str, topics: list[str], *, double_opt_in: bool) -> None:
    forms.save(
        forms.Form.model_validate(
            {
                "id": form_id,
                "title": f"The {form_id} list",
                "fields": [
                    {"name": "email", "label": "Email", "type": "email", "required": True},
                    {"name": "first_name", "label": "First name", "type": "name"},
                    {"name": "company", "label": "Company", "type": "text"},
                ],
                "consent": {"text": f"Send me {form_id} mail.", "version": "1"},
                "topics": topics,
                "double_opt_in": double_opt_in,
            }
        )
    )


def contact(address: str = ANN) -> dict[str, Any]:
    found = store.get(keys.contact(keys.contact_id_for(address)))
    assert found is not None
    for name in ("topics", "pending_topics"):  # stored as sets, read back as lists
        if name in found:
            found[name] = set(found[name])
    return found


def audience(topic: str) -> list[str]:
    at = "2026-01-01T00:00:00Z"
    segment = Segment.model_validate(
        {"id": "s", "name": "s", "topic": topic, "conditions": [], "version": 1}
        | {"created_at": at, "updated_at": at}
    )
    return [m.contact_id for m in segment_audience.all_members(segment)]


def exported(topic: str) -> list[str]:
    page = export.page(segment_id=None, topic=topic, limit=100, cursor=None)
    return [row["email"] for row in page.contacts]


_delivered: set[str] = set()


def deliver_new_interactions() -> None:
    """Hand the submissions not handed yet to the mail function, as the stream does once."""
    from mailing.transactional import lambda_handler

    images = [
        i
        for i in table_items()
        if i.get("type") == "form_submitted" and i["event_id"] not in _delivered
    ]
    _delivered.update(i["event_id"] for i in images)
    assert lambda_handler(events.stream(*images), events.LambdaContext()) == {
        "batchItemFailures": []
    }


def clear_outbox() -> None:
    sent_mail_backend().clear()


def sent_mail_backend() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages  # type: ignore[no-any-return]


@pytest.fixture
def ann(subscriber: str) -> str:
    """Ann confirmed the newsletter; her first name is Ann. A second, double opt-in form offers
    `events`, a single opt-in one offers `offers`."""
    save_form("events", ["events"], double_opt_in=True)
    save_form("offers", ["offers"], double_opt_in=False)
    _delivered.clear()
    deliver_new_interactions()  # Ann's own confirmed submission: nothing left to confirm
    assert sent_mail() == []
    return subscriber


def test_a_strangers_double_opt_in_submission_adds_nothing_until_the_owner_confirms(
    ann: str,
) -> None:
    answer = submit_form(
        valid_body(ANN, first_name="Hacked", company="Evil Corp"), form_id="events"
    )
    assert answer["statusCode"] == 202

    stored = contact()
    assert stored["topics"] == {"newsletter"}
    assert stored["pending_topics"] == {"events"}
    assert stored["f_first_name"] == "Ann"
    assert "f_company" not in stored
    assert audience("events") == [] and exported("events") == []
    assert audience("newsletter") == [ann]

    deliver_new_interactions()
    [message] = sent_mail()  # the owner is asked
    assert message["To"] == ANN

    assert confirm(token_of(link_in(message)))["statusCode"] == 200
    stored = contact()
    assert stored["topics"] == {"newsletter", "events"}
    assert "pending_topics" not in stored
    assert stored["f_first_name"] == "Ann"  # what the person had stays
    assert stored["f_company"] == "Evil Corp"  # an empty field is filled by the owner's click
    assert audience("events") == [ann]


def test_a_single_opt_in_form_adds_its_topic_but_never_overwrites_the_profile(ann: str) -> None:
    assert submit_form(valid_body(ANN, first_name="Hacked"), form_id="offers")["statusCode"] == 202

    stored = contact()
    assert stored["topics"] == {"newsletter", "offers"}
    assert stored["f_first_name"] == "Ann"
    assert audience("offers") == [ann]


def test_a_topic_the_person_left_is_not_rejoined_without_a_new_confirmation(
    ann: str, submit: Submit
) -> None:
    confirm_topic_through_the_mail(ann)  # Ann is in `newsletter` and `events`
    leave(ann, "events")
    leave(ann, "newsletter")
    clear_outbox()

    submit_form(valid_body(ANN, company="Again"), form_id="events")
    submit(valid_body(ANN, company="Again"))  # the newsletter form (double opt-in)
    assert not contact().get("topics")
    assert audience("events") == [] and audience("newsletter") == []

    deliver_new_interactions()
    assert [m["To"] for m in sent_mail()] == [ANN, ANN]  # one confirmation per submission


def test_a_topic_left_is_not_rejoined_by_a_single_opt_in_form_either(ann: str) -> None:
    submit_form(valid_body(ANN), form_id="offers")
    leave(ann, "offers")
    clear_outbox()

    answer = submit_form(valid_body(ANN, company="Again"), form_id="offers")
    assert answer["statusCode"] == 202

    stored = contact()
    assert "offers" not in stored["topics"] and stored["pending_topics"] == {"offers"}
    assert audience("offers") == []
    deliver_new_interactions()
    [message] = sent_mail()
    assert confirm(token_of(link_in(message)))["statusCode"] == 200
    assert audience("offers") == [ann]


def test_a_person_who_unsubscribed_from_everything_comes_back_only_by_their_click(
    ann: str,
) -> None:
    from ecrm.account import unsubscribe

    unsubscribe.unsubscribe(unsubscribe.link_token(ann))
    assert contact()["status"] == "unsubscribed"

    submit_form(valid_body(ANN), form_id="offers")  # single opt-in, by a stranger
    assert contact()["status"] == "unsubscribed"
    assert audience("offers") == [] and audience("newsletter") == []

    deliver_new_interactions()
    [message] = sent_mail()
    assert confirm(token_of(link_in(message)))["statusCode"] == 200
    stored = contact()
    assert stored["status"] == "subscribed"
    assert stored["topics"] == {"offers"}  # the newsletter left with "everything" stays left
    assert audience("offers") == [ann] and audience("newsletter") == []


def test_the_consent_record_of_each_topic_says_how_it_was_confirmed(ann: str) -> None:
    submit_form(valid_body(ANN), form_id="offers")
    confirm_topic_through_the_mail(ann)

    found = store.query_all(keys.contact(ann)["pk"], sk_prefix="CONSENT#")
    consents = {c["form_id"]: c for c in found}
    assert consents["offers"]["active_at_once"] == ["offers"]
    assert "confirmed_at" not in consents["offers"]
    assert consents["events"]["awaiting_confirmation"] == ["events"]
    assert consents["events"]["confirmed_by"] == "link mailed to the address"
    assert consents["newsletter"]["confirmed_at"]


def test_a_new_address_on_a_double_opt_in_form_is_in_no_audience_until_confirmed(
    submit: Submit,
) -> None:
    submit(valid_body("bob@example.com"))
    bob = keys.contact_id_for("bob@example.com")
    assert contact("bob@example.com")["status"] == "pending"
    assert audience("newsletter") == [] and exported("newsletter") == []

    confirm_without_mail("bob@example.com")
    assert audience("newsletter") == [bob]


def confirm_topic_through_the_mail(contact_id: str) -> None:
    clear_outbox()
    submit_form(valid_body(ANN), form_id="events")
    deliver_new_interactions()
    [message] = sent_mail()
    assert confirm(token_of(link_in(message)))["statusCode"] == 200
    assert "events" in contact()["topics"]


def leave(contact_id: str, topic: str) -> None:
    from ecrm.account import unsubscribe

    unsubscribe.unsubscribe(unsubscribe.link_token(contact_id, topic))
    assert topic not in contact().get("topics", set())
