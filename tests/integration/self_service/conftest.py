"""Self-service fixtures: a confirmed subscriber, the account handler, and the mails it sends
(through the real transactional mail function), all on moto."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest

from ecrm.capture import confirmation
from ecrm.contacts import profile_schema
from ecrm.platform import keys, store, tokens
from tests import events
from tests.conftest import ROOT, table_items
from tests.integration.conftest import Submit, sent_mail, valid_body

EMAIL = "ann@example.com"
ACCOUNT_MAIL = {"sign_in_requested", "email_change_requested"}


@dataclass(frozen=True)
class Member:
    email: str
    contact_id: str

    @property
    def pk(self) -> str:
        return keys.contact(self.contact_id)["pk"]


@pytest.fixture(autouse=True)
def demo_profile(aws_env: dict[str, str]) -> profile_schema.ProfileSchema:
    data = json.loads((ROOT / "local" / "demo_profile.json").read_text())
    return profile_schema.save(profile_schema.ProfileSchema.model_validate(data))


def subscribe(submit: Submit, email: str = EMAIL, **fields: Any) -> Member:
    """Subscribe through the demo form, then confirm with the consent's own token."""
    assert submit(valid_body(email, **fields))["statusCode"] == 202
    contact_id = keys.contact_id_for(email)
    [consent] = [i for i in items_of(contact_id) if i["sk"].startswith("CONSENT#")]
    ref = consent["sk"].removeprefix("CONSENT#")
    confirmation.confirm(tokens.issue("confirm", contact_id, ref, ttl_seconds=3600))
    return Member(email, contact_id)


@pytest.fixture
def member(submit: Submit) -> Member:
    """Ann: subscribed to the newsletter, interested in guides, works at Acme."""
    return subscribe(submit, EMAIL, interests=["guides"], company="Acme")


def items_of(contact_id: str) -> list[dict[str, Any]]:
    """Every item of the contact's partition (read the way a test may: by scanning)."""
    pk = keys.contact(contact_id)["pk"]
    return [i for i in table_items() if i["pk"] == pk]


def item(key: dict[str, str]) -> dict[str, Any] | None:
    return store.get(key)


def account(
    method: str,
    resource: str,
    params: dict[str, str] | None = None,
    *,
    body: dict[str, Any] | str | bytes | None = None,
    session: str | None = None,
    headers: dict[str, str] | None = None,
    ip: str = "198.51.100.7",
) -> dict[str, Any]:
    """One request through the account function's handler."""
    from account.app import lambda_handler

    all_headers = dict(headers or {})
    if session:
        all_headers["Authorization"] = f"Bearer {session}"
    event = events.api(method, resource, params, body=body, headers=all_headers, ip=ip)
    return lambda_handler(event, events.LambdaContext())


def deliver_account_mail() -> dict[str, Any]:
    """Hand every sign-in and address-change request to the mail function, as its stream
    filter would (a repeat is answered from the ledger: nothing is sent twice)."""
    from mailing.transactional import lambda_handler

    images = [i for i in table_items() if i.get("type") in ACCOUNT_MAIL]
    if not images:
        return {"batchItemFailures": []}
    return lambda_handler(events.stream(*images), events.LambdaContext())


def mails_to(address: str) -> list[EmailMessage]:
    return [m for m in sent_mail() if m["To"] == address]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def token_in(message: EmailMessage, name: str = "token") -> str:
    found = re.search(rf"https://forms\.example\.com/preferences#{name}=(\S+)", text_of(message))
    assert found, f"no {name} link in the mail"
    return found.group(1)


def request_link(email: str = EMAIL, ip: str = "198.51.100.7") -> dict[str, Any]:
    return account("POST", "/account/link", body={"email": email}, ip=ip)


def sign_in(email: str = EMAIL) -> str:
    """Ask for a link, open it from the mail, exchange it: the session token."""
    assert request_link(email)["statusCode"] == 202
    assert deliver_account_mail() == {"batchItemFailures": []}
    token = token_in(mails_to(email)[-1])
    response = account("POST", "/account/session", body={"token": token})
    assert response["statusCode"] == 200, response["body"]
    return str(events.json_body(response)["session"])


def get_account(session: str) -> tuple[dict[str, Any], str]:
    response = account("GET", "/account", session=session)
    assert response["statusCode"] == 200, response["body"]
    return events.json_body(response), header(response, "ETag")


def patch(session: str, body: dict[str, Any], etag: str | None) -> dict[str, Any]:
    headers = {"If-Match": etag} if etag is not None else {}
    return account("PATCH", "/account", body=body, session=session, headers=headers)


def header(response: dict[str, Any], name: str) -> str:
    values = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    single = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    found = values.get(name.lower())
    return str(found[0]) if found else str(single[name.lower()])


def error_of(response: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = events.json_body(response)["error"]
    return found
