"""What one stream record counts (`ecrm.trends.counting`) and how counts are added to an
aggregate item (`ecrm.trends.tally.merged`): pure logic."""

from __future__ import annotations

from typing import Any

import pytest

from ecrm.platform import keys
from ecrm.trends import tally
from ecrm.trends.counting import Change, Count, count, score_bucket

AT = "2026-11-28T10:00:00.000Z"


def event(kind: str, **extra: Any) -> dict[str, Any]:
    return {**keys.interaction("c1", AT, "ev1"), "type": kind, "at": AT, **extra}


def score(value: float, stage: str) -> dict[str, Any]:
    return {**keys.score("c1"), "type": "score", "score": value, "stage": stage}


def deltas(kind: str, new: dict[str, Any] | None, old: dict[str, Any] | None = None) -> Any:
    counted = count(Change("r1", kind, new, old))
    return None if counted is None else (counted.target["sk"], counted.deltas)


def test_a_sign_up_counts_on_its_day_by_form_and_by_normalised_source() -> None:
    tracked = event("form_submitted", form_id="demo", tracking={"utm_source": "  Google "})
    assert deltas("INSERT", tracked) == (
        "DAY#2026-11-28",
        {
            ("totals", "signups"): 1,
            ("signups_by_form", "demo"): 1,
            ("signups_by_source", "google"): 1,
        },
    )
    untracked = deltas("INSERT", event("form_submitted", form_id="demo"))
    assert untracked[1][("signups_by_source", "(none)")] == 1


@pytest.mark.parametrize(
    ("typed", "counted"),
    [
        ("newsletter-2026-05", "newsletter-2026-05"),
        ("Partner.Site_A", "partner.site_a"),
        ("ann.secret@example.com", "(unlisted)"),  # an address
        ("+44 20 7946 0958", "(unlisted)"),  # a phone number
        ("447946095812", "(unlisted)"),  # digits that may be one
        ("Ann Smith from Acme", "(unlisted)"),  # free text
        ("x" * 40, "(unlisted)"),  # too long for a label
    ],
)
def test_a_source_is_counted_only_as_a_campaign_label(typed: str, counted: str) -> None:
    """Day counters outlive an erasure: what a visitor typed into `utm_source` is kept only as
    a label, never as an address, a phone number or free text."""
    signed_up = event("form_submitted", form_id="demo", tracking={"utm_source": typed})
    _, found = deltas("INSERT", signed_up)
    assert found[("signups_by_source", counted)] == 1


def test_campaign_outcomes_count_per_campaign_and_scanners_do_not_open() -> None:
    assert deltas("INSERT", event("email_opened", campaign_id="cmp"))[1] == {
        ("campaign_opened", "cmp"): 1
    }
    assert deltas("INSERT", event("email_opened", campaign_id="cmp", scanner=True)) is None
    assert deltas("INSERT", event("email_opened")) is None  # transactional mail
    hard = event("email_bounced", campaign_id="cmp", permanent=True)
    assert deltas("INSERT", hard)[1] == {("campaign_bounced", "cmp"): 1}
    soft = event("email_bounced", campaign_id="cmp", permanent=False)
    assert deltas("INSERT", soft)[1] == {("campaign_soft_bounced", "cmp"): 1}
    batch = {**keys.campaign_batch("cmp", "0.1.2"), "type": "campaign_batch", "sent": 48, "at": AT}
    assert deltas("INSERT", batch)[1] == {("campaign_sent", "cmp"): 48}
    assert deltas("INSERT", {**batch, "sent": 0}) is None


def test_interactions_count_once_when_inserted_never_when_changed_or_deleted() -> None:
    assert deltas("INSERT", event("confirmed"))[1] == {("totals", "confirmed"): 1}
    assert deltas("MODIFY", event("confirmed"), event("confirmed")) is None
    assert deltas("REMOVE", None, event("confirmed")) is None  # an erasure keeps the totals
    assert deltas("INSERT", event("preferences_updated")) is None


def test_score_changes_move_the_gauges_by_one() -> None:
    assert deltas("INSERT", score(25, "lead")) == (
        "GAUGES",
        {("stage", "lead"): 1, ("score_bucket", "20"): 1},
    )
    assert deltas("MODIFY", score(27, "lead"), score(25, "lead")) is None
    assert deltas("MODIFY", score(55, "mql"), score(25, "lead"))[1] == {
        ("stage", "lead"): -1,
        ("stage", "mql"): 1,
        ("score_bucket", "20"): -1,
        ("score_bucket", "50"): 1,
    }
    assert deltas("REMOVE", None, score(55, "mql"))[1] == {
        ("stage", "mql"): -1,
        ("score_bucket", "50"): -1,
    }


@pytest.mark.parametrize(
    ("value", "bucket"),
    [
        (-0.5, "-10"),
        (-400, "-10"),
        (0, "0"),
        (9.99, "0"),
        (10, "10"),
        (100, "100"),
        (250, "100"),
        (None, "0"),
        ("nan", "0"),
    ],
)
def test_score_buckets_are_tens_with_open_ends(value: Any, bucket: str) -> None:
    assert score_bucket(value) == bucket


def test_a_group_keeps_fifty_keys_and_counts_newcomers_as_other() -> None:
    counts = []
    for n in range(60):
        one = Count(f"r{n}", keys.trend_day("2026-11-28"))
        one.add("signups_by_source", f"source-{n}" + "x" * 100)
        counts.append(one)
    item = tally.merged(keys.trend_day("2026-11-28"), None, counts, 0.0)
    sources = item["signups_by_source"]
    assert len(sources) == 51 and sources["(other)"] == 10
    assert all(len(name) <= 64 for name in sources)
    again = tally.merged(keys.trend_day("2026-11-28"), item, counts[:1], 0.0)
    assert again["signups_by_source"][next(iter(sources))] == 2 and again["version"] == 2
