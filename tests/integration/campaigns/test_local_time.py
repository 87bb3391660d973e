"""A campaign sent "at 09:00 local" on moto, through the marketer API: it starts at the earliest
moment anywhere, each recipient is mailed when their own clock shows 09:00 (their profile's
zone, else their single-zone country, else the account's), one wave per moment released by the
schedule tick; a recipient whose 09:00 has passed is mailed at once; quiet hours and the
frequency cap still apply; bad requests are refused with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from ecrm import due
from ecrm.platform import clock
from tests.conftest import table_items
from tests.integration.campaigns.conftest import (
    SENDER,
    Sent,
    add_contacts,
    admin,
    campaign,
    create_campaign,
    run_queue,
)
from tests.integration.campaigns.policy_helpers import had_mails, mails_per_contact, set_policy

DAY = "2026-12-08"
TOKYO = datetime(2026, 12, 8, 0, 0, tzinfo=UTC).timestamp()  # 09:00 in Tokyo (UTC+9)
PARIS = datetime(2026, 12, 8, 8, 0, tzinfo=UTC).timestamp()  # 09:00 in Paris (UTC+1)
NEW_YORK = datetime(2026, 12, 8, 14, 0, tzinfo=UTC).timestamp()  # 09:00 in New York (UTC-5)
FIRST = datetime(2026, 12, 7, 19, 0, tzinfo=UTC).timestamp()  # 09:00 at UTC+14


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Set the product's clock (epoch seconds)."""
    moment = {"t": datetime(2026, 12, 7, 6, 0, tzinfo=UTC).timestamp()}
    monkeypatch.setattr(clock, "now", lambda: moment["t"])

    def move(to: float) -> None:
        moment["t"] = to

    return move


def people() -> dict[str, list[str]]:
    """Contacts of three zones, found the three ways; the account's zone is Paris."""
    return {
        "tokyo": add_contacts(3, start=0, time_zone="Asia/Tokyo")
        + add_contacts(3, start=3, country="jp"),  # a single-zone country
        "paris": add_contacts(3, start=10)  # no zone: the account's
        + add_contacts(2, start=13, country="US")  # several zones: not guessed
        + add_contacts(1, start=15, time_zone="../../etc/passwd"),  # no zone name
        "new_york": add_contacts(5, start=20, time_zone="America/New_York"),
    }


def schedule(campaign_id: str, body: dict[str, Any]) -> tuple[int, Any]:
    path = {"campaign_id": campaign_id}
    return admin("POST", "/admin/campaigns/{campaign_id}/schedule", path, body)


def waits() -> list[dict[str, Any]]:
    return [i for i in table_items() if i.get("type") == "campaign_wait"]


def pending() -> set[str]:
    return {w["due_at"] for w in waits() if "gsi1pk" in w}


def test_each_recipient_is_mailed_at_nine_on_their_own_clock_in_one_wave_per_zone(
    campaign_env: Sent, at: Callable[[float], None]
) -> None:
    groups = people()
    # The account's zone is the policy's, whether quiet hours are on or off.
    status, saved = admin(
        "PUT",
        "/admin/settings/sending",
        body={"quiet_hours": {"enabled": False, "time_zone": "Europe/Paris"}},
    )
    assert status == 200, saved
    campaign_id = create_campaign()

    status, body = schedule(campaign_id, {"local_time": "09:00", "on": DAY})
    assert status == 200, body
    assert body["state"] == "scheduled"
    assert body["local_time"] == {"time": "09:00", "on": DAY}
    assert body["scheduled_at"] == clock.iso(FIRST)

    at(FIRST + 30)
    assert due.tick().kinds.get("campaign") == 1
    run_queue()
    assert campaign_env.raw == []  # every wave is still to come
    assert pending() == {clock.iso(t) for t in (TOKYO, PARIS, NEW_YORK)}
    assert campaign(campaign_id)["state"] == "sending"

    mailed_so_far: set[str] = set()
    for moment, zone in ((TOKYO, "tokyo"), (PARIS, "paris"), (NEW_YORK, "new_york")):
        at(moment - 60)
        due.tick()
        assert run_queue() == 0  # not yet
        at(moment + 30)
        due.tick()
        run_queue()
        mailed = mails_per_contact(campaign_env)
        assert set(mailed) - mailed_so_far == set(groups[zone]), zone
        assert set(mailed.values()) == {1}
        mailed_so_far = set(mailed)

    done = campaign(campaign_id)
    assert done["state"] == "done" and done["stats"]["sent"] == 17
    assert pending() == set()
    assert due.tick().kinds.get("campaign_wait") is None  # each wave released once


