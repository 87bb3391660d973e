"""The unsubscribe link of every bulk mail: a GET shows a page and changes nothing; a POST
(RFC 8058 one-click, or the page's button) unsubscribes from the link's topic or everything,
idempotently. The token never expires and opens nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from ecrm.account.unsubscribe import unsubscribe_url
from ecrm.platform import keys, tokens
from tests.conftest import table_items
from tests.integration.self_service.conftest import Member, account, error_of, item, items_of

ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def token_of(url: str) -> str:
    return url.rsplit("/unsubscribe/", 1)[1]


def post(token: str, body: str | bytes = ONE_CLICK, headers: dict[str, str] | None = None) -> Any:
    return account(
        "POST", "/unsubscribe/{token}", {"token": token}, body=body, headers=headers or FORM
    )


def unsubscribed(member: Member) -> list[dict[str, Any]]:
    return [i for i in items_of(member.contact_id) if i.get("type") == "unsubscribed"]


def test_the_url_for_campaign_mails_points_at_this_route_and_never_expires(member: Member) -> None:
    url = unsubscribe_url(member.contact_id, "newsletter")

    assert url.startswith("https://forms.example.com/unsubscribe/")
    claims = tokens.verify(token_of(url), "unsubscribe")
    assert (claims.subject, claims.ref, claims.expires_at) == (
        member.contact_id,
        "newsletter",
        None,
    )


def test_opening_the_link_shows_the_choice_and_changes_nothing(member: Member) -> None:
    before = table_items()

    page = account(
        "GET",
        "/unsubscribe/{token}",
        {"token": token_of(unsubscribe_url(member.contact_id, "newsletter"))},
    )

    assert page["statusCode"] == 200
    assert "The ecrm newsletter" in page["body"]  # the topic's label from the profile schema
    assert 'id="unsubscribe-topic"' in page["body"] and 'id="unsubscribe-all"' in page["body"]
    assert table_items() == before


def test_one_click_on_a_topic_link_leaves_that_topic_once(member: Member) -> None:
    token = token_of(unsubscribe_url(member.contact_id, "newsletter"))

    done = post(token)

    assert done["statusCode"] == 200 and 'id="unsubscribed"' in done["body"]
    contact = item(keys.contact(member.contact_id))
    assert contact is not None and contact["status"] == "subscribed" and "topics" not in contact
    membership = item(keys.topic_membership(member.contact_id, "newsletter"))
    assert membership is not None and "gsi1pk" not in membership
    [interaction] = unsubscribed(member)
    assert interaction["topic"] == "newsletter" and interaction["source"] == "link"
    before = table_items()

    again = post(token)

    assert again["statusCode"] == 200
    assert table_items() == before


def test_one_click_on_an_everything_link_unsubscribes_and_suppresses_once(member: Member) -> None:
    token = token_of(unsubscribe_url(member.contact_id, None))

    assert post(token)["statusCode"] == 200

    contact = item(keys.contact(member.contact_id))
    assert contact is not None and contact["status"] == "unsubscribed"
    suppressed = item(keys.suppression(member.email))
    assert suppressed is not None and suppressed["reasons"] == ["unsubscribe"]
    assert member.email not in str(suppressed)
    before = table_items()
    assert post(token)["statusCode"] == 200
    assert table_items() == before


def test_the_pages_second_button_widens_a_topic_link_to_everything(member: Member) -> None:
    token = token_of(unsubscribe_url(member.contact_id, "newsletter"))

    assert post(token, f"{ONE_CLICK}&scope=all")["statusCode"] == 200

    contact = item(keys.contact(member.contact_id))
    assert contact is not None and contact["status"] == "unsubscribed"
    assert item(keys.suppression(member.email)) is not None


def test_a_multipart_one_click_body_works_too(member: Member) -> None:
    boundary = "x-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
        f"One-Click\r\n--{boundary}--\r\n"
    )
    token = token_of(unsubscribe_url(member.contact_id, None))

    done = post(token, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    assert done["statusCode"] == 200
    contact = item(keys.contact(member.contact_id))
    assert contact is not None and contact["status"] == "unsubscribed"


@pytest.mark.parametrize("kind", ["tampered", "session_token", "sign_in_token"])
def test_a_bad_link_is_401_on_both_methods_and_changes_nothing(member: Member, kind: str) -> None:
    good = token_of(unsubscribe_url(member.contact_id, None))
    bad = {
        "tampered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "session_token": tokens.issue("session", member.contact_id, ttl_seconds=600),
        "sign_in_token": tokens.issue("sign_in", member.contact_id, ttl_seconds=600),
    }[kind]
    before = table_items()

    page = account("GET", "/unsubscribe/{token}", {"token": bad})
    done = post(bad)

    assert page["statusCode"] == done["statusCode"] == 401
    assert 'id="problem"' in done["body"]
    assert table_items() == before


def test_an_unsubscribe_token_opens_nothing_else(member: Member) -> None:
    token = token_of(unsubscribe_url(member.contact_id, None))

    as_session = account("GET", "/account", session=token)
    as_link = account("POST", "/account/session", body={"token": token})

    assert as_session["statusCode"] == as_link["statusCode"] == 401
    assert error_of(as_session)["code"] == error_of(as_link)["code"] == "invalid_token"


def test_the_link_of_an_erased_contact_answers_calmly_and_writes_nothing(member: Member) -> None:
    token = token_of(unsubscribe_url(keys.contact_id_for("gone@example.com"), None))
    before = table_items()
    assert post(token)["statusCode"] == 200
    assert table_items() == before
