"""What one campaign sends, compiled once per process: the Jinja parts of its template snapshot
and its MIME skeleton (`ecrm.mail.bulk`). Rendering a recipient's message is then the template
render, one unsubscribe token and the skeleton's fill-in.

Every message carries `List-Unsubscribe: <{PUBLIC_BASE_URL}/unsubscribe/{token}>,
<mailto:unsubscribe@{SENDING_DOMAIN}?subject={token}>` (spelled by `ecrm.mail.links`) with `token =
unsubscribe.link_token(contact_id, topic, campaign_id)` (no expiry; a campaign's id so its
`unsubscribed` counter counts the click, none for automations and test sends),
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, and the same URL as `unsubscribe_url` in
the body.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecrm.account import unsubscribe
from ecrm.campaigns import ab
from ecrm.contacts import profile_view
from ecrm.mail import bulk, links, template_view
from ecrm.platform import keys, store
from ecrm.platform.errors import NotFound
from ecrm.platform.settings import settings

_CACHE_SIZE = 32  # an A/B campaign has up to 11 (5 variants, tagged or not, and the base)
TEST_PREFIX = "[Test] "


@dataclass(frozen=True)
class Content:
    campaign_id: str
    topic: str
    campaign: dict[str, str]  # what templates see as `campaign.*`
    template: template_view.Compiled
    mail: bulk.CampaignMail
    counts_unsubscribes: bool = True  # a campaign's; an automation's content has no counters
    variant: str | None = None  # an A/B test mail's variant, tagged (the rest's mail is not)

    def render(self, contact_id: str, contact: Mapping[str, Any], *, test: bool = False) -> bytes:
        # Jinja comes with the first message: a plan step or an idle batch never loads it.
        from ecrm.mail import personalisation  # noqa: PLC0415

        counted = self.counts_unsubscribes and not test
        token = unsubscribe.link_token(
            contact_id, self.topic, self.campaign_id if counted else None
        )
        url, mailto = links.unsubscribe_links(token)
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
        tags = {"campaign": self.campaign_id, "contact": contact_id}
        return tags | ({ab.VARIANT_TAG: self.variant} if self.variant else {})


def compile_content(
    campaign: Mapping[str, Any],
    template: template_view.Parts,
    *,
    counts_unsubscribes: bool = True,
    variant: str | None = None,
) -> Content:
    sender = campaign["sender"]
    topic = str(campaign["topic"])
    label = profile_view.topic_label(topic)
    mail = bulk.CampaignMail(
        bulk.Sender(sender["email"], sender["name"], sender.get("reply_to")),
        bulk.MailingList(f"{topic}.{settings().sending_domain}", label),
    )
    return Content(
        campaign_id=str(campaign["id"]),
        topic=topic,
        campaign={"name": str(campaign["name"]), "topic": topic},
        template=template_view.compiled(template),
        mail=mail,
        counts_unsubscribes=counts_unsubscribes,
        variant=variant,
    )


_cache: OrderedDict[str, Content] = OrderedDict()
_lock = threading.Lock()


def for_campaign(
    campaign: Mapping[str, Any], variant: str | None = None, *, tagged: bool = False
) -> Content:
    """The content of a started campaign (its CONTENT snapshot), compiled once per process;
    with `variant`, that A/B variant's (its subject, template, sender name), its mails tagged
    with the variant when `tagged` (the test group's, counted per variant)."""
    campaign_id = str(campaign["id"])
    cache_key = f"{campaign_id}#{variant or ''}#{int(tagged)}"
    with _lock:
        found = _cache.get(cache_key)
        if found is not None:
            _cache.move_to_end(cache_key)
            return found
    snapshot = store.get(keys.campaign_content(campaign_id), consistent=False)
    if snapshot is None:
        raise NotFound("The campaign has not started.")
    template = template_view.TemplateView.from_item(snapshot["template"])
    test = ab.AbTest.of(campaign) if variant else None
    if test is not None and variant is not None:
        chosen = test.variant(variant)
        if chosen.template_id:
            template = template_view.TemplateView.from_item(
                snapshot["variant_templates"][chosen.template_id]
            )
        if chosen.subject:
            extra = (campaign["ab_test"].get("subject_fields") or {}).get(variant) or []
            fields = tuple(dict.fromkeys((*template.contact_fields, *extra)))
            template = dataclasses.replace(template, subject=chosen.subject, contact_fields=fields)
        if chosen.sender_name:
            campaign = {**campaign, "sender": {**campaign["sender"], "name": chosen.sender_name}}
    content = compile_content(campaign, template, variant=variant if tagged else None)
    with _lock:
        _cache[cache_key] = content
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return content


def forget_cached() -> None:
    with _lock:
        _cache.clear()
