"""Changing the address: nothing changes until the new address confirms; the contact keeps
its id, the new address leads to it (an alias), and no second contact ever appears."""

from __future__ import annotations

import pytest

from ecrm.contacts import suppression
from ecrm.platform import clock, keys, tokens
from ecrm.platform.store import transact
from tests import events
from tests.conftest import table_items
from tests.integration.conftest import Submit, valid_body
from tests.integration.self_service.conftest import (
    Member,
    account,
    deliver_account_mail,
    error_of,
    get_account,
    header,
    item,
    items_of,
    mails_to,
    patch,
    request_link,
    sign_in,
    subscribe,
    token_in,
)

NEW = "ann.new@example.org"


def ask_for_change(session: str, address: str = NEW) -> None:
    _, etag = get_account(session)
    response = patch(session, {"email": address}, etag)
    assert response["statusCode"] == 200, response["body"]
    assert events.json_body(response)["email_change_pending"] is True
    assert deliver_account_mail() == {"batchItemFailures": []}


def confirm(token: str) -> dict[str, object]:
    return account("POST", "/account/email/confirm", body={"token": token})


def contacts() -> list[dict[str, object]]:
    return [i for i in table_items() if i.get("type") == "contact"]


def test_the_new_address_takes_effect_only_once_it_confirms(member: Member) -> None:
    session = sign_in()

    ask_for_change(session)

    contact = item(keys.contact(member.contact_id))
    assert contact is not None
    assert contact["email"] == member.email and contact["pending_email"] == NEW
    [requested] = [i for i in items_of(member.contact_id) if i["type"] == "email_change_requested"]
    assert NEW not in str(requested) and member.email not in str(requested)
    [verification] = mails_to(NEW)
    assert "List-Unsubscribe" not in verification
    document, _ = get_account(session)
    assert document["email"] == member.email and document["pending_email"] == NEW

    response = confirm(token_in(verification, "verify_email"))

    assert response["statusCode"] == 200, response["body"]
    contact = item(keys.contact(member.contact_id))
    assert contact is not None and contact["email"] == NEW and "pending_email" not in contact
    alias = item(keys.contact(keys.contact_id_for(NEW)))
    assert alias == {**alias, "type": "contact_alias", "alias_of": member.contact_id}
    [changed] = [i for i in items_of(member.contact_id) if i["type"] == "email_changed"]
    assert NEW not in str(changed)
    assert len(contacts()) == 1
    assert get_account(session)[0]["email"] == NEW  # the session names the contact, not an address


def test_after_the_change_the_new_address_signs_in_and_subscribes_into_the_same_contact(
    member: Member, submit: Submit
) -> None:
    session = sign_in()
    ask_for_change(session)
    confirm(token_in(mails_to(NEW)[0], "verify_email"))

    assert submit(valid_body(NEW, first_name="Annie"))["statusCode"] == 202

    [contact] = contacts()
    assert contact["contact_id"] == member.contact_id
    assert contact["f_first_name"] == "Ann"  # a public form never overwrites a profile
    assert contact["email"] == NEW
    assert len([i for i in items_of(member.contact_id) if i["type"] == "form_submitted"]) == 2
    assert sign_in(NEW)  # the alias leads the magic link to the contact
    request_link(member.email, ip="203.0.113.50")  # the former address is not on file any more
    deliver_account_mail()
    assert len(mails_to(member.email)) == 1  # only the first sign-in link, before the change


def test_a_former_first_address_keeps_leading_to_the_contact_without_changing_it(
    member: Member, submit: Submit
) -> None:
    session = sign_in()
    ask_for_change(session)
    confirm(token_in(mails_to(NEW)[0], "verify_email"))

    assert submit(valid_body(member.email, first_name="Anna"))["statusCode"] == 202

    [contact] = contacts()
    submitted = [i for i in items_of(member.contact_id) if i["type"] == "form_submitted"]
    assert len(submitted) == 2  # the submission did land on the contact
    assert contact["email"] == NEW  # but a form never overwrites the stored address


def test_an_address_of_another_subscription_is_refused_and_nothing_changes(
    member: Member, submit: Submit
) -> None:
    other = subscribe(submit, "bob@example.com")
    session = sign_in()
    ask_for_change(session, other.email)
    token = token_in(mails_to(other.email)[-1], "verify_email")
    before = table_items()

    response = confirm(token)

    assert response["statusCode"] == 409
    assert "another subscription" in error_of(response)["message"]
    assert table_items() == before


def test_a_used_link_is_401_and_changes_nothing(member: Member) -> None:
    session = sign_in()
    ask_for_change(session)
    token = token_in(mails_to(NEW)[0], "verify_email")
    assert confirm(token)["statusCode"] == 200
    before = table_items()

    replay = confirm(token)

    assert replay["statusCode"] == 401
    assert "already used" in error_of(replay)["message"]
    assert table_items() == before


