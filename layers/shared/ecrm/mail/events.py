"""What happens after a mail leaves: the SES events of the configuration set (through SNS, read
by `ecrm.mail.ses_notifications`) become interactions on the contact, suppressions, contact marks
and campaign counters.

SNS delivers at least once, so each event is written once: its interaction key is derived from
the SES message id, event type, event time, link and recipient, and written with
`attribute_not_exists` in the same transaction as everything the event changes (a redelivery
cancels on it and changes nothing). When the contact is gone (erased, or a test address), a
TTL'd marker item takes the interaction's place. Follow-ups that are idempotent on their own
(unique campaign counters, the unsubscribe of a complaint, the automatic pause) run on every
delivery, so a crash between the two steps is repaired by the redelivery.

- Delivery: `email_delivered`; campaign `delivered`.
- Bounce, permanent: `email_bounced` (`permanent: true`); suppression; contact
  `email_status = bounced`; campaign `bounced` (once per recipient); auto-pause check.
- Bounce, transient: `email_bounced`; contact `soft_bounces` + 1; campaign `soft_bounced`.
- Complaint: `email_complained`; suppression; unsubscribed from everything; campaign
  `complained` (once per recipient); auto-pause check.
- Open, Click: `email_opened`, `email_clicked`; unless `scanner`: campaign `opened`, `clicked`
  (once per recipient) and contact `last_engaged_at`; a click also counts on its link
  (`ecrm.campaigns.links`).
- Reject: `email_rejected`; campaign `rejected`.
- A journey's mail (tag `journey`): its result marked on the run and counted on its step, once
  (`ecrm.journeys.engagement`).
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.account.unsubscribe import count_on_campaign, unsubscribe_contact
from ecrm.campaigns import health
from ecrm.campaigns import links as campaign_links
from ecrm.campaigns.ab import VARIANT_TAG
from ecrm.contacts import suppression
from ecrm.mail import scanners, send_ledger, ses_notifications
from ecrm.mail.ses_notifications import INTERACTION_TYPES, MailEvent
from ecrm.platform import clock, keys, normalise, pseudonyms, store
from ecrm.platform.errors import Busy
from ecrm.platform.settings import settings

logger = Logger(service="mailing", child=True)

MARKER_TTL_SECONDS = 30 * 86400  # longer than any redelivery (SQS DLQs keep 14 days)
CAMPAIGN_TAG, CONTACT_TAG, AUTOMATION_TAG = "campaign", "contact", "automation"
JOURNEY_TAG = "journey"


@dataclass(frozen=True)
class Recorded:
    contact_id: str
    interaction: str
    duplicate: bool
    scanner: bool
    exists: bool = True  # False: the contact is gone (erased), `contact_id` names no one


def confirm_send(document: Mapping[str, Any]) -> bool:
    """A `Send` event: SES accepted the message. A campaign ledger item or automation run that
    a worker left `sending` (it died between the SES call and its mark) becomes `sent`, so it is
    never sent again. True when one was confirmed just now."""
    mail = document.get("mail") or {}
    tags = mail.get("tags") or {}

    def tag(name: str) -> str | None:
        values = tags.get(name) or []
        return str(values[0]) if values else None

    contact_id, message_id = tag(CONTACT_TAG), str(mail.get("messageId", ""))
    if not contact_id or not message_id:
        return False  # test sends and transactional mail keep no ledger
    if campaign_id := tag(CAMPAIGN_TAG):
        return send_ledger.confirm_sent(campaign_id, contact_id, message_id)
    if automation_id := tag(AUTOMATION_TAG):
        from ecrm.automations import runs  # noqa: PLC0415

        return runs.confirm_sent(contact_id, automation_id, message_id)
    if tag(JOURNEY_TAG):
        from ecrm.journeys import engagement  # noqa: PLC0415

        return engagement.confirm_sent(tag, message_id)
    return False


def record(event: MailEvent) -> list[Recorded]:
    """Apply one SES event, once per recipient it names."""
    done = []
    for raw in event.recipients:
        try:
            address = normalise.email(parseaddr(raw)[1] or raw)
        except normalise.NotNormalisable:
            logger.warning("SES event for an unreadable address", extra={"type": event.ses_type})
            continue
        tagged = event.tag(CONTACT_TAG) if len(event.recipients) == 1 else None
        contact_id = tagged or keys.contact_id_for(address)
        outcome = _record_one(event, address, contact_id)
        _follow_up(event, outcome)
        done.append(outcome)
    return done


def _record_one(event: MailEvent, address: str, contact_id: str) -> Recorded:
    interaction_type = INTERACTION_TYPES[event.ses_type]
    interaction_id = ses_notifications.event_id(event, address)
    at = clock.iso(event.at)
    scanner = event.ses_type in ("Open", "Click") and scanners.is_scanner(
        ip=event.detail.get("ipAddress"),
        user_agent=event.detail.get("userAgent"),
        seconds_after_send=event.at - event.sent_at,
        window=settings().scanner_window_seconds,
    )
    contact_id, contact_exists = _resolve(contact_id)
    if contact_exists:
        item = {
            **keys.interaction(contact_id, at, interaction_id),
            **_interaction_fields(event, interaction_type),
            "contact_id": contact_id,
            "event_id": interaction_id,
            "at": at,
            "scanner": scanner,
        }
        guard = store.Put(item, condition="attribute_not_exists(pk)")
    else:  # never re-create data of an erased contact: remember only that we saw the event
        expires = int(clock.now()) + MARKER_TTL_SECONDS
        marker = {**keys.mail_event(interaction_id), "type": "mail_event", "expires_at": expires}
        guard = store.Put(marker, condition="attribute_not_exists(pk)")
    required: list[store.Write] = [guard]
    # Without a contact (erased), the suppression takes its keyed form: see
    # ecrm.contacts.suppression.
    suppress = suppression.suppress if contact_exists else suppression.suppress_without_contact
    if event.permanent:
        required.append(suppress(address, "bounce", at))
    elif event.ses_type == "Complaint":
        required.append(suppress(address, "complaint", at))
    optional = _counters(event)
    campaign_id = event.tag(CAMPAIGN_TAG)
    if event.ses_type == "Click" and campaign_id and not scanner and event.detail.get("link"):
        optional.append(campaign_links.click(campaign_id, str(event.detail["link"])))
    if contact_exists:
        optional += _contact_marks(event, contact_id, at, scanner)
    try:
        _contended(lambda: store.transact_optional(required, optional))
    except store.TransactionCancelled as cancelled:
        if not cancelled.failed[0]:
            raise
        return Recorded(contact_id, interaction_type, True, scanner, contact_exists)
    return Recorded(contact_id, interaction_type, False, scanner, contact_exists)


def _resolve(contact_id: str) -> tuple[str, bool]:
    """The contact an id leads to: after an email change, the new address's id is an alias."""
    item = store.get(keys.contact(contact_id))
    if item and item.get("alias_of"):
        contact_id = str(item["alias_of"])
        item = store.get(keys.contact(contact_id))
    return contact_id, item is not None


