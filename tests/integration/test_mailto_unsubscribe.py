"""The `mailto:` of `List-Unsubscribe`: SES receives the mail, the receipt rule invokes the
inbound function, and the token in the subject unsubscribes, idempotently."""

from __future__ import annotations

from typing import Any

import pytest

from ecrm.account import unsubscribe
from ecrm.platform import keys, store, tokens
from ecrm.platform.errors import InvalidToken
from tests import events
from tests.conftest import table_items
from tests.integration.test_ses_events import ANN, interactions, item


def receive(subject: str) -> None:
    from mailing.inbound import lambda_handler

    lambda_handler(events.ses_receipt(subject), events.LambdaContext())


def contact(contact_id: str) -> dict[str, Any]:
    found = item(keys.contact(contact_id))
    assert found is not None
    return found


def test_a_topic_token_in_the_subject_unsubscribes_from_that_topic_only(subscriber: str) -> None:
    token = tokens.issue("unsubscribe", subscriber, ref="newsletter")

    receive(token)
    receive(token)  # a second mail, or SES retrying the invocation

    found = contact(subscriber)
    assert found["status"] == "subscribed"
    assert "newsletter" not in found.get("topics", [])
    membership = item(keys.topic_membership(subscriber, "newsletter"))
    assert membership is not None and "left_at" in membership
    assert "gsi1pk" not in membership  # out of the topic index: no later audience has it
    [done] = interactions("unsubscribed")
    assert done["topic"] == "newsletter" and done["source"] == "mailto"
    assert item(keys.suppression(ANN)) is None


def test_an_everything_token_unsubscribes_and_suppresses(subscriber: str) -> None:
    receive("Re: " + tokens.issue("unsubscribe", subscriber))

    assert contact(subscriber)["status"] == "unsubscribed"
    suppressed = item(keys.suppression(ANN))
    assert suppressed is not None and suppressed["reasons"] == ["unsubscribe"]
    [done] = interactions("unsubscribed")
    assert "topic" not in done


@pytest.mark.parametrize(
    "subject",
    [
        "",
        "please unsubscribe me",
        "confirm-token",
        "x.y",
    ],
)
def test_a_mail_without_a_valid_token_changes_nothing(subscriber: str, subject: str) -> None:
    before = table_items()
    receive(subject)
    assert table_items() == before


def test_a_token_for_another_purpose_changes_nothing(subscriber: str) -> None:
    before = table_items()
    receive(tokens.issue("confirm", subscriber))
    assert table_items() == before


def test_the_domain_function_says_whether_anything_changed(subscriber: str) -> None:
    token = tokens.issue("unsubscribe", subscriber)

    first = unsubscribe.unsubscribe(token)
    again = unsubscribe.unsubscribe(token)

    assert (first.changed, again.changed) == (True, False)
    assert first.contact_id == subscriber and first.topic is None
    with pytest.raises(InvalidToken):
        unsubscribe.unsubscribe(token + "x")


def test_an_unsubscribe_from_a_campaign_mail_counts_once(subscriber: str) -> None:
    store.write(store.Put({**keys.campaign("c1"), "type": "campaign", "state": "done"}))
    token = unsubscribe.link_token(subscriber, "newsletter", "c1")

    receive(token)
    receive(token)

    found = item(keys.campaign("c1"))
    assert found is not None and found["unsubscribed"] == 1


def test_a_token_of_an_erased_contact_changes_nothing(aws_env: dict[str, str]) -> None:
    outcome = unsubscribe.unsubscribe(tokens.issue("unsubscribe", "gone"))
    assert not outcome.changed
    assert table_items() == []
