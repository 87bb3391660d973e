"""`ecrm event-keys` against `ecrm serve`, and `POST /events` served by it: a marketer creates
a key (its secret printed once), a backend records an event with it, which the contact's
timeline and score show (through the local stream pumps, as deployed); revoked, the key is
refused (401) and the key stays listed as revoked."""

from __future__ import annotations

import json
from typing import Any

import requests

from local.stack import EmbeddedStack
from tests.cli.conftest import Ecrm

EMAIL = "eve.events@example.com"


def post_event(stack: EmbeddedStack, key: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{stack.api_url}/events", json=body, headers={"X-Api-Key": key}, timeout=120
    )


def test_a_key_records_events_until_it_is_revoked(stack: EmbeddedStack, ecrm: Ecrm) -> None:
    signed_up = requests.post(
        f"{stack.api_url}/forms/newsletter/submissions",
        json={"email": EMAIL, "consent": True},
        timeout=120,
    )
    assert signed_up.status_code == 202, signed_up.text
    created = ecrm("--json", "event-keys", "create", "shop backend")
    assert created.code == 0, created.err
    made: Any = created.json()
    human = ecrm("event-keys", "create", "second shop")
    assert human.code == 0 and "never shown again" in human.out and "ecrm_ek_" in human.out
    event = {"name": "purchased", "email": EMAIL, "id": "order-1", "properties": {"plan": "pro"}}
    for _ in range(2):  # a retry: once
        answer = post_event(stack, made["key"], event)
        assert (answer.status_code, answer.json()) == (202, {"accepted": 1})
    stack.drain()
    shown = ecrm("--json", "contacts", "show", EMAIL)
    assert shown.code == 0, shown.err
    contact: Any = shown.json()
    bought = [i for i in contact["interactions"] if i["type"] == "custom_event"]
    assert [(i["name"], i["properties"]) for i in bought] == [("purchased", {"plan": "pro"})]
    assert "custom_event  name purchased" in ecrm("contacts", "show", EMAIL).out

    listed = ecrm("--json", "event-keys", "list")
    assert listed.code == 0 and made["id"] in {k["id"] for k in listed.json()}  # type: ignore[union-attr]
    assert made["key"] not in listed.out  # never shown again
    revoked = ecrm("--json", "event-keys", "revoke", made["id"])
    assert revoked.code == 0 and revoked.json()["revoked"] is True  # type: ignore[index]
    refused = post_event(stack, made["key"], {**event, "id": "order-2"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
    shown_key = ecrm("event-keys", "show", made["id"])
    assert shown_key.code == 0 and "revoked" in shown_key.out


def test_a_viewer_lists_keys_but_cannot_create_one(stack: EmbeddedStack, ecrm: Ecrm) -> None:
    token = json.loads((stack.state_dir / "admin-tokens.json").read_text())["viewer"]
    listed = ecrm("--json", f"--token={token}", "event-keys", "list")
    assert listed.code == 0, listed.err
    refused = ecrm("--json", f"--token={token}", "event-keys", "create", "mine")
    assert refused.code == 3, refused.err  # forbidden
