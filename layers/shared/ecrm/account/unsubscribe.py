"""Unsubscribing, one way for every path: the one-click link (`POST /unsubscribe/{token}`), the
`mailto:` of `List-Unsubscribe` (an SES receipt rule) and a spam complaint.

The token (`link_token(contact_id, topic, campaign_id)`) names a topic, or nothing for
"everything", and the campaign whose mail carried it: its ref is `<topic>` or
`<topic>:<campaign id>` (topics are slugs, so `:` cannot be part of one). Unsubscribing is
idempotent rather than single-use: mail clients and scanners may POST a one-click URL more than
once, and a second request changes nothing.

- a topic: the topic leaves the contact's `topics` and its membership item leaves the topic
  index (`gsi1` keys removed, `left_at` kept), so no later audience includes it;
- everything: the contact becomes `unsubscribed` and the address is suppressed.

Either way one transaction also writes the `unsubscribed` interaction and, when the mail that
led here came from a campaign, adds one to that campaign's `unsubscribed` counter together with
a marker (`keys.campaign_engagement(campaign, "unsubscribed", contact)`) written only if absent:
a recipient counts once per campaign, even if they re-subscribe and use the link again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aws_lambda_powertools import Logger

from ecrm.campaigns import ab
from ecrm.contacts import suppression
from ecrm.contacts.records import ContactStatus
from ecrm.mail import links, send_ledger
from ecrm.mail.send_ledger import ENGAGEMENT_DAYS
from ecrm.platform import clock, keys, store, tokens

logger = Logger(service="mailing", child=True)

Source = Literal["link", "mailto", "complaint"]


@dataclass(frozen=True)
class Unsubscribed:
    contact_id: str
    topic: str | None  # None: from everything
    changed: bool  # False when there was nothing left to unsubscribe from (a repeat)


@dataclass(frozen=True)
class LinkRef:
    """What an unsubscribe token's ref names."""

    topic: str | None  # None: everything
    campaign_id: str | None  # the campaign whose mail carried the link

    @classmethod
    def read(cls, ref: str) -> LinkRef:
        topic, _, campaign_id = ref.partition(_CAMPAIGN_SEPARATOR)
        return cls(topic or None, campaign_id or None)


_CAMPAIGN_SEPARATOR = ":"


def link_token(contact_id: str, topic: str | None = None, campaign_id: str | None = None) -> str:
    """A never-expiring token that grants nothing but unsubscribing `contact_id` (see above)."""
    ref = topic or ""
    if campaign_id:
        ref = f"{ref}{_CAMPAIGN_SEPARATOR}{campaign_id}"
    return tokens.issue("unsubscribe", contact_id, ref=ref)


def read_link(token: str) -> tuple[tokens.Claims, LinkRef]:
    """The token's claims and what its ref names (InvalidToken when tampered with)."""
    claims = tokens.verify(token, "unsubscribe")
    return claims, LinkRef.read(claims.ref)


def unsubscribe(token: str, *, source: Source = "link", everything: bool = False) -> Unsubscribed:
    """Act on an unsubscribe token (InvalidToken when tampered with or of another purpose);
    `everything` widens a topic's link to every mail (the page's second button)."""
    claims, ref = read_link(token)
    return unsubscribe_contact(
        claims.subject,
        topic=None if everything else ref.topic,
        source=source,
        campaign_id=ref.campaign_id,
        event_id=f"unsub_{claims.jti}",
    )


def unsubscribe_contact(
    contact_id: str,
    *,
    topic: str | None = None,
    source: Source,
    event_id: str,
    campaign_id: str | None = None,
    at: str | None = None,
) -> Unsubscribed:
    at = at or clock.iso(clock.now())
    contact = store.get(keys.contact(contact_id))
    if contact is None:
        return Unsubscribed(contact_id, topic, changed=False)  # erased, or never existed
    required: list[store.Write]
    optional: list[store.Write] = []
    if topic:
        required = [_leave_topic(contact_id, topic, at)]
        optional.append(_leave_topic_index(contact_id, topic, at))
    else:
        required = [
            _unsubscribe_everything(contact_id, at),
            suppression.suppress(contact["email"], "unsubscribe", at),
        ]
    interaction = {
        **keys.interaction(contact_id, at, event_id),
        "type": "unsubscribed",
        "contact_id": contact_id,
        "event_id": event_id,
        "at": at,
        "topic": topic,
        "source": source,
        "campaign_id": campaign_id,
    }
    required.append(store.Put(interaction, condition="attribute_not_exists(pk)"))
    try:
        _write(required, optional, _count_once(campaign_id, contact_id) if campaign_id else [])
    except store.TransactionCancelled:
        return Unsubscribed(contact_id, topic, changed=False)  # already done: nothing written
    logger.info("unsubscribed", extra={"topic": topic, "source": source, "event_id": event_id})
    return Unsubscribed(contact_id, topic, changed=True)


