"""The only module that spells a key. Every item's pk/sk/gsi values are built here.

Every item, its keys and who writes it: docs/design/data-model.md (a new key gets its row
there); how each is read and written: docs/architecture.md, "Data model and access patterns".
"""

from __future__ import annotations

import base64
import hashlib

TOPIC_SHARDS = 8

PROFILE = "PROFILE"
DEFINITION = "DEFINITION"


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def contact_id_for(normalized_email: str) -> str:
    """A contact's id is derived from its normalised email, so two racing submissions of one
    address address the same item: uniqueness without a lookup or a second item."""
    return base64.b32encode(_digest("contact", normalized_email)[:15]).decode().lower()


def email_hash(normalized_email: str) -> str:
    return _digest("email", normalized_email).hex()


def contact(contact_id: str) -> dict[str, str]:
    return {"pk": f"CONTACT#{contact_id}", "sk": PROFILE}


def contact_id_of(pk: str) -> str:
    return pk.removeprefix("CONTACT#")


INTERACTIONS = "EVENT#"  # sort-key prefix of a contact's interactions, oldest first
CONSENTS = "CONSENT#"  # ... and of its consent records
TOPICS = "TOPIC#"  # ... and of its topic memberships


def interaction(contact_id: str, at: str, event_id: str) -> dict[str, str]:
    return {"pk": f"CONTACT#{contact_id}", "sk": f"{INTERACTIONS}{at}#{event_id}"}


def consent(contact_id: str, at: str, event_id: str) -> dict[str, str]:
    return {"pk": f"CONTACT#{contact_id}", "sk": f"{CONSENTS}{at}#{event_id}"}


def topic_shard(contact_id: str) -> int:
    """The shard of the topic index (and so of a campaign's audience pages) a contact is in."""
    return _digest("shard", contact_id)[0] % TOPIC_SHARDS


def topic_membership(contact_id: str, topic: str) -> dict[str, str]:
    shard = topic_shard(contact_id)
    return {
        "pk": f"CONTACT#{contact_id}",
        "sk": f"{TOPICS}{topic}",
        "gsi1pk": f"TOPIC#{topic}#{shard}",
        "gsi1sk": f"CONTACT#{contact_id}",
    }


def transactional_mail(contact_id: str, kind: str, ref: str) -> dict[str, str]:
    return {"pk": f"CONTACT#{contact_id}", "sk": f"MAIL#{kind}#{ref}"}


def marketing_mails(contact_id: str) -> dict[str, str]:
    """When the contact was last sent marketing mail (campaigns, automations), for the
    frequency cap (`ecrm.mail.frequency_cap`): written in the transaction that claims a send."""
    return {"pk": f"CONTACT#{contact_id}", "sk": "SENDS"}


def form(form_id: str) -> dict[str, str]:
    return {"pk": f"FORM#{form_id}", "sk": DEFINITION}


def idempotency(scope: str, key: str) -> dict[str, str]:
    return {"pk": f"IDEMPOTENCY#{_digest(scope, key).hex()}", "sk": "IDEMPOTENCY"}


def rate_counter(scope: str, subject: str, window: int) -> dict[str, str]:
    return {"pk": f"RATE#{scope}#{_digest(scope, subject).hex()[:32]}#{window}", "sk": "RATE"}


def used_token(token_id: str) -> dict[str, str]:
    return {"pk": f"TOKEN#{token_id}", "sk": "USED"}


def suppression(normalized_email: str) -> dict[str, str]:
    """The suppression of an address that has (or may get) a contact: the contact item holds
    the address anyway, so a plain hash tells nothing more."""
    return {"pk": f"SUPPRESS#{email_hash(normalized_email)}", "sk": "SUPPRESS"}


def erased_suppression(keyed_hash: str) -> dict[str, str]:
    """The suppression of an address no contact holds (erased): keyed by `ecrm.platform.pseudonyms`, so
    it cannot be found from the address without the key."""
    return {"pk": f"SUPPRESS#k.{keyed_hash}", "sk": "SUPPRESS"}


def campaign(campaign_id: str) -> dict[str, str]:
    """State (draft|scheduled|sending|paused|cancelled|done), `paused_reason` and counters."""
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": "META"}


def campaign_id_of(pk: str) -> str:
    return pk.removeprefix("CAMPAIGN#")


def campaign_engagement(campaign_id: str, kind: str, contact_id: str) -> dict[str, str]:
    """Marker that makes a campaign counter count each recipient once (opened, clicked...)."""
    return {"pk": f"CAMPAIGN#{campaign_id}", "sk": f"ENGAGED#{kind}#{contact_id}"}


def mail_event(event_id: str) -> dict[str, str]:
    """Seen-marker of an SES event whose contact no longer exists (TTL)."""
    return {"pk": f"MAILEVENT#{event_id}", "sk": "MAILEVENT"}


AUTOMATIONS = "AUTOMATIONS"


def automation(automation_id: str) -> dict[str, str]:
    return {"pk": AUTOMATIONS, "sk": f"AUTOMATION#{automation_id}"}


