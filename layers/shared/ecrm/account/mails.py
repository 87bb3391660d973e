"""The self-service mails, sent off the request path from the table's stream (the transactional
mail function dispatches on the interaction's type): the magic sign-in link, and the link that
verifies a new address. Transactional sender, no list headers; each is claimed in a ledger item
(`MAIL#<kind>#<event id>` in the contact's partition) before SES and marked sent after, like the
confirmation mail: a redelivered record sends nothing twice."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.contacts import suppression
from ecrm.mail import outbound
from ecrm.platform import clock, keys, store, tokens
from ecrm.platform.settings import settings

logger = Logger(service="mailing", child=True)

Renderer = Callable[[str, Mapping[str, Any]], outbound.RenderedMail]
Sender = Callable[[Mapping[str, Any], Renderer], "str | None"]


def _claim(contact_id: str, kind: str, event_id: str) -> bool:
    """Claim the ledger item; False when this mail was already sent."""
    ledger = store.write(
        store.Update(
            keys.transactional_mail(contact_id, kind, event_id),
            "SET #type = :type, #state = if_not_exists(#state, :sending), claimed_at = :at"
            " ADD attempts :one",
            names={"#type": "type", "#state": "state"},
            values={
                ":type": "transactional_mail",
                ":sending": "sending",
                ":at": clock.iso(clock.now()),
                ":one": 1,
            },
        )
    )
    return ledger.get("state") != "sent"


def _send(
    contact_id: str, kind: str, event_id: str, to: str, rendered: outbound.RenderedMail
) -> str:
    cfg = settings()
    envelope = outbound.Envelope(cfg.transactional_sender, cfg.transactional_sender_name, to)
    message_id = outbound.send(outbound.build(envelope, rendered))
    store.write(
        store.Update(
            keys.transactional_mail(contact_id, kind, event_id),
            "SET #state = :sent, message_id = :id, sent_at = :at",
            names={"#state": "state"},
            values={":sent": "sent", ":id": message_id, ":at": clock.iso(clock.now())},
        )
    )
    logger.info(
        "account mail sent", extra={"kind": kind, "event_id": event_id, "message_id": message_id}
    )
    return message_id


def _page_url(fragment: str) -> str:
    # The token travels in the fragment: browsers never send it to a server or in a Referer.
    return f"{settings().public_base_url.rstrip('/')}/preferences#{fragment}"


def send_sign_in_mail(interaction: Mapping[str, Any], render: Renderer) -> str | None:
    """The magic link for a `sign_in_requested` interaction; None when skipped."""
    contact_id, event_id = interaction["contact_id"], interaction["event_id"]
    contact = store.get(keys.contact(contact_id))
    if not contact or contact.get("alias_of"):
        return None  # erased since
    if suppression.blocks_requested_mail(store.get(keys.suppression(contact["email"]))):
        logger.info("sign-in mail skipped: address suppressed", extra={"event_id": event_id})
        return None
    if not _claim(contact_id, "sign_in", event_id):
        return None
    ttl = settings().sign_in_token_ttl_seconds
    # The contact's creation binds the link and its session to this contact (ecrm.account.sign_in).
    token = tokens.issue("sign_in", contact_id, str(contact.get("created_at") or ""), ttl)
    context = {"sign_in_url": _page_url(f"token={token}"), "valid_minutes": ttl // 60}
    return _send(contact_id, "sign_in", event_id, contact["email"], render("sign_in", context))


def send_email_change_mail(interaction: Mapping[str, Any], render: Renderer) -> str | None:
    """The verification link to the new address of an `email_change_requested` interaction;
    None when skipped (a newer change replaced it, it was confirmed, or the contact is gone)."""
    contact_id, event_id = interaction["contact_id"], interaction["event_id"]
    change_id = interaction.get("change_id")
    contact = store.get(keys.contact(contact_id))
    if not contact or not change_id or contact.get("pending_email_ref") != change_id:
        return None
    new_address = str(contact["pending_email"])
    if suppression.blocks_requested_mail(suppression.recall(new_address, clock.iso(clock.now()))):
        logger.info("address change mail skipped: suppressed", extra={"event_id": event_id})
        return None
    if not _claim(contact_id, "email_change", event_id):
        return None
    ttl = settings().email_change_token_ttl_seconds
    token = tokens.issue("email_change", contact_id, str(change_id), ttl)
    context = {"verify_url": _page_url(f"verify_email={token}"), "valid_hours": ttl // 3600}
    rendered = render("email_change", context)
    return _send(contact_id, "email_change", event_id, new_address, rendered)


# What the transactional mail function sends for each interaction type it is given.
SENDERS: dict[str, Sender] = {
    "sign_in_requested": send_sign_in_mail,
    "email_change_requested": send_email_change_mail,
}
