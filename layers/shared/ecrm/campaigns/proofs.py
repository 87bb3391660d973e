"""A campaign's test send (`POST /admin/campaigns/{id}/test`): the campaign as it stands (current
template) to a few addresses a marketer types, subject marked `[Test] `, no ledger, no counters.

A test mail is still mail to a person, so it honours what people said, whoever types the
address: an address on the suppression list (unsubscribed from everything, erased, bounced,
complained), or of a contact that unsubscribed or left the campaign's topic, is refused (422,
`fields` naming each as `to.<index>`) and nothing at all is sent. An address that is no
contact, or one that never said no, may be mailed: the marketer's own and colleagues' are what
test sends are for. The mails are bounded per marketer (Cognito `sub`): `TEST_MAILS_PER_HOUR`,
a request of n addresses counting n, counted before anything goes out; over it, 429 with
`Retry-After` and nothing sent.

A template is test-sent the same way without a campaign (`POST /admin/templates/{id}/test`,
`send_template`): as a campaign of a topic (by default the profile's first) from a sender (by
default the stack's own) would send it, under the same refusals and the same hourly bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ecrm.campaigns import content as campaign_content
from ecrm.contacts import profile_view, suppression
from ecrm.mail import bulk, pacing, senders, templates
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy, InvalidInput, NotFound, RateLimited
from ecrm.platform.ratelimit import Limit
from ecrm.platform.settings import settings

HOUR = 3600
_SAID = {
    "unsubscribe": "unsubscribed from everything",
    "erased": "had their data erased",
    "bounce": "hard-bounced",
    "complaint": "reported our mail as spam",
}


def _pair(key: Mapping[str, str]) -> tuple[str, str]:
    return key["pk"], key["sk"]


def refusals(addresses: Sequence[str], topic: str) -> dict[str, str]:
    """Why each address that must not get this campaign's mail must not (by `to.<index>`)."""
    first = [key for a in addresses for key in suppression.keys_of(a)]  # both forms
    first += [keys.contact(keys.contact_id_for(a)) for a in addresses]
    found = store.batch_get(first, attributes=["reasons", "alias_of"])
    # The contact an address leads to: its own id, or the contact it was changed to (alias).
    owners = {}
    for address in addresses:
        at_id = found.get(_pair(keys.contact(keys.contact_id_for(address))))
        if at_id:
            owners[address] = str(at_id.get("alias_of") or keys.contact_id_for(address))
    second = [keys.contact(c) for c in owners.values()]
    second += [keys.topic_membership(c, topic) for c in owners.values()]
    found |= store.batch_get(second, attributes=["type", "status", "left_at"])
    refused = {}
    for index, address in enumerate(addresses):
        held = [found.get(_pair(key)) or {} for key in suppression.keys_of(address)]
        said = sorted({reason for item in held for reason in item.get("reasons", [])})
        owner = owners.get(address)
        contact = found.get(_pair(keys.contact(owner))) if owner else None
        membership = found.get(_pair(keys.topic_membership(owner, topic))) if owner else None
        if said:
            why = " and ".join(_SAID.get(reason, reason) for reason in said)
            refused[f"to.{index}"] = f"{address} is never mailed again: it {why}."
        elif contact and contact.get("status") == "unsubscribed":
            refused[f"to.{index}"] = f"{address} unsubscribed."
        elif membership and membership.get("left_at"):
            refused[f"to.{index}"] = f"{address} left the topic {topic}."
    return refused


def send(
    campaign: Mapping[str, Any],
    addresses: Sequence[str],
    marketer: str,
    contact_id: str | None = None,
    *,
    now: float | None = None,
    template: templates.MailTemplate | None = None,
) -> list[str]:
    """Send the campaign to `addresses` as the stored contact `contact_id` (or as a contact with
    only an address); the SES message ids. `template` is the campaign's when already read."""
    refused = refusals(addresses, str(campaign["topic"]))
    if refused:
        raise InvalidInput("Some addresses must not be mailed; nothing was sent.", refused)
    contact = store.get(keys.contact(contact_id), consistent=False) if contact_id else None
    if contact_id and contact is None:
        raise NotFound("No such contact.")
    _count(marketer, len(addresses), clock.now() if now is None else now)
    return _send(campaign, addresses, contact, template or templates.load(campaign["template_id"]))


def send_template(
    template_id: str,
    addresses: Sequence[str],
    marketer: str,
    *,
    sender: Mapping[str, Any] | None = None,
    topic: str | None = None,
    contact_id: str | None = None,
) -> list[str]:
    """Send the saved template `template_id` as `send` sends a campaign's: from `sender` (the
    stack's transactional sender by default), with the unsubscribe link of `topic` (the
    profile's first topic by default; any topic, as a segment's may be). No campaign is named
    in the mails' tags: their events count on none."""
    template = templates.load(template_id)  # 404 first
    topics = [t.id for t in profile_view.load().topics]
    chosen = topic or (topics[0] if topics else "")
    problems = {}
    if not chosen:  # a topic, as a campaign's segment names one (any, as for a segment)
        problems["topic"] = "Name the topic whose unsubscribe link the mail carries."
    if sender is None:
        own = settings()
        sender = {"email": own.transactional_sender, "name": own.transactional_sender_name}
    elif why := senders.off_domain(str(sender["email"])):
        problems["sender.email"] = why
    if problems:
        raise InvalidInput("The test send needs attention.", problems)
    campaign = {"id": "", "name": template.name, "topic": chosen, "sender": dict(sender)}
    return send(campaign, addresses, marketer, contact_id, template=template)


def _count(marketer: str, mails: int, now: float) -> None:
    limit = Limit("test_send_marketer", marketer, settings().test_mails_per_hour, HOUR)
    try:
        store.write(limit.count(now, mails))
    except store.ConditionFailed:
        raise RateLimited(
            f"You sent your {limit.allowed} test mails of this hour; please wait.",
            limit.retry_after(now),
        ) from None


def _send(
    campaign: Mapping[str, Any],
    addresses: Sequence[str],
    contact: Mapping[str, Any] | None,
    template: templates.MailTemplate,
) -> list[str]:
    content = campaign_content.compile_content(campaign, template)
    tags = {"campaign": content.campaign_id, "test": "1"} if content.campaign_id else {"test": "1"}
    message_ids = []
    reservation = pacing.reserve(len(addresses), pacing.campaign_rate())
    for index, address in enumerate(addresses):
        pacing.wait_until(reservation.slot(index))
        person = {**(contact or {}), "email": address}
        try:
            raw = content.render(keys.contact_id_for(address), person, test=True)
            message_ids.append(bulk.send(raw, tags))
        except bulk.InvalidAddress:
            raise InvalidInput("An address cannot be mailed.", {f"to.{index}": address}) from None
        except bulk.SendUnknown:
            raise Busy("SES did not answer; the test mail may or may not have gone.") from None
        except (bulk.SendRefused, bulk.SendThrottled, bulk.SendDeferred) as error:
            raise InvalidInput(
                f"SES refused the test mail ({error}).", {f"to.{index}": address}
            ) from None
    return message_ids