def automation_run(contact_id: str, automation_id: str) -> dict[str, str]:
    """One per contact and rule: written with attribute_not_exists, so a rule fires once."""
    return {"pk": f"CONTACT#{contact_id}", "sk": f"AUTOMATION#{automation_id}"}


def automation_id_of(run_sk: str) -> str:
    return run_sk.removeprefix("AUTOMATION#")


AUTOMATION_COUNT_SHARDS = 8
AUTOMATION_COUNTS = "COUNT#"  # sort-key prefix of every rule's counters, beside the rules


def automation_counts(automation_id: str) -> str:
    """Sort-key prefix of one rule's counter shards."""
    return f"{AUTOMATION_COUNTS}{automation_id}#"


def automation_count(automation_id: str, contact_id: str) -> dict[str, str]:
    """The counter shard a contact's run of a rule adds to (sharded so that transactions
    counting runs of one rule at once rarely touch the same item)."""
    shard = _digest("shard", contact_id)[0] % AUTOMATION_COUNT_SHARDS
    return {"pk": AUTOMATIONS, "sk": f"{automation_counts(automation_id)}{shard}"}


# --- journeys ---------------------------------------------------------------------------------
JOURNEYS = "JOURNEYS"  # one partition: drafts, published versions, step counters
JOURNEY_COUNT_SHARDS = 8
JOURNEY_RUN = "JOURNEY#"  # sort-key prefix of a contact's runs (and of the journeys' items)


def journey(journey_id: str) -> dict[str, str]:
    """A journey: its draft and a copy of its live version (what the stream reads)."""
    return {"pk": JOURNEYS, "sk": f"{JOURNEY_RUN}{journey_id}"}


def journey_version(journey_id: str, version: int) -> dict[str, str]:
    """A published version of a journey (immutable)."""
    return {"pk": JOURNEYS, "sk": f"JVERSION#{journey_id}#{version:06d}"}


JOURNEY_COUNTS = "JCOUNT#"  # sort-key prefix of every journey's counter shards


def journey_counts(journey_id: str) -> str:
    """Sort-key prefix of every counter shard of a journey (all its versions)."""
    return f"{JOURNEY_COUNTS}{journey_id}#"


def journey_count(journey_id: str, version: int, contact_id: str) -> dict[str, str]:
    """The counter shard a contact's run of a journey version adds to."""
    shard = _digest("jshard", contact_id)[0] % JOURNEY_COUNT_SHARDS
    return {"pk": JOURNEYS, "sk": f"{journey_counts(journey_id)}{version:06d}#{shard}"}


def journey_run(contact_id: str, journey_id: str) -> dict[str, str]:
    """A contact's run of a journey: one at a time (entry is conditional on it)."""
    return {"pk": f"CONTACT#{contact_id}", "sk": f"{JOURNEY_RUN}{journey_id}"}


def journey_id_of(run_sk: str) -> str:
    return run_sk.removeprefix(JOURNEY_RUN)


def migrated_journey_id(automation_id: str) -> str:
    """The journey an automation rule becomes (`ecrm.journeys.migration`): derived from the
    rule's id, so a migration done again finds it, and the stream knows which journey run
    stands in for a rule's run (`au_<hex>` -> `jo_<hex>`)."""
    return f"jo_{automation_id.removeprefix('au_')}"


def due_minute(at_iso: str) -> str:
    """The sparse due-time index partition of a moment: `DUE#2024-05-01T10:31`."""
    return f"DUE#{at_iso[:16]}"


def due(at_iso: str, key: dict[str, str]) -> dict[str, str]:
    """gsi1 entry that makes an item due at `at_iso` (read by the schedule tick per minute)."""
    return {"gsi1pk": due_minute(at_iso), "gsi1sk": f"{at_iso}#{key['pk']}#{key['sk']}"}


# --- scoring ----------------------------------------------------------------------------------
STAGE_SHARDS = 8
RULESET = "SCORING#RULESET"


def stage_members(stage: str, shard: int) -> str:
    """gsi1 partition of the contacts in a scoring stage (sharded like topics)."""
    return f"STAGE#{stage}#{shard}"


def score(contact_id: str, stage: str | None = None) -> dict[str, str]:
    """A contact's score item; with `stage`, also its sparse stage-index entry."""
    key = {"pk": f"CONTACT#{contact_id}", "sk": "SCORE"}
    if stage is None:
        return key
    shard = _digest("shard", contact_id)[0] % STAGE_SHARDS
    return {**key, "gsi1pk": stage_members(stage, shard), "gsi1sk": f"CONTACT#{contact_id}"}


def score_change(contact_id: str, at: str, event_id: str) -> dict[str, str]:
    return {"pk": f"CONTACT#{contact_id}", "sk": f"SCORE#{at}#{event_id}"}


def ruleset(version: int | None = None) -> dict[str, str]:
    """The current scoring ruleset (`CURRENT`), or one stored version (immutable)."""
    return {"pk": RULESET, "sk": "CURRENT" if version is None else f"V#{version:08d}"}


