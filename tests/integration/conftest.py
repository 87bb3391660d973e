"""Integration fixtures: call the real handlers with published event shapes, on moto."""

from __future__ import annotations

import email
import re
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests import events

Submit = Callable[..., dict[str, Any]]


@pytest.fixture
def submit(demo_form: Any) -> Submit:
    """POST a submission of the demo form through the capture handler."""
    return submit_form


def submit_form(
    body: dict[str, Any] | str | bytes | None = None,
    *,
    form_id: str = "newsletter",
    headers: dict[str, str] | None = None,
    ip: str = "198.51.100.7",
) -> dict[str, Any]:
    """What `submit` does, for fixtures of a wider scope (the form must be saved)."""
    from capture.app import lambda_handler

    payload = body if body is not None else valid_body()
    event = events.api(
        "POST",
        "/forms/{form_id}/submissions",
        {"form_id": form_id},
        body=payload,
        headers=headers,
        ip=ip,
    )
    response: dict[str, Any] = lambda_handler(event, events.LambdaContext())
    return response


def valid_body(email_address: str = "ann@example.com", **extra: Any) -> dict[str, Any]:
    return {"email": email_address, "first_name": "Ann", "consent": True, **extra}


def sent_mail() -> list[EmailMessage]:
    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    return [
        email.message_from_string(m.raw_data, policy=default)  # type: ignore[misc]
        for m in backend.sent_messages
    ]


def link_in(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"https?://\S+/confirm/\S+", body.get_content())
    assert found, "no confirmation link in the mail"
    return found.group(0)


@pytest.fixture
def subscriber(submit: Submit) -> str:
    """Ann, subscribed to the newsletter through the demo form and her confirmation (without
    the confirmation mail); returns her contact id."""
    assert submit(valid_body("ann@example.com"))["statusCode"] == 202
    return confirm_without_mail("ann@example.com")


def confirm_without_mail(address: str) -> str:
    """What the owner's click on the confirmation link of their latest submission does."""
    from ecrm.capture import confirmation
    from ecrm.platform import keys, store, tokens

    contact_id = keys.contact_id_for(address)
    events_, _ = store.query(keys.contact(contact_id)["pk"], sk_prefix="EVENT#")
    [*_, latest] = [e for e in events_ if e["type"] == "form_submitted"]
    ref = f"{latest['at']}#{latest['event_id']}"
    confirmation.confirm(tokens.issue("confirm", contact_id, ref))
    return contact_id


@pytest.fixture
def sending_campaign(aws_env: dict[str, str]) -> dict[str, Any]:
    """Campaign `c1` in state `sending`, as the campaign sender leaves it."""
    from ecrm.platform import keys, store

    data = {**keys.campaign("c1"), "type": "campaign", "state": "sending", "sent": 10}
    store.write(store.Put(data))
    return data
