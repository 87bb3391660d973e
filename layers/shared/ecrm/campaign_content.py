"""What one campaign sends, compiled once per process: the Jinja parts of its template snapshot
and its MIME skeleton (`ecrm.bulk_mail`). Rendering a recipient's message is then the template
render, one unsubscribe token and the skeleton's fill-in.

Every message carries `List-Unsubscribe: <{PUBLIC_BASE_URL}/unsubscribe/{token}>,
<mailto:unsubscribe@{SENDING_DOMAIN}?subject={token}>` with `token =
unsubscribe.link_token(contact_id, topic, campaign_id)` (no expiry; a campaign's id so its
`unsubscribed` counter counts the click, none for automations and test sends),
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, and the same URL as `unsubscribe_url` in
the body.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ecrm import (
    bulk_mail,
    keys,
    mail_templates,
    pacing,
    personalisation,
    profile_schema,
    store,
    unsubscribe,
)
from ecrm.errors import Busy, InvalidInput, NotFound
from ecrm.mail_templates import MailTemplate
from ecrm.settings import settings

_CACHE_SIZE = 8
TEST_PREFIX = "[Test] "


@dataclass(frozen=True)
class Content:
    campaign_id: str
    topic: str
    campaign: dict[str, str]  # what templates see as `campaign.*`
    template: mail_templates.Compiled
    mail: bulk_mail.CampaignMail
    counts_unsubscribes: bool = True  # a campaign's; an automation's content has no counters

    def render(self, contact_id: str, contact: Mapping[str, Any], *, test: bool = False) -> bytes:
        counted = self.counts_unsubscribes and not test
        token = unsubscribe.link_token(
            contact_id, self.topic, self.campaign_id if counted else None
        )
        url, mailto = unsubscribe_links(token)
        context = personalisation.render_context(
            contact, self.template.contact_fields, unsubscribe_url=url, campaign=self.campaign
        )
        rendered = self.template.render(context)
        return self.mail.render(
            to=str(contact["email"]),
            subject=(TEST_PREFIX if test else "") + rendered.subject,
            text=rendered.text,
            html=rendered.html,
            unsubscribe_url=url,
            unsubscribe_mailto=mailto,
        )

    def tags(self, contact_id: str) -> dict[str, str]:
        """Read back by the SES events (`mail.tags`): which campaign, which contact."""
        return {"campaign": self.campaign_id, "contact": contact_id}


def unsubscribe_links(token: str) -> tuple[str, str]:
    cfg = settings()
    url = f"{cfg.public_base_url.rstrip('/')}/unsubscribe/{token}"
    return url, f"mailto:unsubscribe@{cfg.sending_domain}?subject={token}"


def compile_content(
    campaign: Mapping[str, Any], template: MailTemplate, *, counts_unsubscribes: bool = True
) -> Content:
    sender = campaign["sender"]
    topic = str(campaign["topic"])
    label = next((t.label for t in profile_schema.load().topics if t.id == topic), topic)
    mail = bulk_mail.CampaignMail(
        bulk_mail.Sender(sender["email"], sender["name"], sender.get("reply_to")),
        bulk_mail.MailingList(f"{topic}.{settings().sending_domain}", label),
    )
    return Content(
        campaign_id=str(campaign["id"]),
        topic=topic,
        campaign={"name": str(campaign["name"]), "topic": topic},
        template=mail_templates.compiled(template),
        mail=mail,
        counts_unsubscribes=counts_unsubscribes,
    )


_cache: OrderedDict[str, Content] = OrderedDict()
_lock = threading.Lock()


def for_campaign(campaign: Mapping[str, Any]) -> Content:
    """The content of a started campaign (its CONTENT snapshot), compiled once per process."""
    campaign_id = str(campaign["id"])
    with _lock:
        found = _cache.get(campaign_id)
        if found is not None:
            _cache.move_to_end(campaign_id)
            return found
    snapshot = store.get(keys.campaign_content(campaign_id), consistent=False)
    if snapshot is None:
        raise NotFound("The campaign has not started.")
    content = compile_content(campaign, MailTemplate.model_validate(snapshot["template"]))
    with _lock:
        _cache[campaign_id] = content
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return content


def forget_cached() -> None:
    with _lock:
        _cache.clear()


def send_test(
    campaign: Mapping[str, Any], addresses: Sequence[str], contact_id: str | None = None
) -> list[str]:
    """Send the campaign as it stands (current template) to a few addresses, personalised as
    the stored contact `contact_id` (or as a contact with only an address). No ledger, no
    counters; the subject is marked as a test."""
    contact = store.get(keys.contact(contact_id), consistent=False) if contact_id else None
    if contact_id and contact is None:
        raise NotFound("No such contact.")
    content = compile_content(campaign, mail_templates.load(campaign["template_id"]))
    message_ids = []
    reservation = pacing.reserve(len(addresses), pacing.campaign_rate())
    for index, address in enumerate(addresses):
        pacing.wait_until(reservation.slot(index))
        person = {**(contact or {}), "email": address}
        contact_id = keys.contact_id_for(address)
        try:
            raw = content.render(contact_id, person, test=True)
            message_ids.append(bulk_mail.send(raw, {"campaign": content.campaign_id, "test": "1"}))
        except bulk_mail.InvalidAddress:
            raise InvalidInput("An address cannot be mailed.", {"to": address}) from None
        except bulk_mail.SendUnknown:
            raise Busy("SES did not answer; the test mail may or may not have gone.") from None
        except (bulk_mail.SendRefused, bulk_mail.SendThrottled, bulk_mail.SendDeferred) as error:
            raise InvalidInput(f"SES refused the test mail ({error}).", {"to": address}) from None
    return message_ids
