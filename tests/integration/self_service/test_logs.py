"""Logs name contacts and events by id: no address, name or token ever reaches them."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from ecrm.account.unsubscribe import unsubscribe_url
from tests.integration.self_service.conftest import (
    Member,
    account,
    deliver_account_mail,
    get_account,
    mails_to,
    patch,
    sign_in,
    token_in,
)

NEW = "ann.new@example.org"


@contextmanager
def function_logs(*services: str) -> Iterator[io.StringIO]:
    """What the functions' Powertools loggers write, as written: their handlers keep the
    stream they were created with, so point those very handlers at a buffer for a while."""
    import account.app  # noqa: F401 - the loggers exist once their functions are imported
    import mailing.transactional  # noqa: F401

    buffer = io.StringIO()
    swapped: list[tuple[logging.StreamHandler[io.StringIO], object]] = []
    for service in services:
        for handler in logging.getLogger(service).handlers:
            if isinstance(handler, logging.StreamHandler):
                swapped.append((handler, handler.setStream(buffer)))
    assert swapped, "no handler to read from"
    try:
        yield buffer
    finally:
        for handler, stream in swapped:
            handler.setStream(stream)  # type: ignore[arg-type]


def test_a_whole_self_service_journey_logs_no_personal_data(member: Member) -> None:
    with function_logs("account", "mailing") as logs:
        session = sign_in()
        _, etag = get_account(session)
        patch(session, {"profile": {"first_name": "Annabel"}, "email": NEW}, etag)
        deliver_account_mail()
        verify = token_in(mails_to(NEW)[0], "verify_email")
        account("POST", "/account/email/confirm", body={"token": verify})
        unsubscribe = unsubscribe_url(member.contact_id, None).rsplit("/", 1)[1]
        account("POST", "/unsubscribe/{token}", {"token": unsubscribe}, body="x=1")
        account("GET", "/account/export", session=session)
        account("DELETE", "/account", body={"confirm": "erase"}, session=session)

    written = logs.getvalue()
    for expected in ("signed in", "preferences updated", "address changed", "contact erased"):
        assert expected in written  # the journey did log
    # Not even by contact id: it is a plain hash of the address, and logs outlive an erasure.
    assert member.contact_id not in written
    for secret in (member.email, NEW, "Annabel", "Acme", session, verify, unsubscribe):
        assert secret not in written
