"""Keys of automations (rules, runs, counters) and journeys (drafts, versions, runs, counters)."""

from __future__ import annotations

from ecrm.platform.digests import digest as _digest

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


JOURNEYS = "JOURNEYS"  # one partition: drafts, published versions, step counters, passes

JOURNEY_COUNT_SHARDS = 8

JOURNEY_RUN = "JOURNEY#"  # sort-key prefix of a contact's runs (and of the journeys' items)


def journey(journey_id: str) -> dict[str, str]:
    """A journey: its draft and a copy of its live version (what the stream reads)."""
    return {"pk": JOURNEYS, "sk": f"{JOURNEY_RUN}{journey_id}"}


def journey_version(journey_id: str, version: int) -> dict[str, str]:
    """A published version of a journey (immutable)."""
    return {"pk": JOURNEYS, "sk": f"JVERSION#{journey_id}#{version:06d}"}


JOURNEY_DAILY = "JDAILY#"


def journey_daily(journey_id: str) -> dict[str, str]:
    """A segment entry's daily pass for later joiners (`ecrm.journeys.joiners_pass`): its due
    entry, the live version it enrolls for and when the last pass began."""
    return {"pk": JOURNEYS, "sk": f"{JOURNEY_DAILY}{journey_id}"}


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


JOURNEY_DATES = "JDATES#"  # sort-key prefix of the date entries' day items


def journey_dates(journey_id: str) -> dict[str, str]:
    """A journey's date entry: the day its live version enters next, due at that day's time
    (`ecrm.journeys.date_entry`); one per journey, whatever the version."""
    return {"pk": JOURNEYS, "sk": f"{JOURNEY_DATES}{journey_id}"}


def journey_id_of(run_sk: str) -> str:
    return run_sk.removeprefix(JOURNEY_RUN)


def migrated_journey_id(automation_id: str) -> str:
    """The journey an automation rule becomes (`ecrm.journeys.migration`): derived from the
    rule's id, so a migration done again finds it, and the stream knows which journey run
    stands in for a rule's run (`au_<hex>` -> `jo_<hex>`)."""
    return f"jo_{automation_id.removeprefix('au_')}"
