"""Entry on a date field (`ecrm.journeys.date_entry`): publishing schedules the journey's day,
the tick runs each day at its time in the send policy's zone and queues the day's pages of the
contacts' date index, and the journey queue enters each contact whose date is `days` away,
once, and nobody else: not a date a day off, not a birthday still to come, not an index entry
the contact's field no longer holds; a renewal only in its year; a 29 February on the 28th of
a common year. The re-entry rule holds across years and versions, a page delivered again a
day later enters nobody, a stopped journey enters no more, and a field that is no date field
of the profile schema is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrm.journeys import date_entry, queue_worker
from ecrm.mail import send_policy_view
from ecrm.platform import keys, store
from tests.conftest import table_items
from tests.integration.campaigns.policy_helpers import set_policy
from tests.integration.journeys.conftest import Sent, admin, deliver, messages, subjects
from tests.integration.journeys.dates_world import (
    BIRTHDAY_WEEK_BEFORE,
    Clock,
    date_journey,
    dated,
    day_item,
    drain,
    entered,
    publish,
    tick,
    with_renewal,
)


@pytest.fixture
def now(journey_env: Sent, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def stats_of(journey_id: str) -> dict[str, Any]:
    _, found = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})
    return dict(found["versions"])


def test_a_birthday_journey_enters_the_right_contacts_on_the_right_day_and_nobody_else(
    now: Clock, journey_env: Sent
) -> None:
    ann, bob = dated(2, 0, birthday="1990-05-17")
    [cy] = dated(1, 10, birthday="1985-05-18")  # a day later
    dated(1, 20, birthday="2030-05-17")  # a birthday still to come
    dated(1, 30)  # none
    [gus] = dated(1, 40, birthday="1970-05-17")
    store.write(  # changed, and the stream has not brought it to the index yet
        store.Update(keys.contact(gus), "SET f_birthday = :d", values={":d": "1970-06-01"})
    )
    journey_id = publish(reentry={"mode": "again_after", "days": 300})
    item = day_item(journey_id)
    assert item and (item["day"], item["due_at"]) == ("2026-05-10", "2026-05-10T09:00:00.000Z")

    now.set(2026, 5, 10, 8, 59)
    assert tick().kinds == {} and messages() == []  # not yet
    now.set(2026, 5, 10, 9, 0, 20)
    assert tick().kinds == {"journey_dates": 1}
    assert drain() == 1  # one page (of 05-17)
    assert entered(journey_id) == {ann: "2026-05-10", bob: "2026-05-10"}
    assert day_item(journey_id)["day"] == "2026-05-11"  # type: ignore[index]
    tick()  # their first send is due: handed on as any run
    drain()
    assert subjects(journey_env) == ["Mail welcome-1"] * 2

    now.set(2026, 5, 11, 9, 1)
    tick()
    drain()
    assert entered(journey_id) == {ann: "2026-05-10", bob: "2026-05-10", cy: "2026-05-11"}
    assert stats_of(journey_id)["1"]["first"]["entered"] == 3


def test_the_day_runs_at_its_time_in_the_send_policys_zone(now: Clock, journey_env: Sent) -> None:
    set_policy(quiet=("22:00", "07:00", "Pacific/Auckland"))
    [ann] = dated(1, 0, birthday="1990-05-17")
    entry = {**BIRTHDAY_WEEK_BEFORE, "time": "08:30"}
    journey_id = publish(entry)  # 06:00 UTC on the 10th: 18:00 in Auckland, past 08:30
    item = day_item(journey_id)
    assert item and (item["day"], item["due_at"]) == ("2026-05-10", "2026-05-10T06:00:00.000Z")
    tick()  # at once: today's (Auckland's 10 May) contacts still enter today
    drain()
    assert entered(journey_id) == {ann: "2026-05-10"}
    item = day_item(journey_id)  # 08:30 on 11 May in Auckland (UTC+12) is 20:30 UTC on the 10th
    assert item and (item["day"], item["due_at"]) == ("2026-05-11", "2026-05-10T20:30:00.000Z")
    send_policy_view.forget_cached()


def test_a_renewal_enters_on_its_own_year_only_and_days_after_count_forwards(
    now: Clock, journey_env: Sent
) -> None:
    with_renewal()
    [ann] = dated(1, 0, renewal="2026-05-07")
    dated(1, 10, renewal="2025-05-07")  # last year's
    dated(1, 20, renewal="2027-05-07")  # next year's
    entry = {"date_field": "renewal", "days": 3, "every_year": False}
    journey_id = publish(entry)
    now.set(2026, 5, 10, 9, 0, 5)
    tick()
    drain()
    assert entered(journey_id) == {ann: "2026-05-10"}


def test_a_29_february_birthday_counts_on_the_28th_of_a_common_year(
    now: Clock, journey_env: Sent
) -> None:
    [leap] = dated(1, 0, birthday="2000-02-29")
    [common] = dated(1, 10, birthday="1990-02-28")
    dated(1, 20, birthday="1990-03-01")
    now.set(2027, 2, 28, 6)
    journey_id = publish({"date_field": "birthday", "days": 0, "every_year": True})
    now.set(2027, 2, 28, 9, 0, 5)
    assert tick().kinds == {"journey_dates": 1}
    assert drain() == 2  # a page of 02-28 and one of 02-29
    assert entered(journey_id) == {leap: "2027-02-28", common: "2027-02-28"}


def test_the_reentry_rule_holds_across_years_and_versions(now: Clock, journey_env: Sent) -> None:
    [ann] = dated(1, 0, birthday="1990-05-17")
    once = publish()
    yearly = publish(reentry={"mode": "again_after", "days": 300})
    now.set(2026, 5, 10, 9, 1)
    tick()
    drain()
    tick()  # the first sends
    drain()
    runs = {j: store.get(keys.journey_run(ann, j)) for j in (once, yearly)}
    assert all(r and r["state"] == "ended" for r in runs.values())
    for journey_id in (once, yearly):  # a version published the same day runs today again
        status, _ = admin(
            "POST", "/admin/journeys/{journey_id}/publish", {"journey_id": journey_id}
        )
        assert status == 201
    tick()
    drain()
    assert {j: store.get(keys.journey_run(ann, j)) for j in (once, yearly)} == runs

    now.set(2027, 5, 10, 6)  # a year on: the next version of each, and its first day
    for journey_id in (once, yearly):
        admin("POST", "/admin/journeys/{journey_id}/publish", {"journey_id": journey_id})
    now.set(2027, 5, 10, 9, 1)
    tick()
    drain()
    assert entered(once) == {ann: "2026-05-10"}  # once ever
    assert entered(yearly) == {ann: "2027-05-10"}  # again after 300 days: next birthday


def test_a_days_page_delivered_a_day_later_enters_nobody_again(
    now: Clock, journey_env: Sent
) -> None:
    [ann] = dated(1, 0, birthday="1990-05-17")
    journey_id = publish(reentry={"mode": "again_after", "days": 1})
    now.set(2026, 5, 10, 9, 1)
    tick()
    [page] = messages()
    assert deliver([page]) == set()
    tick()
    drain()
    assert store.get(keys.journey_run(ann, journey_id))["state"] == "ended"  # type: ignore[index]
    now.set(2026, 5, 11, 10)  # past the re-entry's day: only the day's reference keeps it out
    assert queue_worker.consume(json.loads(page["body"])) == "entered 0"
    assert entered(journey_id) == {ann: "2026-05-10"}


def test_a_stopped_journey_enters_no_more_and_its_day_goes(now: Clock, journey_env: Sent) -> None:
    dated(2, 0, birthday="1990-05-17")
    journey_id = publish()
    now.set(2026, 5, 10, 9, 1)
    tick()  # the day's page queued...
    assert admin("POST", "/admin/journeys/{journey_id}/stop", {"journey_id": journey_id})[0] == 200
    drain()  # ...and delivered after the stop: nobody enters
    assert entered(journey_id) == {}
    now.set(2026, 5, 11, 9, 1)
    assert tick().kinds == {"journey_dates": 1} and messages() == []
    assert day_item(journey_id) is None  # no more days


def test_a_version_replaced_by_an_event_entry_runs_no_more_days(
    now: Clock, journey_env: Sent
) -> None:
    dated(1, 0, birthday="1990-05-17")
    journey_id = publish()
    draft = admin("GET", "/admin/journeys/{journey_id}", {"journey_id": journey_id})[1]
    body = {k: draft[k] for k in ("name", "start", "steps", "version")}
    status, _ = admin(
        "PUT",
        "/admin/journeys/{journey_id}",
        {"journey_id": journey_id},
        {**body, "entry": {"event": "confirmed"}},
    )
    assert status == 200
    admin("POST", "/admin/journeys/{journey_id}/publish", {"journey_id": journey_id})
    now.set(2026, 5, 10, 9, 1)
    tick()
    assert messages() == [] and day_item(journey_id) is None and entered(journey_id) == {}


@pytest.mark.parametrize(
    ("entry", "status", "field"),
    [
        # the profile schema's refusals (422), at the entry's field
        ({"date_field": "company", "days": 0, "every_year": True}, 422, "entry.date_field"),
        ({"date_field": "anniversary", "days": 0, "every_year": True}, 422, "entry.date_field"),
        # the model's (400), at the date entry's part of the union
        ({"date_field": "birthday", "days": -367, "every_year": True}, 400, "DateEntry.days"),
        ({"date_field": "birthday", "days": 0}, 400, "DateEntry.every_year"),
        ({"date_field": "birthday", "days": 0, "every_year": 1, "time": "9:00"}, 400, "time"),
    ],
)
def test_an_entry_on_no_date_field_or_out_of_bounds_is_refused_and_nothing_is_written(
    journey_env: Sent, entry: dict[str, Any], status: int, field: str
) -> None:
    before = table_items()
    answer, body = admin("POST", "/admin/journeys", body=date_journey(entry))
    assert answer == status, body
    assert any(f.startswith("entry") and f.endswith(field) for f in body["error"]["fields"]), body
    assert table_items() == before


def test_a_page_that_is_no_date_entrys_is_refused(journey_env: Sent) -> None:
    good = {"kind": "date_entry", "journey_id": "jo_1", "version": 1, "day": "2026-05-10"}
    for bad in (
        {**good, "on": "5-17"},
        {**good, "on": "05-17", "day": "2026-02-30"},
        {**good, "on": "05-17", "version": "1"},
        {**good, "on": "05-17", "start": {"pk": {"N": "1"}}},
    ):
        with pytest.raises(ValueError):
            date_entry.page(bad)
    assert date_entry.page({**good, "on": "05-17"}) == 0  # no such journey: nobody
