"""Erasure: every item of the contact goes (read back item by item), nothing personal stays
anywhere in the table, only a hashed suppression and a dated erasure record remain; the
address can come back only through a fresh, confirmed opt-in."""

from __future__ import annotations

import json
from typing import Any

from ecrm.account.unsubscribe import unsubscribe_url
from ecrm.contacts import forms, suppression
from ecrm.platform import keys, pseudonyms, store, tokens
from tests import events
from tests.conftest import table_items
from tests.integration.conftest import Submit, link_in, sent_mail, valid_body
from tests.integration.self_service.conftest import (
    Member,
    account,
    deliver_account_mail,
    error_of,
    get_account,
    item,
    items_of,
    mails_to,
    patch,
    request_link,
    sign_in,
    token_in,
)

NEW = "ann.new@example.org"
PII = ("ann@example.com", NEW, "Acme", "Ann", "198.51.100.7", "pytest")


def erased_suppression(email: str) -> dict[str, Any] | None:
    return item(keys.erased_suppression(pseudonyms.of("suppression", email)))


def erasure_record(contact_id: str) -> dict[str, Any] | None:
    return item(keys.erasure(pseudonyms.of("erasure", contact_id)))


def erase(session: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return account("DELETE", "/account", body=body or {"confirm": "erase"}, session=session)


def deliver_form_submissions() -> None:
    from mailing.transactional import lambda_handler

    images = [i for i in table_items() if i.get("type") == "form_submitted"]
    lambda_handler(events.stream(*images), events.LambdaContext())


def a_full_history(member: Member) -> str:
    """Sign-ins, a topic joined, a changed address (an alias item), a score the scoring
    function would keep in the partition, and many interactions (more than one transaction)."""
    session = sign_in()
    _, etag = get_account(session)
    patch(session, {"topics": {"events": True}, "email": NEW}, etag)
    deliver_account_mail()
    account(
        "POST", "/account/email/confirm", body={"token": token_in(mails_to(NEW)[0], "verify_email")}
    )
    at = "2026-01-01T00:00:00.000Z"
    writes: list[store.Write] = [
        store.Put({"pk": member.pk, "sk": "SCORE", "type": "score", "score": 12}),
        *[
            store.Put({**keys.interaction(member.contact_id, at, f"e{n}"), "type": "email_opened"})
            for n in range(120)
        ],
    ]
    for start in range(0, len(writes), 100):
        store.transact(writes[start : start + 100])
    return session


def test_erasure_deletes_every_item_of_the_contact_and_keeps_no_personal_data(
    member: Member,
) -> None:
    session = a_full_history(member)
    assert len(items_of(member.contact_id)) > 130
    assert item(keys.contact(keys.contact_id_for(NEW))) is not None  # the alias

    response = erase(session)

    assert response["statusCode"] == 200, response["body"]
    assert events.json_body(response)["erased"] is True
    assert items_of(member.contact_id) == []
    assert item(keys.contact(keys.contact_id_for(NEW))) is None
    for key in (keys.contact(member.contact_id), keys.contact(keys.contact_id_for(NEW))):
        assert store.query(key["pk"])[0] == []
    suppressed = erased_suppression(NEW)
    assert suppressed is not None and suppressed["reasons"] == ["erased"]
    record = erasure_record(member.contact_id)
    assert record is not None and set(record) == {"pk", "sk", "type", "erased_at"}
    everything = json.dumps(table_items())
    for value in PII:
        assert value not in everything, value
    # Nor anything an outsider recomputes from an address: the contact ids, the plain hashes.
    for address in (member.email, NEW):
        assert keys.contact_id_for(address) not in everything, address
        assert keys.email_hash(address) not in everything, address


def test_erasure_needs_the_confirmation_and_changes_nothing_without_it(member: Member) -> None:
    session = sign_in()
    before = table_items()

    response = erase(session, {"confirm": "yes"})

    assert response["statusCode"] == 422
    assert "confirm" in error_of(response)["fields"]
    assert table_items() == before


def test_after_erasure_nothing_answers_for_the_contact(member: Member) -> None:
    session = sign_in()
    assert erase(session)["statusCode"] == 200
    before = table_items()

    assert account("GET", "/account", session=session)["statusCode"] == 401
    assert account("GET", "/account/export", session=session)["statusCode"] == 401
    assert erase(session)["statusCode"] == 401
    assert request_link(member.email, ip="203.0.113.9")["statusCode"] == 202
    deliver_account_mail()
    assert len(mails_to(member.email)) == 1  # the link before the erasure, no new one
    unsubscribe = unsubscribe_url(member.contact_id, None).rsplit("/", 1)[1]
    done = account("POST", "/unsubscribe/{token}", {"token": unsubscribe}, body="x=1")
    assert done["statusCode"] == 200
    rate_counters = {(i["pk"], i["sk"]) for i in table_items() if i["pk"].startswith("RATE#")}
    after = [i for i in table_items() if (i["pk"], i["sk"]) not in rate_counters]
    assert after == [i for i in before if (i["pk"], i["sk"]) not in rate_counters]


def test_an_erased_address_comes_back_only_through_a_confirmed_opt_in(
    member: Member, submit: Submit
) -> None:
    assert erase(sign_in())["statusCode"] == 200
    mails_before = len(sent_mail())

    assert submit(valid_body(member.email, first_name="Ann"))["statusCode"] == 202

    contact = item(keys.contact(member.contact_id))
    assert contact is not None and contact["status"] == "pending"
    assert suppression.reasons(member.email) == {"erased"}  # not lifted by a submission
    deliver_form_submissions()
    confirmation = sent_mail()[mails_before:]
    assert [m["To"] for m in confirmation] == [member.email]
    from capture.app import lambda_handler

    token = link_in(confirmation[0]).rsplit("/confirm/", 1)[1]
    done = lambda_handler(
        events.api("POST", "/confirm/{token}", {"token": token}), events.LambdaContext()
    )

    assert done["statusCode"] == 200
    contact = item(keys.contact(member.contact_id))
    assert contact is not None and contact["status"] == "subscribed"
    assert item(keys.suppression(member.email)) is None
    assert erased_suppression(member.email) is None
    assert erasure_record(member.contact_id) is not None  # the record of the erasure stays


def test_a_single_opt_in_form_does_not_lift_the_suppression_of_an_erased_address(
    member: Member, submit: Submit
) -> None:
    data = {**forms.load("newsletter").model_dump(), "id": "quick", "double_opt_in": False}
    forms.save(forms.Form.model_validate(data))
    assert erase(sign_in())["statusCode"] == 200

    assert submit(valid_body(member.email), form_id="quick")["statusCode"] == 202

    contact = item(keys.contact(member.contact_id))
    assert contact is not None and contact["status"] == "subscribed"
    assert suppression.reasons(member.email) == {"erased"}  # no verified opt-in yet


def test_an_address_that_bounced_stays_suppressed_through_erasure_and_opt_in(
    member: Member, submit: Submit
) -> None:
    store.transact([suppression.suppress(member.email, "bounce", "2026-01-01T00:00:00.000Z")])
    created = str(item(keys.contact(member.contact_id))["created_at"])  # type: ignore[index]
    session = tokens.issue("session", member.contact_id, created, 600)  # no mail goes there
    assert erase(session)["statusCode"] == 200
    found = erased_suppression(member.email)
    assert found is not None and found["reasons"] == ["bounce", "erased"]
    mails_before = len(sent_mail())

    submit(valid_body(member.email, first_name="Ann"))
    deliver_form_submissions()

    assert sent_mail()[mails_before:] == []


def test_a_session_or_link_from_before_an_erasure_opens_nothing_of_the_address_come_back(
    member: Member, submit: Submit
) -> None:
    data = {**forms.load("newsletter").model_dump(), "id": "quick", "double_opt_in": False}
    forms.save(forms.Form.model_validate(data))
    session = sign_in()
    assert request_link(member.email, ip="203.0.113.9")["statusCode"] == 202
    deliver_account_mail()
    link = token_in(mails_to(member.email)[-1])  # mailed before the erasure, not used yet
    assert erase(session)["statusCode"] == 200
    # The address comes back as another contact (a form, as an import would make it).
    assert (
        submit(valid_body(member.email, company="Later Ltd"), form_id="quick")["statusCode"] == 202
    )
    assert item(keys.contact(member.contact_id)) is not None

    for method, path in (("GET", "/account"), ("GET", "/account/export")):
        answer = account(method, path, session=session)
        assert answer["statusCode"] == 401, (path, answer["body"])
        assert "Later Ltd" not in answer["body"]
    assert account("POST", "/account/session", body={"token": link})["statusCode"] == 401
    assert item(keys.contact(member.contact_id)) is not None  # an old session erased nothing


def test_the_erasure_answer_says_a_new_sign_up_is_confirmed_first(member: Member) -> None:
    message = events.json_body(erase(sign_in()))["message"]

    assert "sign up again" in message and "confirm" in message


def test_erasure_leaves_no_plain_contact_id_in_campaigns_and_counts_stay_right(
    member: Member,
) -> None:
    """The send ledger item goes, the unique-open marker is rekeyed: an open of the old mail
    after the erasure is not counted twice, and writes no plain id back."""
    session = sign_in()
    at = "2026-01-01T00:00:00.000Z"
    store.transact(
        [
            store.Put({**keys.campaign("c1"), "type": "campaign", "opened": 1, "delivered": 1}),
            store.Put({**keys.send_ledger("c1", member.contact_id), "state": "sent"}),
            store.Put({**keys.campaign_engagement("c1", "opened", member.contact_id)}),
            store.Put(
                {
                    **keys.interaction(member.contact_id, at, "open1"),
                    "type": "email_opened",
                    "campaign_id": "c1",
                }
            ),
        ]
    )
    assert erase(session)["statusCode"] == 200
    from mailing.ses_events import lambda_handler as ses_events

    now = 1_800_000_000.0
    for kind, message_id in (("open", "m-2"), ("click", "m-3")):
        ses_events(
            events.ses_notification(
                kind,
                message_id=message_id,
                to=member.email,
                sent_at=now - 3600,
                at=now,
                tags={"campaign": "c1", "contact": member.contact_id},
            ),
            events.LambdaContext(),
        )

    campaign = item(keys.campaign("c1"))
    assert campaign is not None and (campaign["opened"], campaign["clicked"]) == (1, 1)
    everything = json.dumps(table_items())
    assert member.contact_id not in everything
    assert keys.email_hash(member.email) not in everything
