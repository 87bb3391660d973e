"""SES event-publishing records (configuration set -> SNS) read into `MailEvent`s: which kind,
which message, which recipients, when, with which tags; and each event's stable id (so a
redelivered event is recognised). Applying them is `ecrm.mail.events`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecrm.platform import clock

# SES eventType -> (interaction type, the key of the event's own object)
KINDS = {
    "Delivery": ("email_delivered", "delivery"),
    "Bounce": ("email_bounced", "bounce"),
    "Complaint": ("email_complained", "complaint"),
    "Open": ("email_opened", "open"),
    "Click": ("email_clicked", "click"),
    "Reject": ("email_rejected", "reject"),
}
INTERACTION_TYPES = {ses_type: interaction for ses_type, (interaction, _) in KINDS.items()}


@dataclass(frozen=True)
class MailEvent:
    ses_type: str  # "Bounce", "Open"... as SES spells it
    message_id: str
    sent_at: float  # when SES accepted the mail (epoch seconds)
    at: float  # when the event happened
    recipients: tuple[str, ...]  # the addresses it concerns, as SES reports them
    tags: Mapping[str, list[str]]
    detail: Mapping[str, Any]  # the event's own object (`bounce`, `click`...)

    def tag(self, name: str) -> str | None:
        values = self.tags.get(name) or []
        return str(values[0]) if values else None

    @property
    def permanent(self) -> bool:
        return self.ses_type == "Bounce" and self.detail.get("bounceType") == "Permanent"


def parse(document: Mapping[str, Any]) -> MailEvent | None:
    """An SES event-publishing record; None for types that change nothing here (Send,
    DeliveryDelay, Rendering Failure, Subscription)."""
    ses_type = str(document.get("eventType", ""))
    if ses_type not in KINDS:
        return None
    mail = document["mail"]
    detail = document.get(KINDS[ses_type][1]) or {}
    if ses_type == "Bounce":
        recipients = [r["emailAddress"] for r in detail.get("bouncedRecipients", [])]
    elif ses_type == "Complaint":
        recipients = [r["emailAddress"] for r in detail.get("complainedRecipients", [])]
    elif ses_type == "Delivery":
        recipients = list(detail.get("recipients", []))
    else:
        recipients = list(mail.get("destination", []))
    return MailEvent(
        ses_type=ses_type,
        message_id=str(mail["messageId"]),
        sent_at=clock.epoch(mail["timestamp"]),
        at=clock.epoch(detail.get("timestamp") or mail["timestamp"]),
        recipients=tuple(recipients),
        tags=mail.get("tags") or {},
        detail=detail,
    )


def event_id(event: MailEvent, recipient: str) -> str:
    parts = (event.message_id, event.ses_type, clock.iso(event.at), event.detail.get("link"))
    raw = "\x1f".join(str(p or "") for p in (*parts, recipient))
    return "ses_" + hashlib.sha256(raw.encode()).hexdigest()[:24]
