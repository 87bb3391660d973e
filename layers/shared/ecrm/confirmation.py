"""Double opt-in: the confirmation mail (sent off the request path, from the stream) and the
confirmation itself (a signed, expiring, single-use token exchanged by a POST)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from ecrm import clock, keys, mail, store, suppression, tokens
from ecrm.contacts import ContactStatus
from ecrm.errors import Conflict, TokenAlreadyUsed
from ecrm.settings import settings

logger = Logger(service="mailing", child=True)

Renderer = Callable[[str, Mapping[str, Any]], mail.RenderedMail]


@dataclass(frozen=True)
class Confirmed:
    contact_id: str


_LIFT = "|lift"  # on a token's ref: confirming lifts the address's self-service suppression


def _ledger_claim(contact_id: str, event_id: str, at: str) -> store.Update:
    return store.Update(
        keys.transactional_mail(contact_id, "confirm", event_id),
        "SET #type = :type, #state = if_not_exists(#state, :sending), claimed_at = :at"
        " ADD attempts :one",
        names={"#type": "type", "#state": "state"},
        values={":type": "transactional_mail", ":sending": "sending", ":at": at, ":one": 1},
    )


def send_confirmation_mail(interaction: Mapping[str, Any], render: Renderer) -> str | None:
    """Send the confirmation for one pending submission; returns the SES id, or None if skipped.

    The ledger item is claimed before the SES call and marked sent after it. A redelivered record
    finds `sent` and stops; a crash between the two (SES accepted, ledger not updated) resends
    once on redelivery: for a confirmation mail, a rare duplicate beats a lost one.
    """
    contact_id, event_id = interaction["contact_id"], interaction["event_id"]
    contact = store.get(keys.contact(contact_id))
    if not contact or contact.get("status") != ContactStatus.PENDING:
        return None  # confirmed, unsubscribed or erased since: nothing to confirm
    suppressed = suppression.recall(contact["email"], clock.iso(clock.now()))
    if suppression.blocks_requested_mail(suppressed):
        logger.info("confirmation skipped: address suppressed", extra={"event_id": event_id})
        return None
    now = clock.now()
    ledger = store.write(_ledger_claim(contact_id, event_id, clock.iso(now)))
    if ledger.get("state") == "sent":
        return None
    cfg = settings()
    ref = interaction.get("consent_ref") or ""
    if suppressed:  # the person opted out (or was erased) before: this opt-in lifts it
        ref += _LIFT
    token = tokens.issue("confirm", contact_id, ref, cfg.confirm_token_ttl_seconds)
    context = {
        "form_title": interaction.get("form_title") or "our mailings",
        "confirm_url": f"{cfg.public_base_url.rstrip('/')}/confirm/{token}",
        "valid_days": max(1, cfg.confirm_token_ttl_seconds // 86400),
    }
    envelope = mail.Envelope(
        cfg.transactional_sender, cfg.transactional_sender_name, contact["email"]
    )
    message_id = mail.send(mail.build(envelope, render("confirm", context)))
    store.write(
        store.Update(
            keys.transactional_mail(contact_id, "confirm", event_id),
            "SET #state = :sent, message_id = :id, sent_at = :at",
            names={"#state": "state"},
            values={":sent": "sent", ":id": message_id, ":at": clock.iso(clock.now())},
        )
    )
    logger.info("confirmation sent", extra={"event_id": event_id, "message_id": message_id})
    return message_id


def confirm(token: str, *, now: float | None = None) -> Confirmed:
    """Exchange a confirmation token, once: the contact becomes subscribed and the consent
    record gets its confirmation time, in one transaction with the token's used-marker."""
    claims = tokens.verify(token, "confirm")
    consent_ref, lift, _ = claims.ref.partition(_LIFT)
    now = clock.now() if now is None else now
    at = clock.iso(now)
    contact_id = claims.subject
    event_id = f"confirm_{claims.jti}"
    writes: list[store.Write] = [
        store.Put(
            {
                **keys.used_token(claims.jti),
                "type": "used_token",
                "expires_at": (claims.expires_at or 0) + 86400,
            },
            condition="attribute_not_exists(pk)",
        ),
        store.Update(
            keys.contact(contact_id),
            "SET #status = :subscribed, confirmed_at = :at, updated_at = :at ADD version :one",
            condition="attribute_exists(pk) AND #status IN (:pending, :subscribed)",
            names={"#status": "status"},
            values={
                ":subscribed": ContactStatus.SUBSCRIBED.value,
                ":pending": ContactStatus.PENDING.value,
                ":at": at,
                ":one": 1,
            },
        ),
        store.Put(
            {
                **keys.interaction(contact_id, at, event_id),
                "type": "confirmed",
                "contact_id": contact_id,
                "event_id": event_id,
                "at": at,
                "consent_ref": consent_ref or None,
            },
            condition="attribute_not_exists(pk)",
        ),
    ]
    if consent_ref:
        consent_at, _, consent_event = consent_ref.partition("#")
        writes.append(
            store.Update(
                keys.consent(contact_id, consent_at, consent_event),
                "SET confirmed_at = :at",
                condition="attribute_exists(pk) AND attribute_not_exists(confirmed_at)",
                values={":at": at},
            )
        )
    lift_at = None
    contact = store.get(keys.contact(contact_id)) if lift else None  # rare: after an opt-out
    if contact:
        lift_at = len(writes)
        writes.append(suppression.lift(contact["email"]))
    try:
        store.transact(writes)
    except store.TransactionCancelled as cancelled:
        if lift_at is not None and cancelled.failed[lift_at]:
            raise Conflict("This address cannot receive our mail any more.") from None
        if cancelled.failed[0] or (consent_ref and cancelled.failed[3]):
            raise TokenAlreadyUsed("This confirmation link was already used.") from None
        raise Conflict("There is nothing to confirm for this link any more.") from None
    logger.info("subscription confirmed", extra={"event_id": event_id})
    return Confirmed(contact_id)
