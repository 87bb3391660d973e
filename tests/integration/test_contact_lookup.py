"""`GET /admin/contacts?email=` on moto: the address read as a submission reads it leads to its
contact (id, status, topics, consent records, interactions); anything else is a 4xx with the
stable error body, for marketers only, and nothing is ever written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import table_items
from tests.integration.conftest import Submit, valid_body
from tests.integration.contacts_io import admin

VIEWER = {"sub": "u-viewer", "email": "viewer@example.com", "cognito:groups": "viewers"}
STAFF = {"sub": "u-staff", "email": "staff@example.com", "cognito:groups": "staff"}


def _lookup(email: str, claims: dict[str, str] | None = None, **more: str) -> tuple[int, Any]:
    query = {"email": email, **more}
    if claims is None:
        return admin("GET", "/admin/contacts", query=query)
    return admin("GET", "/admin/contacts", query=query, claims=claims)


def test_an_address_as_typed_leads_to_its_contact_consents_and_interactions(
    subscriber: str,
) -> None:
    before = table_items()
    code, found = _lookup("  ANN@Example.COM ")
    assert code == 200, found
    assert found["contact_id"] == subscriber
    assert found["email"] == "ann@example.com"
    assert found["status"] == "subscribed"
    assert found["topics"] == found["receiving"] == ["newsletter"]
    assert found["profile"]["first_name"] == "Ann"
    [consent] = found["consents"]
    assert consent["form_id"] == "newsletter" and consent["confirmed_at"]
    kinds = [i["type"] for i in found["interactions"]]
    assert "form_submitted" in kinds and "confirmed" in kinds
    # Newest first; no storage keys, nor the submitter's IP or browser.
    assert kinds[0] == "confirmed"
    shown = [found, consent, *found["interactions"]]
    assert not any({"pk", "sk", "ip", "user_agent"} & set(item) for item in shown)
    assert table_items() == before


def test_an_address_without_a_contact_is_a_404_with_the_stable_body(subscriber: str) -> None:
    code, body = _lookup("nobody@example.com")
    assert code == 404
    assert body["error"]["code"] == "not_found"


def test_a_pending_contact_is_found_with_its_topic_awaiting_the_click(
    demo_form: Any, submit: Submit
) -> None:
    assert submit(valid_body("bo@example.com"))["statusCode"] == 202
    code, found = _lookup("bo@example.com")
    assert code == 200, found
    assert found["status"] == "pending" and found["receiving"] == []
    assert found["consents"][0]["awaiting_confirmation"] == ["newsletter"]


@pytest.mark.parametrize(
    ("claims", "status"), [({}, 401), (STAFF, 403)], ids=["no-token", "no-role"]
)
def test_only_the_consoles_roles_look_an_address_up(
    subscriber: str, claims: dict[str, str], status: int
) -> None:
    before = table_items()
    code, body = _lookup("ann@example.com", claims=claims)
    assert code == status
    assert "contact_id" not in str(body) and "ann@" not in str(body)
    assert table_items() == before


HOSTILE = [
    "x" * 10_000 + "@example.com",
    "a@" + "b" * 400 + ".com",
    "not-an-address",
    "ann@example.com\r\nBcc: eve@example.com",
    "ann@example.com' OR '1'='1",
    "<script>alert(1)</script>@example.com",
    "ann\x00@example.com",
    "@",
    "",
    "😀@😀.😀",
    "ann@example.com%00",
    "CONTACT#abc",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_or_huge_address_is_a_4xx_and_writes_nothing(subscriber: str, value: str) -> None:
    before = table_items()
    code, body = _lookup(value)
    assert 400 <= code < 500, (code, body)
    assert set(body["error"]) >= {"code", "message"}
    assert table_items() == before


def test_an_address_with_a_segment_or_a_topic_is_refused(subscriber: str) -> None:
    for extra in ({"topic": "newsletter"}, {"segment": "all"}, {"cursor": "abc"}):
        code, body = _lookup("ann@example.com", **extra)
        assert code == 422, (extra, body)
        assert "email" in body["error"]["fields"]
