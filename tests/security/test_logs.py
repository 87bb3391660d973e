"""A whole life, from the form to erasure, through every function's handler: what the
Powertools loggers write (JSON on stdout) names contacts and events by id and never carries an
address, a name, a phone number, a company or a token. The self-service journey alone is
tests/integration/self_service/test_logs.py; this one adds capture, confirmation, mail events,
scoring, automations, the `mailto:` unsubscribe and the refused and failing requests."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from ecrm.account.unsubscribe import unsubscribe_url
from ecrm.contacts import forms, profile_schema
from ecrm.platform import aws, keys
from tests import events
from tests.conftest import ROOT, table_items
from tests.integration.conftest import Submit, link_in, sent_mail
from tests.integration.self_service.conftest import (
    account,
    deliver_account_mail,
    get_account,
    mails_to,
    patch,
    sign_in,
    token_in,
)

EMAIL, NEW = "zoe.secret@example.com", "zoe.renamed@example.org"
NAME, NEW_NAME, COMPANY, PHONE = "Zoraida", "Zenobia", "Quuxcorp", "+44 20 7946 0958"


@contextmanager
def every_log() -> Iterator[io.StringIO]:
    """Point every stream handler of every logger (Powertools' keep the stream they were
    created with, so capsys cannot see them) at one buffer."""
    import account.app  # noqa: F401 - the functions' loggers exist once they are imported
    import capture.app  # noqa: F401
    import mailing.automations
    import mailing.inbound
    import mailing.ses_events
    import mailing.transactional  # noqa: F401
    import scoring.stream  # noqa: F401

    buffer = io.StringIO()
    loggers = [
        logging.getLogger(),
        *(
            logger
            for logger in logging.Logger.manager.loggerDict.values()
            if isinstance(logger, logging.Logger)
        ),
    ]
    swapped: list[tuple[logging.StreamHandler[Any], Any]] = []
    levels = []
    for logger in loggers:
        levels.append((logger, logger.level))
        if logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
        for handler in logger.handlers:
            if (
                isinstance(handler, logging.StreamHandler)
                and not isinstance(handler, logging.FileHandler)
                and not type(handler).__module__.startswith("_pytest")
                and all(handler is not seen for seen, _ in swapped)
            ):
                swapped.append((handler, handler.stream))
                # Assign, not setStream(): that flushes the old stream, which another test's
                # capture may have closed already.
                handler.stream = buffer
    assert swapped, "no handler to read from"
    # What reaches the root logger is written by the Lambda runtime's own handler (plain text,
    # with the traceback): stand in for it.
    runtime = logging.StreamHandler(buffer)
    runtime.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(runtime)
    try:
        yield buffer
    finally:
        logging.getLogger().removeHandler(runtime)
        for handler, stream in swapped:
            handler.stream = stream
        for logger, level in levels:
            logger.setLevel(level)


def _run_stream(module: str, items: list[dict[str, Any]]) -> None:
    import importlib

    if items:
        handler = importlib.import_module(module).lambda_handler
        handler(events.stream(*items), events.LambdaContext())


def _with_phone_field() -> None:
    data = json.loads((ROOT / "local" / "demo_form.json").read_text())
    data["fields"].append({"name": "phone", "label": "Phone", "type": "phone"})
    forms.save(forms.Form.model_validate(data))
    forms.forget_cached()
    schema = json.loads((ROOT / "local" / "demo_profile.json").read_text())
    profile_schema.save(profile_schema.ProfileSchema.model_validate(schema))


def _life(submit: Submit) -> list[str]:
    """Everything a person's data goes through; returns the tokens that were handed out."""
    from capture.app import lambda_handler as capture

    body = {"email": EMAIL, "first_name": NAME, "company": COMPANY, "phone": PHONE, "consent": True}
    assert submit(body)["statusCode"] == 202, "accepted"
    assert submit({**body, "email": "not-an-address " + EMAIL})["statusCode"] == 422
    _run_stream("mailing.transactional", table_items())
    confirm_url = link_in(mails_to(EMAIL)[0])
    token = confirm_url.rsplit("/", 1)[1]
    confirm = events.api(
        "POST",
        "/confirm/{token}",
        {"token": token},
        body="",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert capture(confirm, events.LambdaContext())["statusCode"] == 200
    _run_stream("scoring.stream", [i for i in table_items() if i["sk"].startswith("EVENT#")])
    _run_stream("mailing.automations", [i for i in table_items() if i["sk"].startswith("EVENT#")])

    from mailing.ses_events import lambda_handler as ses_events

    def mail_event(kind: str, to: str) -> None:
        now = time.time()
        notification = events.ses_notification(
            kind, message_id="m-1", to=to, sent_at=now - 300, at=now - 60
        )
        ses_events(notification, events.LambdaContext())

    for kind in ("delivery", "open", "click"):
        mail_event(kind, EMAIL)

    session = sign_in(EMAIL)
    _, etag = get_account(session)
    assert (
        patch(session, {"profile": {"first_name": NEW_NAME}, "email": NEW}, etag)["statusCode"]
        == 200
    )
    deliver_account_mail()
    verify = token_in(mails_to(NEW)[0], "verify_email")
    account("POST", "/account/email/confirm", body={"token": verify})
    contact_id = keys.contact_id_for(EMAIL)
    unsubscribe = unsubscribe_url(contact_id, None).rsplit("/", 1)[1]
    from mailing.inbound import lambda_handler as inbound

    inbound(events.ses_receipt(f"Re: {unsubscribe}", sender=NEW), events.LambdaContext())
    account("POST", "/unsubscribe/{token}", {"token": unsubscribe}, body="x=1")
    account("POST", "/account/session", body={"token": session})  # a session is no sign-in
    account("GET", "/account/export", session=session)
    account("DELETE", "/account", body={"confirm": "erase"}, session=session)
    mail_event("bounce", NEW)  # about an erased address
    mail_event("complaint", EMAIL)
    return [token, session, verify, unsubscribe]


def _a_failing_request(submit: Submit) -> None:
    """An unexpected AWS failure: the handler's 5xx log must not carry the request."""

    def fail(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ValidationException", "Message": "injected"}}, "x")

    aws.dynamodb().meta.events.register("before-call.dynamodb.TransactWriteItems", fail)
    try:
        failed = submit({"email": EMAIL, "first_name": NAME, "consent": True, "phone": PHONE})
        assert failed["statusCode"] == 500, failed
    finally:
        aws.dynamodb().meta.events.unregister("before-call.dynamodb.TransactWriteItems", fail)


def test_a_whole_life_logs_ids_but_no_personal_data_or_token(submit: Submit) -> None:
    _with_phone_field()
    with every_log() as logs:
        tokens = _life(submit)
        _a_failing_request(submit)

    written = logs.getvalue()
    records = [json.loads(line) for line in written.splitlines() if line.startswith("{")]
    assert len(records) >= 8, written  # the run did log
    logged = {record.get("message") for record in records}
    for expected in ("submission stored", "subscription confirmed", "contact erased"):
        assert expected in logged, sorted(map(str, logged))
    assert "unhandled error" in written and "Traceback" in written
    # Not even by contact id: it is a plain hash of the address, and logs outlive an erasure.
    for address in (EMAIL, NEW):
        assert keys.contact_id_for(address) not in written, address
        assert keys.email_hash(address) not in written, address
    secrets = [EMAIL, NEW, NAME, NEW_NAME, COMPANY, PHONE, re.sub(r"\D", "", PHONE), *tokens]
    secrets += [EMAIL.split("@", maxsplit=1)[0], NEW.split("@", maxsplit=1)[0]]
    for secret in secrets:
        assert secret not in written, f"{secret!r} is in the logs"
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", written.replace("marketer@example.com", ""))
    assert sent_mail(), "mail went out during the run"
