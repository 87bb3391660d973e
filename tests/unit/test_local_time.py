"""A campaign's local time as arithmetic: whose zone (own, country, account), each zone's
moment on DST days (a skipped time is the jump, a repeated one its first pass), the campaign's
first and last moments anywhere, and a page's recipients cut into one wave per batch."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from ecrm.campaigns.local_time import LocalTime, waves
from ecrm.mail import zones


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_the_own_zone_wins_then_a_single_zone_country_then_the_account() -> None:
    def key(contact: dict[str, object] | None, default: str = "Europe/Paris") -> str:
        return zones.zone_of(contact, default).key

    assert key({"f_time_zone": "Asia/Tokyo", "f_country": "FR"}) == "Asia/Tokyo"
    assert key({"f_time_zone": "Mars/Base", "f_country": "jp"}) == "Asia/Tokyo"
    assert key({"f_country": " de "}) == "Europe/Berlin"
    for several_or_none in ("US", "CA", "BR", "RU", "AU", "ES", "XX", "FRA", "", 7, None):
        assert key({"f_country": several_or_none}) == "Europe/Paris"
    assert key(None, "Not/AZone") == "UTC"


def test_every_country_zone_is_a_zone_this_machine_knows() -> None:
    assert all(zones.zone(name) is not None for name in zones.COUNTRY_ZONES.values())


def test_nine_local_is_a_different_instant_in_each_zone() -> None:
    spec = LocalTime(9 * 60, date(2026, 12, 8))
    assert spec.at(zones.zone("Asia/Tokyo")) == utc("2026-12-08T00:00:00")
    assert spec.at(zones.zone("Europe/Paris")) == utc("2026-12-08T08:00:00")
    assert spec.at(zones.zone("America/New_York")) == utc("2026-12-08T14:00:00")
    assert spec.at(zones.zone("Asia/Kathmandu")) == utc("2026-12-08T03:15:00")
    assert spec.first() == utc("2026-12-07T19:00:00")  # UTC+14
    assert spec.last() == utc("2026-12-08T21:00:00")  # UTC-12
    assert LocalTime.of({"local_time": spec.item()}) == spec
    assert LocalTime.of({}) is None


@pytest.mark.parametrize(
    ("day", "hh_mm", "expected"),
    [
        ("2027-03-28", "09:00", "2027-03-28T07:00:00"),  # Paris springs forward: UTC+2 now
        ("2027-03-28", "02:30", "2027-03-28T01:00:00"),  # skipped: the jump (03:00 CEST)
        ("2027-10-31", "02:30", "2027-10-31T00:30:00"),  # repeated: its first pass (CEST)
        ("2027-10-31", "09:00", "2027-10-31T08:00:00"),  # back to UTC+1
    ],
)
def test_daylight_saving_days_follow_the_wall_clock(day: str, hh_mm: str, expected: str) -> None:
    hours, minutes = (int(p) for p in hh_mm.split(":"))
    spec = LocalTime(hours * 60 + minutes, date.fromisoformat(day))
    assert spec.at(zones.zone("Europe/Paris")) == utc(expected)


def test_a_page_is_cut_into_batches_of_one_wave_each_in_equal_parts() -> None:
    recipients = [[f"c{n}", ""] for n in range(130)]
    moment = {f"c{n}": (3.0 if n % 3 == 0 else 1.0 if n % 3 == 1 else 2.0) for n in range(130)}

    ordered, bounds = waves(recipients, moment, 20)

    assert sorted(map(tuple, ordered)) == sorted(map(tuple, recipients))
    assert [moment[r[0]] for r in ordered] == sorted(moment[r[0]] for r in ordered)
    for start, end, at in bounds:
        assert {moment[r[0]] for r in ordered[start:end]} == {at}
        assert end - start <= 20
    assert [b for a, b, _ in bounds][-1] == 130
    assert all(a == b for (_, a, _), (b, _, _) in itertools.pairwise(bounds))
    per_wave = {at: [e - s for s, e, t in bounds if t == at] for at in (1.0, 2.0, 3.0)}
    assert per_wave[3.0] == [15, 15, 14]  # 44 in three parts, not 20 + 20 + 4