def _interaction_fields(event: MailEvent, interaction_type: str) -> dict[str, Any]:
    detail = event.detail
    fields: dict[str, Any] = {
        "type": interaction_type,
        "message_id": event.message_id,
        "campaign_id": event.tag(CAMPAIGN_TAG),
        "automation_id": event.tag(AUTOMATION_TAG),
        "journey_id": event.tag(JOURNEY_TAG),
    }
    if event.ses_type == "Bounce":
        fields |= {
            "permanent": event.permanent,
            "bounce_type": detail.get("bounceType"),
            "bounce_subtype": detail.get("bounceSubType"),
        }
    elif event.ses_type == "Complaint":
        fields["feedback_type"] = detail.get("complaintFeedbackType")
    elif event.ses_type in ("Open", "Click"):
        fields["user_agent"] = str(detail.get("userAgent") or "")[:256] or None
    if event.ses_type == "Click":
        fields["link"] = str(detail.get("link") or "")[:1024]
        fields["link_tags"] = detail.get("linkTags") or None
    return fields


def _counters(event: MailEvent) -> list[store.Write]:
    """Counters counted once per event (the interaction guards them)."""
    campaign_id = event.tag(CAMPAIGN_TAG)
    counter = {"Delivery": "delivered", "Reject": "rejected"}.get(event.ses_type)
    if event.ses_type == "Bounce" and not event.permanent:
        counter = "soft_bounced"
    variant = event.tag(VARIANT_TAG)
    return [count_on_campaign(campaign_id, counter, variant)] if campaign_id and counter else []


