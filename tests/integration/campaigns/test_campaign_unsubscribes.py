"""Unsubscribing from a campaign's mail, through the real handlers: the one-click URL of
`List-Unsubscribe`, its `mailto:` (the inbound function) and the body's link each carry the
campaign, whose `unsubscribed` stat counts each recipient once."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

from ecrm.platform import keys, store
from tests import events
from tests.conftest import table_items
from tests.integration.campaigns.conftest import (
    Sent,
    add_contacts,
    admin,
    campaign,
    create_campaign,
    run_queue,
)


def send_campaign(count: int) -> str:
    add_contacts(count, first_name="Ann", company="Acme")
    campaign_id = create_campaign()
    status, _ = admin("POST", "/admin/campaigns/{campaign_id}/send", {"campaign_id": campaign_id})
    assert status == 202
    run_queue()
    return campaign_id


def mail_to(sent: Sent, address: str) -> EmailMessage:
    return next(m for m in sent.messages() if str(m["To"]) == address)


def header_links(message: EmailMessage) -> tuple[str, str]:
    """(one-click token, mailto subject token) of `List-Unsubscribe`."""
    https, mailto = re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))
    assert mailto.startswith("mailto:unsubscribe@example.com?subject=")
    return https.rsplit("/unsubscribe/", 1)[1], mailto.rsplit("subject=", 1)[1]


def body_link_token(message: EmailMessage) -> str:
    html = message.get_body(("html",))
    assert html is not None
    [url] = re.findall(r'href="([^"]+/unsubscribe/[^"]+)"', html.get_content())
    return url.rsplit("/unsubscribe/", 1)[1]


def one_click(token: str, body: str = "List-Unsubscribe=One-Click") -> dict[str, Any]:
    from account.app import lambda_handler

    event = events.api(
        "POST",
        "/unsubscribe/{token}",
        {"token": token},
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return lambda_handler(event, events.LambdaContext())


def receive_mail(subject: str) -> None:
    from mailing.inbound import lambda_handler

    lambda_handler(events.ses_receipt(subject), events.LambdaContext())


def unsubscribed_stat(campaign_id: str) -> int:
    return int(campaign(campaign_id)["stats"]["unsubscribed"])


def resubscribe(contact_id: str) -> None:
    store.write(
        store.Update(
            keys.contact(contact_id),
            "ADD topics :topic",
            values={":topic": {"newsletter"}},
        )
    )


def test_each_unsubscribe_path_of_a_campaign_mail_counts_on_that_campaign(
    campaign_env: Sent,
) -> None:
    campaign_id = send_campaign(3)
    link, _ = header_links(mail_to(campaign_env, "person0@example.org"))
    _, mailto = header_links(mail_to(campaign_env, "person1@example.org"))
    body = body_link_token(mail_to(campaign_env, "person2@example.org"))

    assert one_click(link)["statusCode"] == 200
    receive_mail(mailto)
    assert one_click(body, "scope=all")["statusCode"] == 200  # the page's "everything" button

    assert unsubscribed_stat(campaign_id) == 3
    done = [i for i in table_items() if i.get("type") == "unsubscribed"]
    assert {i["campaign_id"] for i in done} == {campaign_id}
    assert sorted(i["source"] for i in done) == ["link", "link", "mailto"]


def test_a_replayed_or_repeated_unsubscribe_counts_the_recipient_once(campaign_env: Sent) -> None:
    campaign_id = send_campaign(1)
    message = mail_to(campaign_env, "person0@example.org")
    link, mailto = header_links(message)
    contact_id = keys.contact_id_for("person0@example.org")

    one_click(link)
    one_click(link)  # a mail client POSTs twice
    receive_mail(mailto)  # and the reader also mails the unsubscribe address
    assert unsubscribed_stat(campaign_id) == 1

    resubscribe(contact_id)  # back in through the preference center, then the old mail again
    assert one_click(body_link_token(message))["statusCode"] == 200

    assert unsubscribed_stat(campaign_id) == 1
    contact = store.get(keys.contact(contact_id))
    assert contact is not None and "newsletter" not in contact.get("topics", set())


def test_a_test_send_carries_no_campaign_in_its_links(campaign_env: Sent) -> None:
    add_contacts(1)
    campaign_id = create_campaign()
    status, _ = admin(
        "POST",
        "/admin/campaigns/{campaign_id}/test",
        {"campaign_id": campaign_id},
        body={"to": ["person0@example.org"]},
    )
    assert status == 200, _
    link, _ = header_links(campaign_env.messages()[0])

    assert one_click(link)["statusCode"] == 200

    assert unsubscribed_stat(campaign_id) == 0
