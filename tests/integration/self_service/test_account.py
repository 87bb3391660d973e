"""The signed-in account: read it with its ETag, change it with If-Match (every change is an
interaction saying what changed, never the personal values), download it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrm.contacts import suppression
from ecrm.platform import keys
from ecrm.platform.store import transact
from tests import events
from tests.conftest import table_items
from tests.integration.self_service.conftest import (
    Member,
    account,
    error_of,
    get_account,
    header,
    item,
    items_of,
    patch,
    sign_in,
)


def interactions(member: Member, kind: str) -> list[dict[str, Any]]:
    return [i for i in items_of(member.contact_id) if i.get("type") == kind]


def test_the_account_shows_profile_interests_topics_consents_and_its_version(
    member: Member,
) -> None:
    document, etag = get_account(sign_in())

    assert document["email"] == member.email and document["status"] == "subscribed"
    assert document["profile"] == {"first_name": "Ann", "company": "Acme", "birthday": None}
    assert document["interests"] == {"interests": ["guides"], "role": None, "team_size": None}
    assert {t["id"]: t["subscribed"] for t in document["topics"]} == {
        "newsletter": True,
        "events": False,
    }
    [consent] = document["consents"]
    assert consent["form_id"] == "newsletter" and consent["confirmed_at"]
    assert "ip" not in consent  # the record keeps it; the page does not need it
    assert etag == f'"{document["version"]}"'
    assert [f["name"] for f in document["schema"]["interests"]] == [
        "interests",
        "role",
        "team_size",
    ]


def test_a_change_of_interests_and_a_topic_is_stored_with_what_changed(member: Member) -> None:
    session = sign_in()
    _, etag = get_account(session)

    response = patch(
        session,
        {
            "profile": {"first_name": "Annie"},
            "interests": {"interests": ["events", "guides"], "role": "marketing"},
            "topics": {"events": True},
        },
        etag,
    )

    assert response["statusCode"] == 200, response["body"]
    body = events.json_body(response)
    assert body["changed"] == ["profile", "interests", "topics"]
    assert header(response, "ETag") == f'"{body["version"]}"' != etag
    contact = item(keys.contact(member.contact_id))
    assert contact is not None
    assert contact["f_first_name"] == "Annie" and contact["f_role"] == "marketing"
    assert contact["f_interests"] == ["events", "guides"]
    assert contact["topics"] == ["events", "newsletter"]
    membership = item(keys.topic_membership(member.contact_id, "events"))
    assert membership is not None and membership["gsi1pk"].startswith("TOPIC#events#")
    [consent] = [i for i in items_of(member.contact_id) if i.get("source") == "preference_center"]
    assert consent["topics"] == ["events"] and consent["confirmed_at"] == consent["given_at"]
    assert consent["ip"] == "198.51.100.7" and consent["text_hash"]
    [updated] = interactions(member, "preferences_updated")
    assert updated["fields"] == ["first_name", "interests", "role"]
    assert updated["interests"] == {"interests": ["events", "guides"], "role": "marketing"}
    assert updated["topics_joined"] == ["events"]
    assert "Annie" not in json.dumps(updated)  # what changed, not the personal value


def test_a_change_without_if_match_is_428_and_changes_nothing(member: Member) -> None:
    session = sign_in()
    before = table_items()

    response = patch(session, {"profile": {"company": "Other"}}, None)

    assert response["statusCode"] == 428
    assert error_of(response)["code"] == "precondition_required"
    assert table_items() == before


def test_a_change_based_on_a_stale_read_is_412_and_changes_nothing(member: Member) -> None:
    session = sign_in()
    _, stale = get_account(session)
    assert patch(session, {"profile": {"company": "Newer"}}, stale)["statusCode"] == 200
    before = table_items()

    response = patch(session, {"profile": {"company": "Older"}}, stale)

    assert response["statusCode"] == 412
    assert error_of(response)["code"] == "precondition_failed"
    assert table_items() == before
    current = item(keys.contact(member.contact_id))
    assert current is not None and current["f_company"] == "Newer"


def test_if_match_star_and_lists_of_tags_follow_rfc_9110(member: Member) -> None:
    session = sign_in()
    document, etag = get_account(session)
    assert patch(session, {"profile": {"company": "A"}}, "*")["statusCode"] == 200
    listed = f'"999", "{document["version"] + 1}"'
    assert patch(session, {"profile": {"company": "B"}}, listed)["statusCode"] == 200
    assert patch(session, {"profile": {"company": "C"}}, f"W/{etag}")["statusCode"] == 412


def test_every_field_that_needs_attention_is_named_and_nothing_changes(member: Member) -> None:
    session = sign_in()
    _, etag = get_account(session)
    before = table_items()

    response = patch(
        session,
        {
            "profile": {"first_name": "<b>@", "phone": "123"},
            "interests": {"role": "astronaut", "interests": "nope"},
            "topics": {"launches": True, "newsletter": "yes"},
            "email": "not-an-address",
            "colour": "blue",
        },
        etag,
    )

    assert response["statusCode"] == 422
    assert set(error_of(response)["fields"]) == {
        "profile.first_name",
        "profile.phone",
        "interests.role",
        "interests.interests",
        "topics.launches",
        "topics.newsletter",
        "email",
        "colour",
    }
    assert table_items() == before


def test_a_change_that_changes_nothing_writes_nothing(member: Member) -> None:
    session = sign_in()
    document, etag = get_account(session)
    before = table_items()

    response = patch(
        session,
        {"profile": document["profile"], "topics": {"newsletter": True}, "email": member.email},
        etag,
    )

    assert response["statusCode"] == 200
    assert events.json_body(response)["changed"] == []
    assert table_items() == before


def test_leaving_a_topic_takes_the_contact_out_of_its_audience(member: Member) -> None:
    session = sign_in()
    _, etag = get_account(session)

    assert patch(session, {"topics": {"newsletter": False}}, etag)["statusCode"] == 200

    contact = item(keys.contact(member.contact_id))
    assert contact is not None and "topics" not in contact
    membership = item(keys.topic_membership(member.contact_id, "newsletter"))
    assert membership is not None and "gsi1pk" not in membership and membership["left_at"]
    [updated] = interactions(member, "preferences_updated")
    assert updated["topics_left"] == ["newsletter"]


def test_unsubscribing_from_everything_then_ticking_a_topic_subscribes_again(
    member: Member,
) -> None:
    session = sign_in()
    _, etag = get_account(session)

    stopped = patch(session, {"subscribed": False}, etag)

    assert stopped["statusCode"] == 200
    said = json.loads(stopped["body"])
    assert said["unsubscribed_all"] is True  # the page says what happened, not only "Saved."
    assert said["message"].startswith("Done: you are unsubscribed from all our mail.")
    contact = item(keys.contact(member.contact_id))
    assert contact is not None and contact["status"] == "unsubscribed"
    found = item(keys.suppression(member.email))
    assert found is not None and found["reasons"] == ["unsubscribe"]
    [unsubscribed] = interactions(member, "unsubscribed")
    assert unsubscribed["source"] == "preference_center" and "topic" not in unsubscribed
    document, etag = get_account(session)
    assert not any(t["subscribed"] for t in document["topics"])

    again = patch(session, {"topics": {"events": True}}, etag)

    assert again["statusCode"] == 200, again["body"]
    contact = item(keys.contact(member.contact_id))
    assert contact is not None and contact["status"] == "subscribed"
    assert contact["topics"] == ["events"]  # only what was ticked, not the old set
    assert item(keys.suppression(member.email)) is None  # a verified opt-in lifts it
    old = item(keys.topic_membership(member.contact_id, "newsletter"))
    assert old is not None and "gsi1pk" not in old


def test_ticking_a_topic_is_refused_for_an_address_that_bounced(member: Member) -> None:
    session = sign_in()
    _, etag = get_account(session)
    transact([suppression.suppress(member.email, "bounce", "2026-01-01T00:00:00.000Z")])
    before = table_items()

    response = patch(session, {"topics": {"events": True}}, etag)

    assert response["statusCode"] == 409
    assert "bounced" in error_of(response)["message"]
    assert table_items() == before


def test_the_export_is_a_download_of_everything_held(member: Member) -> None:
    session = sign_in()
    _, etag = get_account(session)
    patch(session, {"topics": {"events": True}}, etag)

    response = account("GET", "/account/export", session=session)

    assert response["statusCode"] == 200
    assert header(response, "Content-Disposition").startswith('attachment; filename="my-data-')
    assert header(response, "Cache-Control") == "no-store"
    document = events.json_body(response)
    assert document["contact"]["email"] == member.email
    kinds = {i["type"] for i in document["interactions"]}
    assert {"form_submitted", "confirmed", "sign_in_requested", "signed_in"} <= kinds
    assert len(document["consents"]) == 2
    assert {t["topic"] for t in document["topics"]} == {"newsletter", "events"}
    assert [m["state"] for m in document["mails"]] == ["sent"]
    assert "pk" not in json.dumps(document["contact"])
    partition = items_of(member.contact_id)
    exported = sum(len(v) for v in document.values() if isinstance(v, list)) + 1
    assert exported == len(partition)


@pytest.mark.parametrize("route", [("GET", "/account"), ("GET", "/account/export")])
def test_account_reads_are_never_cached(member: Member, route: tuple[str, str]) -> None:
    response = account(*route, session=sign_in())
    assert header(response, "Cache-Control") == "no-store"


def test_a_change_racing_another_is_412_even_when_if_match_matched_the_read(
    member: Member,
) -> None:
    from ecrm.platform import aws, store

    session = sign_in()
    _, etag = get_account(session)
    raced = {"done": False}

    def another_change_lands_first(**_: Any) -> None:
        if not raced["done"]:
            raced["done"] = True
            store.write(
                store.Update(
                    keys.contact(member.contact_id), "ADD version :one", values={":one": 1}
                )
            )

    aws.dynamodb().meta.events.register(
        "before-call.dynamodb.TransactWriteItems", another_change_lands_first
    )
    try:
        response = patch(session, {"profile": {"company": "Racing"}}, etag)
    finally:
        aws.dynamodb().meta.events.unregister(
            "before-call.dynamodb.TransactWriteItems", another_change_lands_first
        )

    assert response["statusCode"] == 412
    contact = item(keys.contact(member.contact_id))
    assert contact is not None and contact["f_company"] == "Acme"
