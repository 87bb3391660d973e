"""The campaign bench's stage: contacts and a campaign written through the domain, the sender's
environment (GetAccount answered, moto's transactions without their table copy). The queue's
pollers and SES's strict rate limit are `bench.campaign_workers`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.campaign_workers import FUNCTION
from bench.moto_env import Stack, as_function
from ecrm.campaigns import content
from ecrm.campaigns import definitions as campaigns
from ecrm.contacts import profile_schema
from ecrm.mail import pacing, templates
from ecrm.mail.senders import SenderIn
from ecrm.platform import aws, clock, keys, store
from ecrm.segments import definitions as segments
from local.moto_backend import answer_get_account
from local.stack import DEMO_PROFILE

HTML = """<html><head><style>p { font-family: sans-serif }</style></head><body>
<h1>The November news</h1>
<p>Hello {{ contact.first_name|default('there') }},</p>
<p>Here is what happened this month at {{ contact.company|default('your company') }}'s favourite
CRM: faster campaigns, a preference center, lead scoring that explains itself.</p>
{% for interest in contact.interests %}<p>Because you like {{ interest }}: more.</p>{% endfor %}
<p>Cheers,<br>the team</p>
<p style="font-size: small"><a href="{{ unsubscribe_url }}">Unsubscribe</a>
from {{ campaign.name }}</p>
</body></html>"""


# --- the product, set up -----------------------------------------------------------------


def seed(
    members: int,
    *,
    topics: int = 1,
    start: int = 0,
    fields: Callable[[int], dict[str, Any]] | None = None,
) -> None:
    """`members` subscribed contacts in each of `topics` topics (t0, t1, ...); `fields(n)`:
    more profile fields of the n-th (`f_time_zone`...)."""
    at = clock.iso(clock.now())
    items = []
    for topic_number in range(topics):
        topic = "newsletter" if topics == 1 else f"t{topic_number}"
        for number in range(start, start + members):
            address = f"p{topic_number}-{number}@bench.example"
            contact_id = keys.contact_id_for(address)
            items.append(
                {
                    **keys.contact(contact_id),
                    "type": "contact",
                    "contact_id": contact_id,
                    "email": address,
                    "status": "subscribed",
                    "topics": {topic},
                    "updated_at": at,
                    "f_first_name": f"Ann {number}",
                    "f_company": "Acme",
                    "f_interests": ["guides"],
                    **(fields(number) if fields else {}),
                }
            )
            membership = keys.topic_membership(contact_id, topic)
            items.append({**membership, "type": "topic_membership", "topic": topic})
    store.batch_put(items)


def campaign(topic: str = "newsletter") -> str:
    profile_schema.save(profile_schema.ProfileSchema.model_validate_json(DEMO_PROFILE.read_text()))
    template = templates.MailTemplateIn(
        name="News", subject="News for {{ contact.first_name }}", html=HTML
    )
    templates.create("news", template)
    segments.create("everyone", segments.SegmentIn(name="All", topic=topic))
    sender = SenderIn(email="news@example.com", name="Ecrm News")
    created = campaigns.create(
        campaigns.CampaignIn(name="Bench", template_id="news", segment_id="everyone", sender=sender)
    )
    return created.id


@contextmanager
def sender(stack: Stack, max_rate: float) -> Iterator[None]:
    """The sender's environment; GetAccount answered."""
    with as_function(stack, FUNCTION):
        pacing.forget_cached()
        content.forget_cached()
        profile_schema.forget_cached()
        answer_get_account(aws.sesv2(), max_send_rate=max_rate)
        yield


def state(campaign_id: str) -> str:
    found = store.get(keys.campaign(campaign_id))
    return str(found.get("state")) if found else "?"
