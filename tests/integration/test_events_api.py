"""`POST /events` on moto: an event about a contact lands on its timeline once, whatever the
retries; a missing, bad, unknown or revoked key is a 401 with nothing written; an address
with no contact (never one, or erased) gets the same answer and nothing is made for it;
hostile bodies are a 4xx with nothing written; each key has its rate."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrm.account import personal_data
from ecrm.contacts import lookup
from ecrm.events import recording
from ecrm.platform import keys, settings, store
from tests.conftest import table_items
from tests.integration.conftest import Submit, valid_body
from tests.integration.events_api import admin, new_key, send

PURCHASE = {"name": "purchased", "email": " Ann@Example.com", "properties": {"plan": "pro"}}


def timeline(contact_id: str) -> list[dict[str, Any]]:
    found, _ = store.query(keys.contact(contact_id)["pk"], sk_prefix=keys.INTERACTIONS)
    return [i for i in found if i["type"] == recording.CUSTOM_EVENT]


def table() -> list[dict[str, Any]]:
    return table_items()


def answer(response: dict[str, Any]) -> tuple[int, Any]:
    return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def secret(aws_env: dict[str, str]) -> str:
    return str(new_key()["key"])


def test_an_event_about_a_contact_is_on_its_timeline_with_its_source(
    subscriber: str, secret: str
) -> None:
    status, body = answer(send({**PURCHASE, "properties": {"plan": "pro", "amount": 49.9}}, secret))
    assert (status, body) == (202, {"accepted": 1})
    [event] = timeline(subscriber)
    assert event | {"at": "", "event_id": "", "sk": ""} == {
        "pk": keys.contact(subscriber)["pk"],
        "sk": "",
        "type": "custom_event",
        "contact_id": subscriber,
        "event_id": "",
        "at": "",
        "name": "purchased",
        "properties": {"plan": "pro", "amount": 49.9},
        "source": new_key_id(secret),
        "source_name": "shop backend",
    }
    contact = store.get(keys.contact(subscriber)) or {}
    assert contact["ev_purchased"] == event["at"]  # what a segment's activity reads
    shown = lookup.by_email("ann@example.com")["interactions"]
    assert shown[0]["type"] == "custom_event" and shown[0]["name"] == "purchased"
    _, key = admin("GET", "/admin/event-keys/{key_id}", key_id=event["source"])
    assert key["last_used_at"] == event["at"]  # an accepted request notes it


def new_key_id(secret: str) -> str:
    from ecrm.events import api_keys

    return api_keys.authenticate(secret).id


def test_the_key_may_come_as_x_api_key(subscriber: str, secret: str) -> None:
    assert send(PURCHASE, secret, header="X-Api-Key")["statusCode"] == 202
    assert len(timeline(subscriber)) == 1


def test_a_missing_bad_unknown_or_revoked_key_is_401_and_writes_nothing(
    subscriber: str, secret: str
) -> None:
    revoked = new_key("old shop")
    admin("DELETE", "/admin/event-keys/{key_id}", key_id=revoked["id"])
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    before = table()
    for key in (None, "", "junk", flipped, "ecrm_ek_" + "A" * 43, revoked["key"], secret + " x"):
        status, body = answer(send(PURCHASE, key))
        assert status == 401 and body["error"]["code"] == "unauthenticated", key
    basic = send(PURCHASE, None, headers={"Authorization": f"Basic {secret}"})
    assert basic["statusCode"] == 401
    # refused before the body is read: a bad body with a bad key is a 401 too
    assert (
        send("[" * 5000, "junk", headers={"Content-Type": "application/json"})["statusCode"] == 401
    )
    assert table() == before


def test_a_retry_records_once_by_idempotency_key_or_event_id(subscriber: str, secret: str) -> None:
    once = {"Idempotency-Key": "retry-1"}
    first = answer(send(PURCHASE, secret, headers=once))
    assert answer(send(PURCHASE, secret, headers=once)) == first == (202, {"accepted": 1})
    assert len(timeline(subscriber)) == 1
    with_id = {**PURCHASE, "id": "order-77"}
    for _ in range(2):
        assert send(with_id, secret)["statusCode"] == 202
    assert send({"events": [with_id, with_id]}, secret)["statusCode"] == 202  # twice in one
    assert len(timeline(subscriber)) == 2
    # another key's event 77 is another event
    assert send(with_id, str(new_key("crm")["key"]))["statusCode"] == 202
    assert len(timeline(subscriber)) == 3
    # without an id, each request is an event of its own
    send(PURCHASE, secret)
    send(PURCHASE, secret)
    assert len(timeline(subscriber)) == 5


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_made(
    subscriber: str, secret: str
) -> None:
    known = answer(send({**PURCHASE, "id": "a"}, secret))
    before = {(i["pk"], i["sk"]) for i in table()}
    stranger = {**PURCHASE, "email": "nobody@example.com", "id": "b"}
    assert answer(send(stranger, secret)) == known
    unknown_id = {"name": "purchased", "contact_id": "a" * 24, "id": "c"}
    assert answer(send(unknown_id, secret)) == known
    made = {(i["pk"], i["sk"]) for i in table()} - before
    assert {pk.split("#")[0] for pk, _ in made} <= {"IDEMPOTENCY", "RATE"}, made
    nobody = keys.contact_id_for("nobody@example.com")
    assert not [i for i in table_items() if nobody in json.dumps(i)]


def test_events_for_an_erased_address_are_dropped(subscriber: str, secret: str) -> None:
    personal_data.erase(subscriber)
    assert send(PURCHASE, secret)["statusCode"] == 202
    assert send({"name": "purchased", "contact_id": subscriber}, secret)["statusCode"] == 202
    assert not [i for i in table_items() if subscriber in json.dumps(i)]


def test_an_event_racing_an_erasure_writes_nothing_into_the_erased_partition(
    subscriber: str, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = recording._contacts

    def erased_right_after_the_read(events: Any) -> Any:
        found = read(events)
        personal_data.erase(subscriber)
        return found

    monkeypatch.setattr(recording, "_contacts", erased_right_after_the_read)
    assert answer(send({**PURCHASE, "id": "late"}, secret)) == (202, {"accepted": 1})
    assert not [i for i in table_items() if subscriber in json.dumps(i)]


def test_a_batch_records_each_known_contacts_events(submit: Submit, secret: str) -> None:
    for person in ("ann", "bob"):
        assert submit(valid_body(f"{person}@example.com"))["statusCode"] == 202
    batch = {
        "events": [
            {"name": "trial.started", "email": "ann@example.com"},
            {"name": "purchased", "email": "ann@example.com"},
            {"name": "purchased", "contact_id": keys.contact_id_for("bob@example.com")},
            {"name": "purchased", "email": "carol@example.com"},
        ]
    }
    assert answer(send(batch, secret)) == (202, {"accepted": 4})
    ann, bob = (keys.contact_id_for(f"{p}@example.com") for p in ("ann", "bob"))
    assert sorted(e["name"] for e in timeline(ann)) == ["purchased", "trial.started"]
    assert [e["name"] for e in timeline(bob)] == ["purchased"]
    assert {"ev_purchased", "ev_trial.started"} <= set(store.get(keys.contact(ann)) or {})


def test_a_contact_keeps_the_last_time_of_fifty_event_names_at_most(
    subscriber: str, secret: str
) -> None:
    names = [f"step_{n:02d}" for n in range(60)]
    for start in range(0, 60, 20):
        batch = [{"name": n, "contact_id": subscriber} for n in names[start : start + 20]]
        assert send({"events": batch}, secret)["statusCode"] == 202
    contact = store.get(keys.contact(subscriber)) or {}
    assert len([k for k in contact if k.startswith("ev_")]) == recording.MAX_EVENT_NAMES
    assert len(timeline(subscriber)) == 60  # every event is still on the timeline


HOSTILE: dict[str, Any] = {
    "nested property": {**PURCHASE, "properties": {"plan": {"tier": "pro"}}},
    "list property": {**PURCHASE, "properties": {"plans": ["pro"]}},
    "null property": {**PURCHASE, "properties": {"plan": None}},
    "long text": {**PURCHASE, "properties": {"plan": "x" * 257}},
    "control characters": {**PURCHASE, "properties": {"plan": "pro\r\nBcc: x"}},
    "lone surrogate": {**PURCHASE, "properties": {"plan": "\ud800"}},
    "huge number": {**PURCHASE, "properties": {"amount": 10**20}},
    "infinite number": '{"name": "x", "email": "ann@example.com", "properties": {"a": 1e400}}',
    "too many properties": {**PURCHASE, "properties": {f"p{n}": n for n in range(21)}},
    "property name": {**PURCHASE, "properties": {"Plan": "pro"}},
    "properties not an object": {**PURCHASE, "properties": "plan=pro"},
    "name with capitals": {**PURCHASE, "name": "Purchased"},
    "name with a key": {**PURCHASE, "name": "x#EVENT#"},
    "long name": {**PURCHASE, "name": "a" * 65},
    "no name": {"email": "ann@example.com"},
    "no contact": {"name": "purchased"},
    "both identities": {**PURCHASE, "contact_id": "a" * 24},
    "bad address": {**PURCHASE, "email": "ann@example.com\r\nBcc: x@y.z"},
    "contact id smuggling a key": {"name": "purchased", "contact_id": "CONTACT#abc"},
    "unknown field": {**PURCHASE, "score": 100},
    "id too long": {**PURCHASE, "id": "x" * 129},
    "id with spaces": {**PURCHASE, "id": "a b"},
    "occurred long ago": {**PURCHASE, "occurred_at": "2001-01-01T00:00:00Z"},
    "occurred with no zone": {**PURCHASE, "occurred_at": "2026-01-01T00:00:00"},
    "occurred before time": {**PURCHASE, "occurred_at": "0001-01-01T00:00:00+14:00"},
    "empty batch": {"events": []},
    "batch of 26": {"events": [PURCHASE] * 26},
    "batch and more": {"events": [PURCHASE], "name": "purchased"},
    "batch item not an object": {"events": ["purchased"]},
    "deep nesting": "[" * 5000 + "]" * 5000,
    "not an object": "[1, 2]",
    "not json": "name=purchased",
    "NaN": '{"name": "purchased", "email": "ann@example.com", "properties": {"a": NaN}}',
    "too large": {
        **PURCHASE,
        "properties": {f"p{n}": "x" * 256 for n in range(20)},
        "pad": "x" * 16_000,
    },
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_body_is_a_4xx_and_writes_nothing(
    subscriber: str, secret: str, body: Any
) -> None:
    before = table()
    headers = {"Content-Type": "application/json"} if isinstance(body, str) else None
    status, refusal = answer(send(body, secret, headers=headers))
    assert status in {400, 413, 422}, refusal
    assert set(refusal) == {"error"} and refusal["error"]["code"]
    assert table() == before


def test_a_body_other_than_json_or_a_bad_idempotency_key_is_refused(
    subscriber: str, secret: str
) -> None:
    before = table()
    form = send(
        "name=purchased", secret, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert form["statusCode"] == 415
    bad = send(PURCHASE, secret, headers={"Idempotency-Key": "x" * 129})
    assert answer(bad)[0] == 400 and "Idempotency-Key" in answer(bad)[1]["error"]["fields"]
    assert table() == before


def test_each_key_has_its_rate_and_a_refused_request_writes_nothing(
    subscriber: str, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTS_PER_KEY", "25")
    settings.settings.cache_clear()
    assert send({"events": [PURCHASE] * 20}, secret)["statusCode"] == 202
    assert send({"events": [PURCHASE] * 5}, secret)["statusCode"] == 202
    before = table()
    refused = send(PURCHASE, secret)
    assert answer(refused)[0] == 429 and answer(refused)[1]["error"]["code"] == "rate_limited"
    assert int(refused["multiValueHeaders"]["Retry-After"][0]) >= 1
    assert table() == before
    assert send(PURCHASE, str(new_key("crm")["key"]))["statusCode"] == 202  # another key
    assert len(timeline(subscriber)) == 26
