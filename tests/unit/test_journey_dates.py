"""A date entry's calendar (`ecrm.journeys.dates`): which index partitions and years a day's
run reads (days before, after, on; across year ends; 29 February), and when a day is due in
the send policy's zone (daylight saving included)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from ecrm.journeys.dates import DateRule, due_at, first_day, next_day

PARIS = ZoneInfo("Europe/Paris")


def rule(days: int, *, every_year: bool = True) -> DateRule:
    return DateRule("birthday", days, every_year)


@pytest.mark.parametrize(
    ("days", "day", "target"),
    [
        (0, date(2026, 5, 17), date(2026, 5, 17)),  # on the date
        (-7, date(2026, 5, 10), date(2026, 5, 17)),  # a week before
        (3, date(2026, 5, 20), date(2026, 5, 17)),  # three days after
        (-7, date(2026, 12, 28), date(2027, 1, 4)),  # before, across the year's end
        (3, date(2027, 1, 2), date(2026, 12, 30)),  # after, back across it
        (-366, date(2026, 1, 1), date(2027, 1, 2)),  # the bounds
        (366, date(2026, 1, 1), date(2024, 12, 31)),
        (-1, date(2024, 2, 28), date(2024, 2, 29)),  # a leap year's 29 February
        (1, date(2023, 3, 1), date(2023, 2, 28)),
    ],
)
def test_a_day_enters_the_contacts_whose_date_is_days_from_it(
    days: int, day: date, target: date
) -> None:
    assert rule(days).target(day) == target
    assert rule(days).partitions(day)[0] == target.strftime("%m-%d")


def test_an_anniversary_reads_every_year_up_to_the_targets_a_one_off_date_its_own() -> None:
    before_new_year = date(2026, 12, 28)
    assert rule(-7).years(before_new_year) == (None, 2027)  # birthdays of 2027 and earlier
    assert rule(-7, every_year=False).years(before_new_year) == (2027, None)  # renewals of 2027


@pytest.mark.parametrize(
    ("day", "every_year", "partitions"),
    [
        (date(2023, 2, 28), True, ["02-28", "02-29"]),  # no 29th this year: on the 28th
        (date(2024, 2, 28), True, ["02-28"]),  # a leap year has its own 29th
        (date(2024, 2, 29), True, ["02-29"]),
        (date(2023, 2, 28), False, ["02-28"]),  # a one-off 29 February is in a leap year only
        (date(2100, 2, 28), True, ["02-28", "02-29"]),  # 2100 is no leap year
        (date(2000, 2, 28), True, ["02-28"]),  # 2000 is
        (date(2023, 3, 1), True, ["03-01"]),
    ],
)
def test_a_29_february_counts_on_28_february_of_years_without_one(
    day: date, every_year: bool, partitions: list[str]
) -> None:
    assert rule(0, every_year=every_year).partitions(day) == partitions


def test_a_29_february_seven_days_before_is_read_on_21_february_of_a_common_year() -> None:
    assert rule(-7).partitions(date(2023, 2, 21)) == ["02-28", "02-29"]
    assert rule(-7).partitions(date(2024, 2, 22)) == ["02-29"]


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()


def test_a_day_is_due_at_its_time_in_the_zone_across_daylight_saving() -> None:
    assert due_at(date(2026, 1, 15), "09:00", PARIS) == utc(2026, 1, 15, 8)  # UTC+1
    assert due_at(date(2026, 7, 15), "09:00", PARIS) == utc(2026, 7, 15, 7)  # UTC+2
    # 29 March 2026: the clocks skip 02:00-03:00; 02:30 is the jump itself (01:00 UTC).
    assert due_at(date(2026, 3, 29), "02:30", PARIS) == utc(2026, 3, 29, 1)
    # 25 October 2026: 02:30 happens twice; the first pass (00:30 UTC).
    assert due_at(date(2026, 10, 25), "02:30", PARIS) == utc(2026, 10, 25, 0, 30)


def test_a_version_published_before_its_time_runs_today_at_it_and_after_it_at_once() -> None:
    morning = utc(2026, 5, 17, 6)  # 08:00 in Paris
    assert first_day(morning, "09:00", PARIS) == (date(2026, 5, 17), utc(2026, 5, 17, 7))
    noon = utc(2026, 5, 17, 10)
    assert first_day(noon, "09:00", PARIS) == (date(2026, 5, 17), noon)
    late_evening = utc(2026, 5, 17, 22, 30)  # 00:30 on the 18th in Paris: that day's, at 09:00
    assert first_day(late_evening, "09:00", PARIS) == (date(2026, 5, 18), utc(2026, 5, 18, 7))


def test_the_next_day_is_due_at_its_time_and_never_before_now() -> None:
    day = date(2026, 12, 31)
    assert next_day(day, "09:00", PARIS, utc(2026, 12, 31, 8)) == (
        date(2027, 1, 1),
        utc(2027, 1, 1, 8),
    )
    catching_up = utc(2027, 1, 3, 12)  # the tick was away for days: each day at once, in turn
    assert next_day(day, "09:00", PARIS, catching_up) == (date(2027, 1, 1), catching_up)
