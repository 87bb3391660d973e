"""The send policy's arithmetic: quiet hours in a zone (windows crossing midnight, clocks going
forward and back) and the frequency cap's rolling window."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecrm.mail import frequency_cap, quiet_hours, zones
from ecrm.mail.frequency_cap import Seen
from ecrm.mail.send_policy_view import DAY, FrequencyCap, QuietHours, SendPolicy

PARIS = ZoneInfo("Europe/Paris")
NIGHT = QuietHours(start=21 * 60, end=8 * 60, zone="Europe/Paris")


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def paris(text: str, fold: int = 0) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS, fold=fold).timestamp()


def shown(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


# --- quiet hours -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        ("2026-06-10T20:59:59", False),
        ("2026-06-10T21:00:00", True),
        ("2026-06-10T23:59:00", True),
        ("2026-06-11T00:00:00", True),
        ("2026-06-11T07:59:59", True),
        ("2026-06-11T08:00:00", False),
        ("2026-06-11T12:00:00", False),
    ],
)
def test_a_window_crossing_midnight_is_quiet_from_its_start_to_its_end(
    local: str, quiet: bool
) -> None:
    assert quiet_hours.is_quiet(paris(local), NIGHT, PARIS) is quiet


def test_an_evening_send_waits_for_the_next_morning_and_a_dawn_one_for_the_same_morning() -> None:
    assert quiet_hours.ends_at(paris("2026-06-10T22:15:00"), NIGHT, PARIS) == paris(
        "2026-06-11T08:00:00"
    )
    assert quiet_hours.ends_at(paris("2026-06-11T03:00:00"), NIGHT, PARIS) == paris(
        "2026-06-11T08:00:00"
    )
    outside = paris("2026-06-11T12:00:00")
    assert quiet_hours.ends_at(outside, NIGHT, PARIS) == outside


def test_a_window_inside_one_day() -> None:
    lunch = QuietHours(start=12 * 60, end=14 * 60, zone="UTC")
    tz = ZoneInfo("UTC")
    assert not quiet_hours.is_quiet(utc("2026-06-10T11:59:00"), lunch, tz)
    assert quiet_hours.ends_at(utc("2026-06-10T12:00:00"), lunch, tz) == utc("2026-06-10T14:00:00")
    assert not quiet_hours.is_quiet(utc("2026-06-10T14:00:00"), lunch, tz)
    assert not quiet_hours.is_quiet(utc("2026-06-10T23:00:00"), lunch, tz)


def test_the_night_the_clocks_go_forward_the_window_ends_at_its_wall_clock_end() -> None:
    # Paris, 2026-03-29: 02:00 CET becomes 03:00 CEST. 21:00 to 08:00 is 11 hours on the wall
    # that night, and 10 real hours.
    start = paris("2026-03-28T21:00:00")
    end = quiet_hours.ends_at(start, NIGHT, PARIS)
    assert shown(end) == "2026-03-29T06:00:00+00:00"  # 08:00 CEST
    assert end - start == 10 * 3600


def test_an_end_inside_the_skipped_hour_ends_at_the_jump() -> None:
    # 22:00 to 02:30; 02:30 never happens on 2026-03-29 in Paris: the window ends at 03:00 CEST.
    late = QuietHours(start=22 * 60, end=2 * 60 + 30, zone="Europe/Paris")
    end = quiet_hours.ends_at(utc("2026-03-29T00:30:00"), late, PARIS)  # 01:30 CET
    assert shown(end) == "2026-03-29T01:00:00+00:00"  # the jump: 03:00 CEST
    assert not quiet_hours.is_quiet(end, late, PARIS)
    assert quiet_hours.is_quiet(end - 1, late, PARIS)


def test_the_night_the_clocks_go_back_the_repeated_half_hour_is_quiet_again() -> None:
    # Paris, 2026-10-25: 03:00 CEST becomes 02:00 CET; the wall clock shows 02:00-02:59 twice.
    late = QuietHours(start=21 * 60, end=2 * 60 + 30, zone="Europe/Paris")
    first_pass = utc("2026-10-25T00:10:00")  # 02:10 CEST
    assert shown(quiet_hours.ends_at(first_pass, late, PARIS)) == "2026-10-25T00:30:00+00:00"
    assert not quiet_hours.is_quiet(utc("2026-10-25T00:45:00"), late, PARIS)  # 02:45 CEST
    second_pass = utc("2026-10-25T01:10:00")  # 02:10 CET, on the wall inside the window again
    assert quiet_hours.is_quiet(second_pass, late, PARIS)
    assert shown(quiet_hours.ends_at(second_pass, late, PARIS)) == "2026-10-25T01:30:00+00:00"


def test_the_night_the_clocks_go_back_a_night_window_is_an_hour_longer() -> None:
    start = paris("2026-10-24T21:00:00")
    assert quiet_hours.ends_at(start, NIGHT, PARIS) - start == 12 * 3600


def test_the_contacts_own_zone_wins_and_anything_that_is_no_zone_name_falls_back() -> None:
    assert zones.zone_of({"f_time_zone": "America/New_York"}, "Europe/Paris").key == (
        "America/New_York"
    )
    for bad in (
        "../../etc/passwd",
        "/etc/localtime",
        "Europe/../../etc/passwd",
        "Mars/Olympus_Mons",
        "",
        "x" * 200,
        123,
        ["Europe/Paris"],
        None,
    ):
        assert zones.zone_of({"f_time_zone": bad}, "Europe/Paris").key == "Europe/Paris"
    assert zones.zone_of(None, "Not/AZone").key == "UTC"


def test_new_york_evening_is_paris_night() -> None:
    at = paris("2026-06-10T23:00:00")  # 17:00 in New York
    new_york = zones.zone_of({"f_time_zone": "America/New_York"}, "Europe/Paris")
    assert not quiet_hours.is_quiet(at, NIGHT, new_york)
    assert quiet_hours.is_quiet(at, NIGHT, PARIS)


ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]


@given(
    at=st.integers(min_value=int(utc("2025-01-01T00:00:00")), max_value=int(utc("2028-01-01"))),
    start=st.integers(0, 24 * 60 - 1),
    end=st.integers(0, 24 * 60 - 1),
    name=st.sampled_from(ZONES),
)
def test_the_end_is_never_quiet_never_early_and_at_most_a_day_and_an_hour_away(
    at: int, start: int, end: int, name: str
) -> None:
    if start == end:
        return
    hours, tz = QuietHours(start, end, name), ZoneInfo(name)
    released = quiet_hours.ends_at(at, hours, tz)
    assert released >= at
    assert not quiet_hours.is_quiet(released, hours, tz)
    assert released - at <= 25 * 3600
    offsets = {datetime.fromtimestamp(t, tz).utcoffset() for t in (at, released)}
    if released > at and len(offsets) == 1:  # no clock change between: quiet all along
        assert all(quiet_hours.is_quiet(t, hours, tz) for t in range(at, int(released), 600))


# --- the frequency cap ---------------------------------------------------------------------------

CAP = FrequencyCap(max_mails=3, period_days=7)
NOW = utc("2026-06-10T12:00:00")


def seen(*days_ago: float, version: int = 4) -> Seen:
    return Seen({f"c:{n}": int(NOW - d * DAY) for n, d in enumerate(days_ago)}, version)


def test_the_window_rolls_three_in_the_last_seven_days_is_full_whatever_the_calendar_week() -> None:
    assert frequency_cap.allows(seen(), NOW, CAP, "c:x")
    assert frequency_cap.allows(seen(1, 2), NOW, CAP, "c:x")
    assert not frequency_cap.allows(seen(1, 2, 6.9), NOW, CAP, "c:x")
    assert frequency_cap.allows(seen(1, 2, 7.01), NOW, CAP, "c:x")  # left the window


def test_a_mails_own_earlier_claim_never_counts_against_it() -> None:
    full = seen(1, 2, 3)
    assert not frequency_cap.allows(full, NOW, CAP, "c:new")
    assert frequency_cap.allows(full, NOW, CAP, "c:2")  # the same mail, claimed again


def test_the_window_frees_when_the_oldest_send_that_fills_it_leaves() -> None:
    full = seen(1, 2, 5, 6)  # four (the cap was lowered meanwhile): the second oldest decides
    assert frequency_cap.free_at(full, NOW, CAP, "c:x") == NOW - 5 * DAY + 7 * DAY + 1
    assert frequency_cap.free_at(seen(1), NOW, CAP, "c:x") == NOW
    later = frequency_cap.free_at(full, NOW, CAP, "c:x")
    assert frequency_cap.allows(full, later, CAP, "c:x")
    assert not frequency_cap.allows(full, later - 2, CAP, "c:x")


def test_the_count_prunes_what_left_the_window_replaces_its_own_and_is_conditional() -> None:
    before = Seen(
        {"c:old": int(NOW - 8 * DAY), "c:a": int(NOW - DAY), "a:r1": int(NOW - 2 * DAY)}, 7
    )
    put = frequency_cap.counted("k1", before, NOW, CAP, "a:r1")
    assert put.item["sends"] == {"c:a": int(NOW - DAY), "a:r1": int(NOW)}
    assert put.item["version"] == 8
    assert put.condition == "version = :seen" and put.values == {":seen": 7}
    assert put.item["expires_at"] == int(NOW) + 8 * DAY
    first = frequency_cap.counted("k1", Seen(), NOW, CAP, "c:a")
    assert first.condition == "attribute_not_exists(pk)" and first.item["version"] == 1


def test_the_stored_policy_reads_back_off_unless_enabled() -> None:
    assert SendPolicy.from_item(None) == SendPolicy()
    item = {
        "frequency_cap": {"enabled": False, "max_mails": 3, "period_days": 7},
        "quiet_hours": {"enabled": True, "start": "21:30", "end": "07:45", "time_zone": "UTC"},
        "version": 2,
    }
    policy = SendPolicy.from_item(item)
    assert policy.cap is None
    assert policy.quiet == QuietHours(21 * 60 + 30, 7 * 60 + 45, "UTC")
    assert policy.version == 2