def _contact_marks(event: MailEvent, contact_id: str, at: str, scanner: bool) -> list[store.Write]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {":at": at}
    if event.permanent:
        expression = "SET bounced_at = :at, #email_status = :bounced"
        names, values[":bounced"] = {"#email_status": "email_status"}, "bounced"
    elif event.ses_type == "Bounce":
        expression, values[":one"] = "SET last_soft_bounce_at = :at ADD soft_bounces :one", 1
    elif event.ses_type == "Complaint":
        expression = "SET complained_at = :at"
    elif event.ses_type in ("Open", "Click") and not scanner:
        expression = "SET last_engaged_at = :at"
    else:
        return []
    update = store.Update(
        keys.contact(contact_id), expression, "attribute_exists(pk)", names, values
    )
    return [update]


def _follow_up(event: MailEvent, outcome: Recorded) -> None:
    """Idempotent steps, run on redeliveries too (they repair a crash after the first step)."""
    campaign_id = event.tag(CAMPAIGN_TAG)
    unique = {"Complaint": "complained", "Open": "opened", "Click": "clicked"}.get(event.ses_type)
    if event.permanent:
        unique = "bounced"
    if campaign_id and unique and not outcome.scanner:
        # An erased recipient is counted under the keyed name its erasure gave its markers.
        who = (
            outcome.contact_id if outcome.exists else pseudonyms.erased_contact(outcome.contact_id)
        )
        _count_recipient_once(campaign_id, unique, who, event.tag(VARIANT_TAG))
    if event.ses_type == "Complaint" and outcome.exists:
        unsubscribe_id = f"complaint_{ses_notifications.event_id(event, outcome.contact_id)}"
        _contended(
            lambda: unsubscribe_contact(
                outcome.contact_id,
                source="complaint",
                event_id=unsubscribe_id,
                at=clock.iso(event.at),
            )
        )
    if campaign_id and (event.permanent or event.ses_type == "Complaint"):
        health.pause_if_unhealthy(campaign_id)
    if event.tag(JOURNEY_TAG) and outcome.exists:
        from ecrm.journeys import engagement  # noqa: PLC0415 - only for a journey's mail

        engagement.record(
            event.tag, event.ses_type, permanent=event.permanent, scanner=outcome.scanner
        )


def _count_recipient_once(
    campaign_id: str, counter: str, contact_id: str, variant: str | None = None
) -> None:
    marker = {
        **keys.campaign_engagement(campaign_id, counter, contact_id),
        "type": "engagement",
        "expires_at": send_ledger.expiry(send_ledger.ENGAGEMENT_DAYS),
    }
    writes = [store.Put(marker, condition="attribute_not_exists(pk)")]
    with contextlib.suppress(store.TransactionCancelled):  # counted before, or campaign gone
        count = count_on_campaign(campaign_id, counter, variant)  # and its A/B variant's
        _contended(lambda: store.transact([*writes, count]))


def _contended(write: Callable[[], object], attempts: int = 6) -> None:
    """Every event of a campaign adds to the one campaign item, so transactions on it collide
    (`TransactionConflict`, raised as Busy) while a campaign is being delivered. Each attempt is
    atomic and conditional: try again after a short random pause before failing the
    invocation (Lambda's own retries are minutes apart)."""
    for attempt in range(attempts):
        try:
            write()
            return
        except Busy:
            if attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)  # noqa: S311 - jitter, not crypto
