"""Magic-link sign-in: the same answer for every address, a link mailed only to one on file,
exchanged once for a session; every bad token is 401 with a reason and changes nothing."""

from __future__ import annotations

import pytest

from ecrm.account import sign_in
from ecrm.contacts import suppression
from ecrm.platform import keys, tokens
from ecrm.platform.store import transact
from tests import events
from tests.conftest import table_items
from tests.integration.self_service.conftest import (
    Member,
    account,
    deliver_account_mail,
    error_of,
    mails_to,
    request_link,
    text_of,
    token_in,
)


def test_a_known_address_gets_a_transactional_mail_with_a_link_to_the_page(member: Member) -> None:
    response = request_link(" ANN@example.com ")

    assert response["statusCode"] == 202
    assert events.json_body(response) == {"message": sign_in.LINK_REQUESTED}
    assert deliver_account_mail() == {"batchItemFailures": []}
    [message] = mails_to(member.email)
    assert message["From"] == "ecrm <hello@example.com>"
    assert "List-Unsubscribe" not in message  # transactional, not bulk
    assert "https://forms.example.com/preferences#token=" in text_of(message)
    [requested] = [i for i in table_items() if i.get("type") == "sign_in_requested"]
    assert requested["pk"] == member.pk
    assert member.email not in str(requested)  # ids only


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_mailed_or_stored(
    member: Member,
) -> None:
    known = request_link(member.email, ip="203.0.113.1")
    before = {(i["pk"], i["sk"]) for i in table_items() if not i["pk"].startswith("RATE#")}

    unknown = request_link("nobody@example.com", ip="203.0.113.2")

    assert (unknown["statusCode"], unknown["body"]) == (known["statusCode"], known["body"])
    after = {(i["pk"], i["sk"]) for i in table_items() if not i["pk"].startswith("RATE#")}
    assert after == before
    deliver_account_mail()
    assert mails_to("nobody@example.com") == []


@pytest.mark.parametrize("address", ["ann@example.com", "nobody@example.com"])
def test_links_per_address_are_limited_alike_for_known_and_unknown_addresses(
    member: Member, address: str
) -> None:
    answers = [request_link(address, ip=f"203.0.113.{n}")["statusCode"] for n in range(4)]

    assert answers == [202, 202, 202, 429]
    limited = request_link(address, ip="203.0.113.99")
    assert error_of(limited)["code"] == "rate_limited"
    assert int(limited["multiValueHeaders"]["Retry-After"][0]) > 0


def test_links_per_address_count_every_alias_of_one_inbox(member: Member) -> None:
    aliases = ["ann+a@example.com", "Ann+b@example.com", "ann@example.com", "ann+c@example.com"]

    answers = [request_link(a, ip=f"203.0.113.{n}")["statusCode"] for n, a in enumerate(aliases)]

    assert answers == [202, 202, 202, 429]


def test_links_per_client_ip_are_limited(member: Member) -> None:
    answers = [request_link(f"n{n}@example.com", ip="203.0.113.7")["statusCode"] for n in range(11)]
    assert answers == [202] * 10 + [429]


def test_an_address_that_is_not_one_is_422_naming_the_field(member: Member) -> None:
    response = request_link("not-an-address")
    assert response["statusCode"] == 422
    assert "email" in error_of(response)["fields"]


def test_the_page_form_without_javascript_gets_an_html_answer(member: Member) -> None:
    response = account(
        "POST",
        "/account/link",
        body="email=ann%40example.com",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response["statusCode"] == 202
    assert 'id="link-sent"' in response["body"]
    assert response["multiValueHeaders"]["Content-Type"][0].startswith("text/html")


def test_a_hard_bounced_address_gets_no_sign_in_mail(member: Member) -> None:
    transact([suppression.suppress(member.email, "bounce", "2026-01-01T00:00:00.000Z")])
    request_link(member.email)
    deliver_account_mail()
    assert mails_to(member.email) == []


def test_the_link_is_exchanged_once_for_a_session(member: Member) -> None:
    request_link(member.email)
    deliver_account_mail()
    token = token_in(mails_to(member.email)[0])

    first = account("POST", "/account/session", body={"token": token})
    assert first["statusCode"] == 200
    session = events.json_body(first)["session"]
    assert tokens.verify(session, "session").subject == member.contact_id
    assert [i["type"] for i in table_items() if i.get("type") == "signed_in"] == ["signed_in"]
    before = table_items()

    replay = account("POST", "/account/session", body={"token": token})

    assert replay["statusCode"] == 401
    assert error_of(replay) == {
        "code": "invalid_token",
        "message": "This sign-in link was already used. Please ask for a new one.",
        "fields": {},
    }
    assert table_items() == before


def _bad_sign_in_token(kind: str, contact_id: str, good: str) -> str:
    return {
        "tampered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "truncated": good.partition(".")[0],
        "expired": tokens.issue("sign_in", contact_id, ttl_seconds=-1),
        "session_token": tokens.issue("session", contact_id, ttl_seconds=600),
        "unsubscribe_token": tokens.issue("unsubscribe", contact_id),
        "confirm_token": tokens.issue("confirm", contact_id, ttl_seconds=600),
    }[kind]


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("tampered", "altered or is meant for something else"),
        ("truncated", "malformed"),
        ("expired", "expired"),
        ("session_token", "meant for something else"),
        ("unsubscribe_token", "meant for something else"),
        ("confirm_token", "meant for something else"),
    ],
)
def test_a_bad_sign_in_token_is_401_with_its_reason_and_changes_nothing(
    member: Member, kind: str, reason: str
) -> None:
    request_link(member.email)
    deliver_account_mail()
    good = token_in(mails_to(member.email)[0])
    before = table_items()

    response = account(
        "POST",
        "/account/session",
        body={"token": _bad_sign_in_token(kind, member.contact_id, good)},
    )

    assert response["statusCode"] == 401
    assert reason in error_of(response)["message"]
    assert table_items() == before


@pytest.mark.parametrize(
    ("authorization", "code", "reason"),
    [
        (None, "unauthenticated", "sign in"),
        ("Basic abc", "unauthenticated", "sign in"),
        ("sign_in", "invalid_token", "not valid"),
        ("unsubscribe", "invalid_token", "not valid"),
        ("expired", "invalid_token", "expired"),
        ("tampered", "invalid_token", "not valid"),
    ],
)
def test_the_account_needs_a_live_session_token_and_no_other_kind(
    member: Member, authorization: str | None, code: str, reason: str
) -> None:
    session = tokens.issue("session", member.contact_id, ttl_seconds=600)
    bearer = {
        "sign_in": tokens.issue("sign_in", member.contact_id, ttl_seconds=600),
        "unsubscribe": tokens.issue("unsubscribe", member.contact_id),
        "expired": tokens.issue("session", member.contact_id, ttl_seconds=-1),
        "tampered": session[:-2] + ("xx" if not session.endswith("xx") else "yy"),
    }
    headers = {}
    if authorization == "Basic abc":
        headers["Authorization"] = authorization
    elif authorization:
        headers["Authorization"] = f"Bearer {bearer[authorization]}"

    response = account("GET", "/account", headers=headers)

    assert response["statusCode"] == 401
    assert error_of(response)["code"] == code
    assert reason in error_of(response)["message"].lower()


def test_the_session_names_only_its_own_contact(member: Member) -> None:
    response = account(
        "GET", "/account", session=tokens.issue("session", keys.contact_id_for("x@example.com"))
    )
    assert response["statusCode"] == 401  # no such contact: nothing to show
