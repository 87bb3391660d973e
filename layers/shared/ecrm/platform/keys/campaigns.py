"""Keys of mailing: templates, segments, campaigns (content, audience pages, batches, waits,
A/B decision), the send ledger, engagement markers, the send policy and pace."""

from __future__ import annotations


def campaign(campaign_id: str) -> dict[str, str]:
    """State (draft|scheduled|sending|paused|cancelled|done), `paused_reason` and counters."""
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": "META"}


def campaign_id_of(pk: str) -> str:
    return pk.removeprefix("CAMPAIGN#")


def campaign_engagement(campaign_id: str, kind: str, contact_id: str) -> dict[str, str]:
    """Marker that makes a campaign counter count each recipient once (opened, clicked...)."""
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": f"ENGAGED#{kind}#{contact_id}"}


def campaign_engagement_of(pk: str, sk: str) -> tuple[str, str, str] | None:
    """(campaign id, kind, contact id) of a `campaign_engagement` marker's key, else None."""
    if not (pk.startswith("CAMPAIGN#") and sk.startswith("ENGAGED#")):
        return None
    kind, _, contact_id = sk.removeprefix("ENGAGED#").partition("#")
    return pk.removeprefix("CAMPAIGN#"), kind, contact_id


def mail_event(event_id: str) -> dict[str, str]:
    """Seen-marker of an SES event whose contact no longer exists (TTL)."""
    return {"pk": f"MAILEVENT#{event_id}", "sk": "MAILEVENT"}


def mail_template(template_id: str) -> dict[str, str]:
    return {"pk": f"TEMPLATE#{template_id}", "sk": "TEMPLATE"}


def mail_template_version(template_id: str, version: int) -> dict[str, str]:
    """A template's earlier version, kept beside it (TTL), never in the templates' listing."""
    return {"pk": f"TEMPLATE#{template_id}", "sk": f"VERSION#{version:06d}"}


def segment(segment_id: str) -> dict[str, str]:
    return {"pk": f"SEGMENT#{segment_id}", "sk": "SEGMENT"}


def campaign_content(campaign_id: str) -> dict[str, str]:
    """What a campaign sends (template and segment as they were when sending started)."""
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": "CONTENT"}


STARTED_CAMPAIGNS = "STARTED#campaign"


def campaign_started(at_iso: str, campaign_id: str) -> dict[str, str]:
    """gsi1 entry (on the campaign content item) that lists campaigns by when they started
    sending: an erasure reads those whose audience pages may still exist."""
    return {"gsi1pk": STARTED_CAMPAIGNS, "gsi1sk": f"{at_iso}#{campaign_id}"}


def campaign_due(campaign_id: str) -> dict[str, str]:
    """Carries `due(at, ...)` while the campaign must be started (scheduled, or started and
    not yet fanned out); the tick dispatches it by the `CAMPAIGN#`/`DUE` key."""
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": "DUE"}


def campaign_page(campaign_id: str, shard: int, page: int) -> dict[str, str]:
    """One page of a topic shard, resolved once: the recipients it holds and where the next
    page starts. Replans (resume, redelivery) read it back instead of querying again."""
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": f"{campaign_pages(shard)}{page:06d}"}


def campaign_pages(shard: int) -> str:
    """Sort-key prefix of a campaign's audience pages of one topic shard."""
    return f"PAGE#{shard}#"


CAMPAIGN_LINKS = "LINK#"


def campaign_link(campaign_id: str, link_key: str) -> dict[str, str]:
    """Clicks on one link of a campaign (`ecrm.campaigns.links`: a keyed hash, never the URL)."""
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": f"{CAMPAIGN_LINKS}{link_key}"}


def campaign_batch(campaign_id: str, batch_id: str) -> dict[str, str]:
    """Marker that a batch's outcome was added to the campaign counters (once)."""
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": f"BATCH#{batch_id}"}


def send_ledger(campaign_id: str, contact_id: str) -> dict[str, str]:
    """One per recipient of a campaign: claimed (`sending`) before SES, `sent` after."""
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": f"SEND#{contact_id}"}


def campaign_batch_test(campaign_id: str, batch_id: str) -> dict[str, str]:
    """Marker that an A/B batch's test mails were added to the per-variant counters (once)."""
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": f"BATCH#{batch_id}#test"}


CAMPAIGN_WAITS = "WAIT#"


def campaign_wait(campaign_id: str, batch_id: str) -> dict[str, str]:
    """A batch held back until quiet hours end for some of its recipients
    (`ecrm.campaigns.waits`); the tick puts it back on the queue by its `due` entry."""
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": f"{CAMPAIGN_WAITS}{batch_id}"}


def campaign_ab_decision(campaign_id: str) -> dict[str, str]:
    """When an A/B test's winner is chosen (`ecrm.campaigns.ab_winner`), by its `due` entry.
    Sorts before `WAIT#`: a tick decides before it releases the batches waiting for it."""
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": "AB#DECIDE"}


def send_policy() -> dict[str, str]:
    """The account's send policy: frequency cap and quiet hours (`ecrm.mail.send_policy`)."""
    return {"pk": "SETTINGS#sending", "sk": "POLICY"}


def send_pace() -> dict[str, str]:
    """The account-wide token bucket of SES sends (its theoretical arrival time)."""
    return {"pk": "PACE#ses", "sk": "BUCKET"}
