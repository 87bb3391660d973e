"""`/admin/event-keys…`: a marketer creates a key for a source of events and sees its secret
once (the table keeps only its SHA-256), lists and revokes it; a viewer reads but neither
creates nor revokes; a bad name is a 422 and writes nothing; the key check passes the key and
refuses it once revoked, tampered with or unknown."""

from __future__ import annotations

import json

import pytest

from ecrm.events import api_keys
from ecrm.platform import keys, store
from ecrm.platform.errors import Unauthenticated
from tests.conftest import table_items
from tests.integration.events_api import VIEWER, admin, new_key

pytestmark = pytest.mark.usefixtures("aws_env")


def test_a_marketer_creates_a_key_whose_secret_is_shown_once_and_stored_hashed() -> None:
    created = new_key("  shop   backend ")
    secret = created.pop("key")
    assert secret.startswith("ecrm_ek_") and len(secret) == len("ecrm_ek_") + 43
    assert created | {"id": "", "created_at": ""} == {
        "id": "",
        "name": "shop backend",
        "hint": secret[:12],
        "scope": "events",
        "created_at": "",
        "created_by": "mo@example.com",
        "last_used_at": None,
        "revoked": False,
        "revoked_at": None,
        "revoked_by": None,
    }
    assert secret not in json.dumps(table_items())  # only its hash is kept
    status, listed = admin("GET", "/admin/event-keys", VIEWER)
    assert status == 200 and listed == {"items": [created], "next_cursor": None}
    status, shown = admin("GET", "/admin/event-keys/{key_id}", VIEWER, key_id=created["id"])
    assert status == 200 and shown == created
    assert "secret_hash" not in json.dumps(listed)


def test_keys_are_listed_newest_first_a_page_at_a_time() -> None:
    made = [new_key(f"source {n}")["id"] for n in range(3)]
    status, first = admin("GET", "/admin/event-keys", query={"limit": "2"})
    assert status == 200 and len(first["items"]) == 2 and first["next_cursor"]
    query = {"limit": "2", "cursor": first["next_cursor"]}
    status, second = admin("GET", "/admin/event-keys", query=query)
    assert status == 200 and second["next_cursor"] is None
    listed = [k["id"] for k in first["items"] + second["items"]]
    assert sorted(listed) == sorted(made) and len(set(listed)) == 3


def test_a_revoked_key_is_refused_at_once_and_stays_listed_as_revoked() -> None:
    created = new_key()
    assert api_keys.authenticate(created["key"]).id == created["id"]
    status, revoked = admin("DELETE", "/admin/event-keys/{key_id}", key_id=created["id"])
    assert status == 200 and revoked["revoked"] and revoked["revoked_by"] == "mo@example.com"
    with pytest.raises(Unauthenticated):
        api_keys.authenticate(created["key"])
    status, again = admin("DELETE", "/admin/event-keys/{key_id}", key_id=created["id"])
    assert status == 200 and again["revoked_at"] == revoked["revoked_at"]  # the first stays
    _, listed = admin("GET", "/admin/event-keys")
    assert [k["revoked"] for k in listed["items"]] == [True]


def test_an_unknown_or_malformed_id_is_refused_and_nothing_is_written() -> None:
    before = table_items()
    status, answer = admin("DELETE", "/admin/event-keys/{key_id}", key_id="evk_0123456789abcdef")
    assert status == 404 and answer["error"]["code"] == "not_found"
    for bad in ("EVENTKEY#x", "evk_../../x", "evk_0123456789ABCDEF", "x" * 300):
        status, answer = admin("DELETE", "/admin/event-keys/{key_id}", key_id=bad)
        assert status in {400, 404} and answer["error"]["code"] in {
            "malformed_request",
            "not_found",
        }
    assert table_items() == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": 7},
        {"name": "x" * 101},
        {"name": "a", "scope": "*"},
    ],
    ids=["missing", "empty", "blank", "number", "too long", "another field"],
)
def test_a_bad_name_is_422_at_its_field_and_nothing_is_written(body: dict[str, object]) -> None:
    before = table_items()
    status, answer = admin("POST", "/admin/event-keys", body=body)
    assert status == 422 and answer["error"]["code"] == "validation_failed"
    assert set(answer["error"]["fields"]) <= {"name", "scope"} and answer["error"]["fields"]
    assert table_items() == before


def test_a_viewer_reads_but_neither_creates_nor_revokes() -> None:
    created = new_key()
    before = table_items()
    status, _ = admin("POST", "/admin/event-keys", VIEWER, body={"name": "mine"})
    assert status == 403
    status, _ = admin("DELETE", "/admin/event-keys/{key_id}", VIEWER, key_id=created["id"])
    assert status == 403
    status, _ = admin("GET", "/admin/event-keys", None)
    assert status == 401
    assert table_items() == before
    assert api_keys.authenticate(created["key"]).id == created["id"]


def test_only_the_exact_secret_of_a_live_key_passes() -> None:
    secret = new_key()["key"]
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    other = "ecrm_ek_" + "A" * 43
    for refused in (None, "", flipped, other, secret + "x", secret.upper(), "Bearer " + secret):
        with pytest.raises(Unauthenticated):
            api_keys.authenticate(refused)
    assert api_keys.presented(f"bearer  {secret}", None) == secret
    assert api_keys.presented(None, f" {secret} ") == secret
    assert api_keys.presented("Basic abc", None) is None


def test_last_used_is_written_once_a_minute_at_most() -> None:
    created = new_key()
    key = keys.event_key(created["id"])
    api_keys.used(api_keys.authenticate(created["key"]), now=1_800_000_000.0)
    first = (store.get(key) or {})["last_used_at"]
    api_keys.used(api_keys.authenticate(created["key"]), now=1_800_000_030.0)
    assert (store.get(key) or {})["last_used_at"] == first
    api_keys.used(api_keys.authenticate(created["key"]), now=1_800_000_061.0)
    assert (store.get(key) or {})["last_used_at"] > first