def test_recipients_whose_nine_has_passed_are_mailed_at_once_the_others_at_theirs(
    campaign_env: Sent, at: Callable[[float], None]
) -> None:
    groups = people()
    set_policy(quiet=("23:00", "06:00", "Europe/Paris"))
    campaign_id = create_campaign()
    at(PARIS + 2 * 3600)  # 11:00 in Paris, 19:00 in Tokyo, 05:00 in New York

    status, body = schedule(campaign_id, {"local_time": "09:00", "on": DAY})
    assert status == 200, body
    assert body["scheduled_at"] == clock.iso(PARIS + 2 * 3600)  # the next tick starts it
    at(PARIS + 2 * 3600 + 60)
    due.tick()
    run_queue()

    assert set(mails_per_contact(campaign_env)) == set(groups["tokyo"] + groups["paris"])
    assert pending() == {clock.iso(NEW_YORK)}
    at(NEW_YORK + 30)
    due.tick()
    run_queue()
    assert set(mails_per_contact(campaign_env)) == {c for g in groups.values() for c in g}
    assert campaign(campaign_id)["state"] == "done"


def test_quiet_hours_hold_a_local_time_inside_them_and_the_cap_still_skips(
    campaign_env: Sent, at: Callable[[float], None]
) -> None:
    tokyo = add_contacts(2, start=0, time_zone="Asia/Tokyo")
    [capped] = add_contacts(1, start=5, time_zone="Asia/Tokyo")
    had_mails(capped, 1, 2)
    set_policy(cap=(2, 7), quiet=("21:00", "08:00", "Europe/Paris"))
    campaign_id = create_campaign()
    assert schedule(campaign_id, {"local_time": "07:30", "on": DAY})[0] == 200
    seven_thirty, eight = TOKYO - 1800 - 3600, TOKYO - 3600  # Tokyo's 07:30 and 08:00
    at(FIRST - 5400 + 30)  # 07:30 at UTC+14
    due.tick()
    run_queue()
    assert pending() == {clock.iso(seven_thirty)}

    at(seven_thirty + 30)
    due.tick()
    run_queue()
    assert campaign_env.raw == []
    assert pending() == {clock.iso(eight)}, waits()  # quiet until 08:00 there
    at(eight + 30)
    due.tick()
    run_queue()

    assert set(mails_per_contact(campaign_env)) == set(tokyo)
    done = campaign(campaign_id)
    assert done["state"] == "done"
    assert done["stats"]["skipped_frequency_cap"] == 1 and done["stats"]["sent"] == 2


def test_send_now_or_a_schedule_at_a_time_drops_the_local_time(
    campaign_env: Sent, at: Callable[[float], None]
) -> None:
    add_contacts(2, start=0, time_zone="Asia/Tokyo")
    first, second = create_campaign(), create_campaign()
    for campaign_id in (first, second):
        assert schedule(campaign_id, {"local_time": "09:00", "on": DAY})[0] == 200
    status, body = schedule(first, {"at": "2026-12-07T12:00:00+00:00"})
    assert status == 200 and body["local_time"] is None, body
    path = {"campaign_id": second}
    status, body = admin("POST", "/admin/campaigns/{campaign_id}/send", path)
    assert status == 202 and body["local_time"] is None, body
    run_queue()
    assert len(campaign_env.raw) == 2  # now, not at 09:00 in Tokyo


BAD = {
    "unknown field": ({"local_time": "09:00", "on": DAY, "zone": "x"}, "zone"),
    "bad time": ({"local_time": "25:00", "on": DAY}, "local_time"),
    "time without minutes": ({"local_time": "9", "on": DAY}, "local_time"),
    "bad day": ({"local_time": "09:00", "on": "2026-13-01"}, "on"),
    "past everywhere": ({"local_time": "09:00", "on": "2026-12-05"}, "on"),
    "beyond a year": ({"local_time": "09:00", "on": "2028-01-10"}, "on"),
    "no day": ({"local_time": "09:00"}, "on"),
    "no time": ({"on": DAY}, "local_time"),
    "neither": ({}, "at"),
    "both": ({"at": "2026-12-08T09:00:00+01:00", "local_time": "09:00", "on": DAY}, "local_time"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_schedules_are_refused_with_the_field_and_nothing_is_written(
    campaign_env: Sent, at: Callable[[float], None], case: str
) -> None:
    campaign_id = create_campaign()
    before = table_items()
    body, field = BAD[case]

    status, answer = schedule(campaign_id, body)

    # A value of the wrong type (no date at all) is malformed; one that breaks a rule is not valid.
    assert (status, answer["error"]["code"]) in {
        (400, "malformed_request"),
        (422, "validation_failed"),
    }, answer
    assert set(answer["error"]) <= {"code", "message", "fields"}
    assert field in answer["error"]["fields"], answer
    assert table_items() == before


def test_a_campaign_with_an_ab_test_cannot_be_sent_at_a_local_time(
    campaign_env: Sent, at: Callable[[float], None]
) -> None:
    create_campaign()
    ab_test = {"variants": [{"id": "A"}, {"id": "B"}], "test_percent": 20, "metric": "opens"}
    ab_test |= {"wait_hours": 4}
    status, body = admin(
        "POST",
        "/admin/campaigns",
        body={"name": "AB", "template_id": "news", "segment_id": "seg-newsletter"}
        | {"sender": SENDER, "ab_test": ab_test},
    )
    assert status == 201, body
    before = table_items()
    status, answer = schedule(body["id"], {"local_time": "09:00", "on": DAY})
    assert status == 422 and "local_time" in answer["error"]["fields"]
    assert table_items() == before
