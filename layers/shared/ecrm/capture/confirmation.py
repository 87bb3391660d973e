"""Double opt-in: the confirmation mail (sent off the request path, from the stream) and the
confirmation itself (a signed, expiring, single-use token exchanged by a POST)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.contacts import records, subscription, suppression
from ecrm.contacts.records import FIELD_PREFIX, ContactStatus
from ecrm.mail import outbound
from ecrm.platform import clock, keys, store, tokens
from ecrm.platform.errors import Busy, Conflict, TokenAlreadyUsed
from ecrm.platform.settings import settings

logger = Logger(service="mailing", child=True)

Renderer = Callable[[str, Mapping[str, Any]], outbound.RenderedMail]


@dataclass(frozen=True)
class Confirmed:
    contact_id: str
    already: bool = False  # the link was used before and what it confirmed still holds


# What a consent record says confirmed it: the owner's click on the link mailed to the address.
CONFIRMED_BY = "link mailed to the address"
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
    """Send the confirmation for one submission that left something to confirm; returns the SES
    id, or None if skipped.

    The ledger item is claimed before the SES call and marked sent after it. A redelivered record
    finds `sent` and stops; a crash between the two (SES accepted, ledger not updated) resends
    once on redelivery: for a confirmation mail, a rare duplicate beats a lost one.
    """
    contact_id, event_id = interaction["contact_id"], interaction["event_id"]
    contact = store.get(keys.contact(contact_id))
    if not contact or not subscription.awaits_confirmation(interaction, contact):
        return None  # confirmed, or erased since: nothing to confirm
    suppressed = suppression.recall(contact["email"], clock.iso(clock.now()))
    if suppression.blocks_requested_mail(suppressed):
        logger.info("confirmation skipped: address suppressed", extra={"event_id": event_id})
        return None
    now = clock.now()
    ledger = store.write(_ledger_claim(contact_id, event_id, clock.iso(now)))
    if ledger.get("state") == "sent":
        return None
    cfg = settings()
    ref = f"{interaction['at']}#{event_id}"  # the submission the click confirms
    if suppressed:  # the person opted out (or was erased) before: this opt-in lifts it
        ref += _LIFT
    token = tokens.issue("confirm", contact_id, ref, cfg.confirm_token_ttl_seconds)
    context = {
        "form_title": interaction.get("form_title") or "our mailings",
        "confirm_url": f"{cfg.public_base_url.rstrip('/')}/confirm/{token}",
        "valid_days": max(1, cfg.confirm_token_ttl_seconds // 86400),
    }
    envelope = outbound.Envelope(
        cfg.transactional_sender, cfg.transactional_sender_name, contact["email"]
    )
    message_id = outbound.send(outbound.build(envelope, render("confirm", context)))
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
    """Exchange a confirmation token, once: in one transaction with the token's used-marker, the
    contact becomes subscribed, the submission's waiting topics become active (and its profile
    values fill the fields still empty), and the consent record gets how and when it was
    confirmed. A contact who had unsubscribed from everything comes back to these topics only."""
    claims = tokens.verify(token, "confirm")
    ref, lift, _ = claims.ref.partition(_LIFT)
    now = clock.now() if now is None else now
    at = clock.iso(now)
    contact_id = claims.subject
    contact = store.get(keys.contact(contact_id))
    if not contact or contact.get("alias_of"):
        raise Conflict("There is nothing to confirm for this link any more.")
    submitted = _submission(contact_id, ref)
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
        _subscribe(contact, submitted, at),
        store.Put(
            {
                **keys.interaction(contact_id, at, event_id),
                "type": "confirmed",
                "contact_id": contact_id,
                "event_id": event_id,
                "at": at,
                "consent_ref": submitted.get("consent_ref") or None,
                "topics": sorted(_topics(submitted)) or None,
            },
            condition="attribute_not_exists(pk)",
        ),
    ]
    consent_at = None
    if consent_ref := submitted.get("consent_ref"):
        consent_at = len(writes)
        writes.append(_consent_confirmed(contact_id, str(consent_ref), at))
    writes += _memberships(contact, _topics(submitted), at)
    lift_at = None
    if lift:  # rare: after an opt-out
        lift_at = len(writes)
        writes.append(suppression.lift(contact["email"]))
    try:
        store.transact(writes)
    except store.TransactionCancelled as cancelled:
        failed = cancelled.failed
        if lift_at is not None and failed[lift_at]:
            raise Conflict("This address cannot receive our mail any more.") from None
        if failed[0] or (consent_at is not None and failed[consent_at]):
            if _holds(store.get(keys.contact(contact_id)), submitted):
                return Confirmed(contact_id, already=True)  # clicked twice: nothing to undo
            raise TokenAlreadyUsed("This confirmation link was already used.") from None
        if failed[1]:  # the contact changed since it was read: the link still works
            raise Busy() from None
        raise Conflict("There is nothing to confirm for this link any more.") from None
    logger.info("subscription confirmed", extra={"event_id": event_id})
    return Confirmed(contact_id)


def already_subscribed(token: str) -> bool:
    """A link opened again after its click, whose subscription still holds: its page says so
    instead of offering a button that can only refuse. Reads only (a GET changes nothing)."""
    claims = tokens.verify(token, "confirm")
    if store.get(keys.used_token(claims.jti)) is None:
        return False
    submitted = _submission(claims.subject, claims.ref.partition(_LIFT)[0])
    return _holds(store.get(keys.contact(claims.subject)), submitted)


def _holds(contact: Mapping[str, Any] | None, submitted: Mapping[str, Any]) -> bool:
    """The contact is subscribed and still receives every topic the submission confirmed."""
    if not contact or contact.get("status") != ContactStatus.SUBSCRIBED:
        return False
    return _topics(submitted) <= set(contact.get("topics") or [])


def _submission(contact_id: str, ref: str) -> dict[str, Any]:
    """The submission a link confirms (its interaction); an empty one for a link issued before
    links named their submission (its consent record is then all it names)."""
    at, _, event_id = ref.partition("#")
    found = store.get(keys.interaction(contact_id, at, event_id)) if event_id else None
    if found and found.get("type") == "form_submitted":
        return found
    return {"consent_ref": ref} if event_id else {}


def _topics(submitted: Mapping[str, Any]) -> set[str]:
    """What the click activates: the topics that waited (`topics` on an older submission, which
    added them at once to a contact that stayed pending)."""
    if "pending_topics" in submitted or "joined_topics" in submitted:
        return set(submitted.get("pending_topics") or [])
    return set(submitted.get("topics") or [])


def _subscribe(contact: Mapping[str, Any], submitted: Mapping[str, Any], at: str) -> store.Update:
    """Planned against the contact as read (its status decides whether topics add up or start
    anew), so the condition holds it to that status."""
    topics = _topics(submitted)
    names = {"#status": "status"}
    values: dict[str, Any] = {
        ":subscribed": ContactStatus.SUBSCRIBED.value,
        ":was": contact.get("status"),
        ":at": at,
        ":one": 1,
    }
    sets = ["#status = :subscribed", "confirmed_at = :at", "updated_at = :at"]
    adds, deletes, removes = ["version :one"], [], []
    if topics:
        values[":topics"] = topics
    # Only what the item holds: DELETE on a missing set is refused by some implementations.
    if waited := topics & set(contact.get("pending_topics") or []):
        values[":waited"] = waited
        deletes.append("pending_topics :waited")
    if contact.get("status") == ContactStatus.SUBSCRIBED:
        adds += ["topics :topics"] if topics else []
    elif topics:  # nothing received before the click: exactly these topics, not old ones
        sets.append("topics = :topics")
    else:
        removes.append("topics")
    for index, (name, value) in enumerate(sorted((submitted.get("pending_profile") or {}).items())):
        names[f"#f{index}"] = FIELD_PREFIX + name
        values[f":f{index}"] = value
        sets.append(f"#f{index} = if_not_exists(#f{index}, :f{index})")
    expression = f"SET {', '.join(sets)} ADD {', '.join(adds)}"
    expression += f" DELETE {', '.join(deletes)}" if deletes else ""
    expression += f" REMOVE {', '.join(removes)}" if removes else ""
    return store.Update(
        keys.contact(str(contact["contact_id"])),
        expression,
        condition="attribute_exists(pk) AND #status = :was",
        names=names,
        values=values,
    )


def _consent_confirmed(contact_id: str, consent_ref: str, at: str) -> store.Update:
    consent_at, _, consent_event = consent_ref.partition("#")
    return store.Update(
        keys.consent(contact_id, consent_at, consent_event),
        "SET confirmed_at = :at, confirmed_by = :how",
        condition="attribute_exists(pk) AND attribute_not_exists(confirmed_at)",
        values={":at": at, ":how": CONFIRMED_BY},
    )


def _memberships(contact: Mapping[str, Any], topics: set[str], at: str) -> list[store.Write]:
    """The confirmed topics join the topic index; a contact who received nothing before the
    click leaves the index of any topic it kept from before."""
    contact_id = str(contact["contact_id"])
    writes: list[store.Write] = [records.join_topic(contact_id, t, at) for t in sorted(topics)]
    if contact.get("status") != ContactStatus.SUBSCRIBED:
        stale = set(contact.get("topics") or []) - topics
        writes += [records.leave_topic_index(contact_id, t, at) for t in sorted(stale)]
    return writes
