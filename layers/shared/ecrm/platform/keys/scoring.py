"""Keys of scoring (scores, their changes, the stage index, rulesets, rescore jobs) and of the
trends counters maintained from the stream."""

from __future__ import annotations

from ecrm.platform.digests import digest as _digest

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
