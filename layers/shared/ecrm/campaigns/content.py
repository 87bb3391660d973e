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

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecrm.account import unsubscribe
from ecrm.contacts import profile_view
from ecrm.mail import bulk, links, template_view
from ecrm.platform import keys, store
from ecrm.platform.errors import NotFound
from ecrm.platform.settings import settings

_CACHE_SIZE = 8
TEST_PREFIX = "[Test] "


@dataclass(frozen=True)
class Content:
    campaign_id: str
    topic: str
    campaign: dict[str, str]  # what templates see as `campaign.*`
    template: template_view.Compiled
    mail: bulk.CampaignMail
    counts_unsubscribes: bool = True  # a campaign's; an automation's content has no counters

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
        return {"campaign": self.campaign_id, "contact": contact_id}


def compile_content(
    campaign: Mapping[str, Any], template: template_view.Parts, *, counts_unsubscribes: bool = True
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
    template = template_view.TemplateView.from_item(snapshot["template"])
    content = compile_content(campaign, template)
    with _lock:
        _cache[campaign_id] = content
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return content


def forget_cached() -> None:
    with _lock:
        _cache.clear()
