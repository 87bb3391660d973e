"""The daily pass of a segment entry with joiners (`ecrm.journeys.joiners_pass`): what the
stream cannot see. A day after publishing (then every day), the tick queues the segment's pages
again and each enters only members owed an entry: one whom time alone made a member (an
activity window passed), one whose change never reached the stream; nobody twice, nobody who
stayed in the segment (with `again_after`: one who came back by time alone enters again), and
no Scan. A stopped or replaced version's passes end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ecrm import due
from ecrm.journeys import joiners_pass
from ecrm.platform import clock, keys, store
from tests.integration.journeys.conftest import Sent, add_contacts, admin, messages, published
from tests.integration.journeys.joiners import joiners_journey, runs_of, segment
from tests.integration.journeys.test_segment_entry import drain, scans

DAY = 86400.0
LAPSED = {"kind": "activity", "event": "engaged", "within_days": 30, "active": False}


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[float], None]]:
    offset = {"s": 0.0}
    monkeypatch.setattr(clock, "now", lambda: time.time() + offset["s"])

    def advance_by(seconds: float) -> None:
        offset["s"] += seconds

    yield advance_by


def engaged(days_ago: float, *, start: int) -> str:
    """A subscribed contact who last opened or clicked `days_ago` days ago (no record)."""
    [contact_id] = add_contacts(1, start=start)
    item = store.get(keys.contact(contact_id))
    assert item is not None
    store.batch_put([{**item, "last_engaged_at": clock.iso(clock.now() - days_ago * DAY)}])
    return contact_id


def tick() -> due.TickResult:
    """The schedule tick, as the first one of a process's day (it reads the last hour)."""
    store.transact([store.Delete(keys.schedule_watermark())])
    return due.tick()


def entered(journey_id: str) -> int:
    _, stats = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})
    return int(stats["versions"]["1"]["first"].get("entered", 0))


def test_the_pass_enters_whom_time_or_a_lost_record_made_a_member_once(
    journey_env: Sent, later: Callable[[float], None]
) -> None:
    seen = scans()
    segment("lapsed", LAPSED)
    lapsed, lapsing, active = (engaged(d, start=n) for n, d in enumerate((40, 29.5, 0)))
    journey_id = published(joiners_journey("lapsed"))
    drain()
    assert set(runs_of(journey_id)) == {lapsed}
    missed = engaged(45, start=10)  # a member whose change never reached the stream
    later(DAY - 120)
    assert tick().kinds.get("joiners_pass") is None  # not due yet
    later(180)
    assert tick().kinds["joiners_pass"] == 1
    drain(times=2)  # every page delivered twice
    runs = runs_of(journey_id)
    assert set(runs) == {lapsed, lapsing, missed}
    assert runs[lapsing]["trigger_ref"] == "segment:lapsed"
    assert entered(journey_id) == 3
    later(DAY)  # the next day: nobody new, nobody twice
    assert tick().kinds["joiners_pass"] == 1
    drain()
    assert set(runs_of(journey_id)) == {lapsed, lapsing, missed} and entered(journey_id) == 3
    assert active not in runs_of(journey_id)
    assert seen == []


def test_with_again_after_one_who_came_back_by_time_enters_again_one_who_stayed_does_not(
    journey_env: Sent, later: Callable[[float], None]
) -> None:
    segment("lapsed", LAPSED)
    stayer, returner = engaged(40, start=0), engaged(29.5, start=1)
    journey_id = published(joiners_journey("lapsed", reentry={"mode": "again_after", "days": 1}))
    drain()
    ended_long_ago = clock.iso(clock.now() - 10 * DAY)
    stayed = {**runs_of(journey_id)[stayer], "state": "ended", "entered_at": ended_long_ago}
    came_back = {**stayed, **keys.journey_run(returner, journey_id), "contact_id": returner}
    store.batch_put([stayed, came_back])  # both ended long ago
    later(DAY + 60)
    tick()
    drain()
    runs = runs_of(journey_id)
    assert runs[stayer]["entered_at"] == ended_long_ago  # in the segment all along
    assert runs[returner]["entered_at"] > ended_long_ago and runs[returner]["state"] == "active"


def pass_item(journey_id: str) -> dict[str, Any]:
    found = store.get(keys.journey_daily(journey_id))
    assert found is not None
    return found


def test_a_stopped_or_replaced_version_has_no_more_passes(
    journey_env: Sent, later: Callable[[float], None]
) -> None:
    segment("lapsed", LAPSED)
    engaged(40, start=0)
    stopped = published(joiners_journey("lapsed", name="Stopped"))
    replaced = published(joiners_journey("lapsed", name="Replaced"))
    kept = published(joiners_journey("lapsed", name="Kept"))
    drain()
    status, _ = admin("POST", "/admin/journeys/{journey_id}/stop", {"journey_id": stopped})
    assert status == 200
    body = joiners_journey("lapsed", name="Replaced", joiners=False)
    status, _ = admin("PUT", "/admin/journeys/{journey_id}", {"journey_id": replaced}, body)
    assert status == 200
    status, _ = admin("POST", "/admin/journeys/{journey_id}/publish", {"journey_id": replaced})
    assert status == 201
    drain()
    later(DAY + 60)
    assert tick().kinds["joiners_pass"] == 3
    pages = {(m["journey_id"], m["version"]) for m in map(_body, messages())}
    assert pages == {(kept, 1)}  # the pages of the one still live with joiners
    assert "gsi1pk" not in pass_item(stopped) and "gsi1pk" not in pass_item(replaced)
    assert pass_item(kept)["due_at"] > clock.iso(clock.now())
    drain()
    later(DAY)
    assert tick().kinds["joiners_pass"] == 1


def _body(record: dict[str, Any]) -> dict[str, Any]:
    import json

    return dict(json.loads(record["body"]))


def test_a_pass_after_its_item_moved_on_does_nothing(journey_env: Sent) -> None:
    segment("lapsed", LAPSED)
    journey_id = published(joiners_journey("lapsed"))
    drain()
    key = keys.journey_daily(journey_id)
    assert not joiners_pass.run_due(key)  # due in a day: a late tick of an old entry
    assert messages() == []
    assert not joiners_pass.run_due(keys.journey_daily("jo_gone"))