def test_a_newer_request_replaces_the_older_link(member: Member) -> None:
    session = sign_in()
    ask_for_change(session, "first.try@example.org")
    older = token_in(mails_to("first.try@example.org")[0], "verify_email")
    ask_for_change(session, NEW)
    before = table_items()

    assert confirm(older)["statusCode"] == 401
    assert table_items() == before
    assert confirm(token_in(mails_to(NEW)[0], "verify_email"))["statusCode"] == 200


@pytest.mark.parametrize("kind", ["tampered", "expired", "sign_in_token", "session_token"])
def test_a_bad_change_link_is_401_and_changes_nothing(member: Member, kind: str) -> None:
    session = sign_in()
    ask_for_change(session)
    good = token_in(mails_to(NEW)[0], "verify_email")
    ref = str(tokens.verify(good, "email_change").ref)
    bad = {
        "tampered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "expired": tokens.issue("email_change", member.contact_id, ref, ttl_seconds=-1),
        "sign_in_token": tokens.issue("sign_in", member.contact_id, ref, ttl_seconds=600),
        "session_token": session,
    }[kind]
    before = table_items()

    response = confirm(bad)

    assert response["statusCode"] == 401
    assert error_of(response)["code"] == "invalid_token"
    assert table_items() == before


def test_going_back_to_the_first_address_drops_the_alias(member: Member) -> None:
    session = sign_in()
    ask_for_change(session)
    confirm(token_in(mails_to(NEW)[0], "verify_email"))
    ask_for_change(session, member.email)

    assert confirm(token_in(mails_to(member.email)[-1], "verify_email"))["statusCode"] == 200

    assert item(keys.contact(keys.contact_id_for(NEW))) is None
    contact = item(keys.contact(member.contact_id))
    assert contact is not None and contact["email"] == member.email


def test_typing_the_current_address_again_cancels_a_pending_change(member: Member) -> None:
    session = sign_in()
    ask_for_change(session)
    _, etag = get_account(session)

    response = patch(session, {"email": member.email}, etag)

    assert events.json_body(response)["email_change_pending"] is False
    contact = item(keys.contact(member.contact_id))
    assert contact is not None and "pending_email" not in contact
    assert confirm(token_in(mails_to(NEW)[0], "verify_email"))["statusCode"] == 401


def test_a_new_address_that_bounced_gets_no_verification_mail(member: Member) -> None:
    transact([suppression.suppress(NEW, "bounce", "2026-01-01T00:00:00.000Z")])
    ask_for_change(sign_in())
    assert mails_to(NEW) == []


def test_an_address_leads_to_its_contact_through_the_alias(member: Member) -> None:
    from ecrm.contacts import records as contact_records

    ask_for_change(sign_in())
    confirm(token_in(mails_to(NEW)[0], "verify_email"))

    for address in (NEW, member.email):
        found = contact_records.by_address(address)
        assert found is not None and found["contact_id"] == member.contact_id
    assert contact_records.by_address("nobody@example.com") is None


@pytest.fixture
def one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request of the test in one rate-limit window (the first second of the current
    one), so no count starts over halfway through."""
    start = clock.now() // 600 * 600 + 1
    monkeypatch.setattr(clock, "now", lambda: start)


def test_address_change_mails_are_limited_per_account(member: Member, one_window: None) -> None:
    session = sign_in()
    strangers = [f"stranger{n}@example.net" for n in range(8)]
    answers, wrote = [], []
    for address in strangers:
        _, etag = get_account(session)
        before = table_items()
        answers.append(patch(session, {"email": address, "profile": {"company": "M"}}, etag))
        wrote.append(table_items() != before)
        assert deliver_account_mail() == {"batchItemFailures": []}  # as the stream would

    assert [a["statusCode"] for a in answers] == [200] * 3 + [429] * 5
    assert error_of(answers[-1])["code"] == "rate_limited"
    assert int(header(answers[-1], "Retry-After")) > 0
    assert wrote == [True] * 3 + [False] * 5  # a refusal writes nothing, counters included
    contact = item(keys.contact(member.contact_id))
    assert contact is not None and contact["pending_email"] == strangers[2]
    assert [len(mails_to(a)) for a in strangers] == [1] * 3 + [0] * 5


def test_address_change_mails_to_one_inbox_are_limited_across_accounts_and_aliases(
    member: Member, submit: Submit, one_window: None
) -> None:
    bob = subscribe(submit, "bob@example.com")
    ann_session, bob_session = sign_in(), sign_in(bob.email)
    ask_for_change(ann_session, "victim+1@example.net")
    ask_for_change(ann_session, "victim+2@example.net")
    ask_for_change(bob_session, "Victim@example.net")
    _, etag = get_account(bob_session)
    before = table_items()

    response = patch(bob_session, {"email": "victim+bob@example.net"}, etag)

    assert response["statusCode"] == 429  # Bob asked once; the inbox had its three
    assert table_items() == before
    contact = item(keys.contact(bob.contact_id))
    assert contact is not None and contact["pending_email"] == "victim@example.net"
    assert deliver_account_mail() == {"batchItemFailures": []}
    assert mails_to("victim+bob@example.net") == []
