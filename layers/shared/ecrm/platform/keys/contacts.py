"""Keys of a contact and what hangs off it: profile, interactions, consents, topics, mails
sent, suppressions, forms, the profile schema, erasures."""

from __future__ import annotations

import base64

from ecrm.platform.digests import digest as _digest

TOPIC_SHARDS = 8

PROFILE = "PROFILE"

DEFINITION = "DEFINITION"


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


def suppression(normalized_email: str) -> dict[str, str]:
    """The suppression of an address that has (or may get) a contact: the contact item holds
    the address anyway, so a plain hash tells nothing more."""
    return {"pk": f"SUPPRESS#{email_hash(normalized_email)}", "sk": "SUPPRESS"}


def erased_suppression(keyed_hash: str) -> dict[str, str]:
    """The suppression of an address no contact holds (erased): keyed by
    `ecrm.platform.pseudonyms`, so it cannot be found from the address without the key."""
    return {"pk": f"SUPPRESS#k.{keyed_hash}", "sk": "SUPPRESS"}


def profile_schema() -> dict[str, str]:
    """The profile, interest and topic fields customers edit in the preference center."""
    return {"pk": "SCHEMA#profile", "sk": DEFINITION}


def erasure(keyed_contact: str) -> dict[str, str]:
    """That a contact was erased, and when: nothing else (no PII), keyed by the contact id's
    keyed pseudonym (`ecrm.platform.pseudonyms`), so the address does not lead to it."""
    return {"pk": f"ERASURE#{keyed_contact}", "sk": "ERASURE"}


def topic_partition(topic: str, shard: int) -> str:
    """The gsi1 partition of one shard of a topic's members (see `topic_membership`)."""
    return f"TOPIC#{topic}#{shard}"


DATES = "DATE#"  # sort-key prefix of a contact's date index items


def contact_date(contact_id: str, field: str, on: str | None = None) -> dict[str, str]:
    """A contact's date field in the date index (journeys' date entries): its gsi1 entry is
    the field and the day of the year (`DATEON#<field>#<MM-DD>`), then the year and the
    contact (`<YYYY>#<id>`), so a day's contacts are one Query, and a year (a renewal) or
    every year up to one (a birthday) a range of it. `on`: the date, `YYYY-MM-DD`; without it,
    the item's key alone."""
    key = {"pk": f"CONTACT#{contact_id}", "sk": f"{DATES}{field}"}
    if on is None:
        return key
    return {**key, "gsi1pk": date_partition(field, on[5:]), "gsi1sk": f"{on[:4]}#{contact_id}"}


def date_partition(field: str, month_day: str) -> str:
    """The gsi1 partition of a date field's contacts on a day of the year (`MM-DD`)."""
    return f"DATEON#{field}#{month_day}"