def _count_once(campaign_id: str, contact_id: str) -> list[store.Write]:
    """The campaign's `unsubscribed` counter and the marker that makes it count this recipient
    once: both land, or neither."""
    marker = keys.campaign_engagement(campaign_id, "unsubscribed", contact_id)
    return [
        store.Put(
            {**marker, "type": "engagement", "expires_at": send_ledger.expiry(ENGAGEMENT_DAYS)},
            condition="attribute_not_exists(pk)",
        ),
        count_on_campaign(campaign_id, "unsubscribed", _test_variant(campaign_id, contact_id)),
    ]


def _test_variant(campaign_id: str, contact_id: str) -> str | None:
    """The A/B test variant this recipient was mailed as a test mail (its ledger item), if any."""
    found = store.get(keys.send_ledger(campaign_id, contact_id), consistent=False)
    if found and found.get("ab_group") == ab.TEST:
        return str(found.get("variant") or "") or None
    return None


def _write(
    required: list[store.Write], optional: list[store.Write], counted: list[store.Write]
) -> None:
    """One transaction: `required` must land; `optional` writes are dropped one by one when
    their condition fails, `counted` as a whole (counted before, or the campaign is gone)."""
    if counted:
        try:
            store.transact_optional([*required, *counted], optional)
            return
        except store.TransactionCancelled as cancelled:
            if any(cancelled.failed[: len(required)]):
                raise
    store.transact_optional(required, optional)


def count_on_campaign(campaign_id: str, counter: str, variant: str | None = None) -> store.Update:
    """Add one to a campaign counter (and to its A/B test variant's, for a test mail: the same
    write); the condition keeps a deleted campaign from coming back as a stub of counters
    (callers pass this as an optional write)."""
    also = (
        {"#variant": ab.counter(counter, variant)} if variant and ab.is_variant_id(variant) else {}
    )
    return store.Update(
        keys.campaign(campaign_id),
        "ADD #counter :one" + (", #variant :one" if also else ""),
        condition="attribute_exists(pk)",
        names={"#counter": counter, **also},
        values={":one": 1},
    )


def _unsubscribe_everything(contact_id: str, at: str) -> store.Update:
    return store.Update(
        keys.contact(contact_id),
        "SET #status = :unsubscribed, unsubscribed_at = :at, updated_at = :at ADD version :one",
        condition="attribute_exists(pk) AND #status <> :unsubscribed",
        names={"#status": "status"},
        values={":unsubscribed": ContactStatus.UNSUBSCRIBED.value, ":at": at, ":one": 1},
    )


def _leave_topic(contact_id: str, topic: str, at: str) -> store.Update:
    return store.Update(
        keys.contact(contact_id),
        "DELETE topics :topic SET updated_at = :at ADD version :one",
        condition="attribute_exists(pk) AND contains(topics, :name)",
        values={":topic": {topic}, ":name": topic, ":at": at, ":one": 1},
    )


def _leave_topic_index(contact_id: str, topic: str, at: str) -> store.Update:
    key = keys.topic_membership(contact_id, topic)
    return store.Update(
        {"pk": key["pk"], "sk": key["sk"]},
        "SET left_at = :at REMOVE gsi1pk, gsi1sk",
        condition="attribute_exists(pk)",
        values={":at": at},
    )


def unsubscribe_url(
    contact_id: str, topic: str | None = None, campaign_id: str | None = None
) -> str:
    """The per-recipient one-click URL for a bulk mail's `List-Unsubscribe` (with
    `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, RFC 8058); no topic: everything. Its
    token never expires and grants nothing but unsubscribing; a GET shows a page, a POST acts."""
    return links.unsubscribe_url(link_token(contact_id, topic, campaign_id))
