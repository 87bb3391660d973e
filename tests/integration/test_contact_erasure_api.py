"""`DELETE /admin/contacts/{id}` on moto: a marketer erases a contact on its request by typing
its address; a wrong, missing, huge or malformed confirmation, an unknown id, a viewer or no
sign-in is a 4xx with the stable error body and nothing is written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrm.platform import keys, pseudonyms, store
from tests import events
from tests.conftest import table_items
from tests.integration.conftest import Submit, confirm_without_mail, valid_body
from tests.integration.contacts_io import MARKETER

VIEWER = {"sub": "u-viewer", "email": "viewer@example.com", "cognito:groups": "viewers"}
ADMIN = {"sub": "u-admin", "email": "ada@example.com", "cognito:groups": "admins"}


def erase(contact_id: str, body: Any, claims: dict[str, str] | None = MARKETER) -> tuple[int, Any]:
    from account.contact_erasure import lambda_handler

    event = events.api(
        "DELETE", "/admin/contacts/{contact_id}", {"contact_id": contact_id}, body=body
    )
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    response = lambda_handler(event, events.LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def test_a_marketer_erases_a_contact_by_typing_its_address(subscriber: str) -> None:
    code, answer = erase(subscriber, {"email": "  ANN@Example.COM "})  # read as typed
    assert code == 200, answer
    assert answer["erased"] is True and answer["items"] > 0
    assert store.query(keys.contact(subscriber)["pk"])[0] == []
    assert store.get(keys.erasure(pseudonyms.of("erasure", subscriber))) is not None
    suppressed = store.get(keys.erased_suppression(pseudonyms.of("suppression", "ann@example.com")))
    assert suppressed is not None and suppressed["reasons"] == ["erased"]
    assert "ann@example.com" not in json.dumps(table_items())
    # Done twice (a retry, a double click): the contact is gone, nothing more is written.
    before = table_items()
    assert erase(subscriber, {"email": "ann@example.com"})[0] == 404
    assert table_items() == before


def test_an_admin_may_erase_too(subscriber: str) -> None:
    assert erase(subscriber, {"email": "ann@example.com"}, ADMIN)[0] == 200


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"email": "bo@example.com"}, 422, "email"),  # another contact's address
        ({"email": "ann@example.co"}, 422, "email"),  # a slip
        ({"email": "not an address"}, 422, "email"),
        ({"email": "a" * 100_000 + "@example.com"}, 400, None),  # huge
        ({"email": "ann@example.com", "force": True}, 400, None),  # nothing else is read
        ({}, 400, None),
        (None, 400, None),
        ("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]", 400, None),
    ],
)
def test_a_wrong_or_malformed_confirmation_erases_nothing(
    subscriber: str, submit: Submit, body: Any, status: int, field: str | None
) -> None:
    assert submit(valid_body("bo@example.com"))["statusCode"] == 202
    confirm_without_mail("bo@example.com")
    before = table_items()
    code, answer = erase(subscriber, body)
    assert code == status, answer
    assert set(answer) == {"error"} and answer["error"]["code"]
    if field:
        assert field in answer["error"]["fields"]
    assert table_items() == before


@pytest.mark.parametrize(
    ("claims", "status"), [(VIEWER, 403), (None, 401), ({"sub": "s", "cognito:groups": "x"}, 403)]
)
def test_only_marketers_and_admins_may_erase(
    subscriber: str, claims: dict[str, str] | None, status: int
) -> None:
    before = table_items()
    code, answer = erase(subscriber, {"email": "ann@example.com"}, claims)
    assert code == status, answer
    assert table_items() == before


@pytest.mark.parametrize("contact_id", ["a" * 24, "ann@example.com", "A" * 24, "a" * 25])
def test_an_unknown_or_malformed_id_erases_nothing(subscriber: str, contact_id: str) -> None:
    before = table_items()
    code, answer = erase(contact_id, {"email": "ann@example.com"})
    assert code in {400, 404}, answer
    assert answer["error"]["code"] in {"not_found", "malformed_request"}
    assert table_items() == before