def rescore_job(job_id: str) -> dict[str, str]:
    return {"pk": f"SCOREJOB#{job_id}", "sk": "JOB"}


# --- self-service -----------------------------------------------------------------------------
def profile_schema() -> dict[str, str]:
    """The profile, interest and topic fields customers edit in the preference center."""
    return {"pk": "SCHEMA#profile", "sk": DEFINITION}


def erasure(keyed_contact: str) -> dict[str, str]:
    """That a contact was erased, and when: nothing else (no PII), keyed by the contact id's
    keyed pseudonym (`ecrm.platform.pseudonyms`), so the address does not lead to it."""
    return {"pk": f"ERASURE#{keyed_contact}", "sk": "ERASURE"}


# --- campaigns: templates, segments, fan-out, send ledger, pacing (mailing) ----------------------
def mail_template(template_id: str) -> dict[str, str]:
    return {"pk": f"TEMPLATE#{template_id}", "sk": "TEMPLATE"}


def mail_template_version(template_id: str, version: int) -> dict[str, str]:
    """A template's earlier version, kept beside it (TTL), never in the templates' listing."""
    return {"pk": f"TEMPLATE#{template_id}", "sk": f"VERSION#{version:06d}"}


def segment(segment_id: str) -> dict[str, str]:
    return {"pk": f"SEGMENT#{segment_id}", "sk": "SEGMENT"}


def definition_holds(definition: dict[str, str]) -> dict[str, str]:
    """How many draft/scheduled campaigns and automations use a template or segment (beside
    the definition, so replacing the definition item leaves the count alone)."""
    return {"pk": definition["pk"], "sk": "HOLDS"}


def listing(kind: str, sort: str) -> dict[str, str]:
    """gsi1 entry that lists a marketer's objects of one kind (`LIST#campaign`, by `sort`)."""
    return {"gsi1pk": f"LIST#{kind}", "gsi1sk": sort}


def listing_partition(kind: str) -> str:
    return f"LIST#{kind}"


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


def schedule_watermark() -> dict[str, str]:
    """The last due-index minute the schedule tick has read completely."""
    return {"pk": "SCHEDULE#tick", "sk": "WATERMARK"}


def topic_partition(topic: str, shard: int) -> str:
    """The gsi1 partition of one shard of a topic's members (see `topic_membership`)."""
    return f"TOPIC#{topic}#{shard}"


# --- trends (counters maintained from the stream) ------------------------------------------------
TRENDS = "TRENDS"
TREND_DAY_PREFIX = "DAY#"


def trend_day(day: str) -> dict[str, str]:
    """All of one UTC day's counters (`2026-11-28`), one item, so a report reads one item a day."""
    return {"pk": TRENDS, "sk": f"{TREND_DAY_PREFIX}{day}"}


def trend_gauges() -> dict[str, str]:
    """Counts of now (contacts per stage, per score bucket), moved +1/-1 by each transition."""
    return {"pk": TRENDS, "sk": "GAUGES"}


def trend_marker(stream_event_id: str) -> dict[str, str]:
    """That one stream record was counted (TTL): put in the transaction that counts it."""
    return {"pk": f"TRENDMARK#{stream_event_id}", "sk": "MARK"}


IMPORT_BAD_ROWS_PREFIX = "BAD#"


def contacts_import(import_id: str) -> dict[str, str]:
    """A bulk import: its settings, state and checkpoint (byte offset, line, counters)."""
    return {"pk": f"IMPORT#{import_id}", "sk": "IMPORT"}


def import_bad_rows(import_id: str, first_line: int) -> dict[str, str]:
    """The bad rows of one committed chunk of an import, sorted by their first line."""
    return {"pk": f"IMPORT#{import_id}", "sk": f"{IMPORT_BAD_ROWS_PREFIX}{first_line:010d}"}


def import_partition(import_id: str) -> str:
    return f"IMPORT#{import_id}"


# --- events in (ecrm.events) ----------------------------------------------------------------------
def event_key(key_id: str) -> dict[str, str]:
    """An event source's API key: its name, the SHA-256 of its secret (the id is derived from
    it, `ecrm.events.api_keys`), when it was made, last used and revoked."""
    return {"pk": f"EVENTKEY#{key_id}", "sk": "EVENTKEY"}


# --- webhooks out (ecrm.webhooks) -----------------------------------------------------------------
def webhook(webhook_id: str) -> dict[str, str]:
    """A marketer's webhook endpoint: its URL, the event types it takes, its sealed signing
    secret (KMS) and its last delivery's status."""
    return {"pk": f"WEBHOOK#{webhook_id}", "sk": "WEBHOOK"}


def webhook_delivered(delivery_id: str) -> dict[str, str]:
    """A delivery the endpoint answered 2xx to: a redelivered message is not posted again
    (TTL 7 days)."""
    return {"pk": f"WHDELIVERED#{delivery_id}", "sk": "MARK"}
