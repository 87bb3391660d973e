"""Quiet hours on moto: a campaign sent at 22:00 in Paris mails its New York recipients (16:00
there) at once and holds the others, nothing claimed, until 08:00 Paris, when the schedule tick
puts their batches back on the queue; each recipient gets one mail, whatever crashes between;
an automation run due in quiet hours is delayed to their end; a test send is never held."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from ecrm import due
from ecrm.automations import runs as automation_runs
from ecrm.platform import clock, keys, store
from local.faults import Faults, Kill, Killed
from tests.conftest import table_items
from tests.integration.campaigns.conftest import (
    Sent,
    add_contacts,
    admin,
    campaign,
    create_campaign,
    deliver,
    queue_messages,
    run_queue,
)
from tests.integration.campaigns.policy_helpers import (
    automation,
    due_runs,
    mails_per_contact,
    set_policy,
)

EVENING = datetime(2026, 6, 10, 20, 0, tzinfo=UTC).timestamp()  # 22:00 in Paris, 16:00 in NY
MORNING = datetime(2026, 6, 11, 6, 0, tzinfo=UTC).timestamp()  # 08:00 in Paris


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Set the product's clock (epoch seconds)."""
    moment = {"t": EVENING}
    monkeypatch.setattr(clock, "now", lambda: moment["t"])

    def move(to: float) -> None:
        moment["t"] = to

    return move


def waits() -> list[dict[str, Any]]:
    return [i for i in table_items() if i.get("type") == "campaign_wait"]


def start(campaign_env: Sent) -> tuple[str, list[str], list[str]]:
    new_york = add_contacts(6, start=0, time_zone="America/New_York")
    paris = add_contacts(6, start=10)  # no zone of their own: the account's, Paris
    set_policy(quiet=("21:00", "08:00", "Europe/Paris"))
    campaign_id = create_campaign()
    status, body = admin(
        "POST", "/admin/campaigns/{campaign_id}/send", {"campaign_id": campaign_id}
    )
    assert status == 202, body
    return campaign_id, new_york, paris


def test_recipients_in_quiet_hours_wait_for_their_end_and_the_others_are_mailed_now(
    campaign_env: Sent, at: Callable[[float], None]
) -> None:
    campaign_id, new_york, paris = start(campaign_env)
    run_queue()

    assert set(mails_per_contact(campaign_env)) == set(new_york)
    held = waits()
    assert held and {w["due_at"] for w in held} == {"2026-06-11T06:00:00.000Z"}
    assert all("contact" not in str(w) and "@" not in str(w) for w in held)  # batch ids only
    ledgered = {i["contact_id"] for i in table_items() if i["sk"].startswith("SEND#")}
    assert not ledgered & set(paris)  # nothing claimed, nothing counted for them
    assert campaign(campaign_id)["state"] == "sending"

    at(MORNING - 60)
    assert due.tick().kinds.get("campaign_wait") is None  # not yet
    assert run_queue() == 0
    at(MORNING + 30)
    assert due.tick().kinds["campaign_wait"] == len(held)
    run_queue()

    mailed = mails_per_contact(campaign_env)
    assert set(mailed) == set(new_york + paris) and set(mailed.values()) == {1}
    done = campaign(campaign_id)
    assert done["state"] == "done" and done["stats"]["sent"] == 12
    assert all("gsi1pk" not in w for w in waits())
    assert due.tick().kinds.get("campaign_wait") is None  # released once


def _is_hold(operation: str, params: dict[str, Any]) -> bool:
    sort_key = params.get("Item", {}).get("sk", {}).get("S", "")
    return operation == "PutItem" and sort_key.startswith(keys.CAMPAIGN_WAITS)


def _is_release(operation: str, params: dict[str, Any]) -> bool:
    sort_key = params.get("Key", {}).get("sk", {}).get("S", "")
    return operation == "UpdateItem" and sort_key.startswith(keys.CAMPAIGN_WAITS)


def test_killed_after_the_hold_or_before_the_release_nothing_is_lost_or_doubled(
    campaign_env: Sent, at: Callable[[float], None]
) -> None:
    campaign_id, new_york, paris = start(campaign_env)
    injected = Faults(kills=[Kill(_is_hold, "after"), Kill(_is_release, "before")])
    injected.install()
    try:
        kills = 0
        while records := queue_messages(10):
            for record in records:
                while True:  # a killed invocation's message comes back (the same record)
                    try:
                        deliver(record)
                        break
                    except Killed:
                        kills += 1
                        injected.revive()
        at(MORNING + 30)
        for _ in range(3):  # the tick that died before its release is run again
            try:
                due.tick()
            except Killed:
                kills += 1
                injected.revive()
            run_queue()
    finally:
        injected.uninstall()
    assert kills == 2
    mailed = mails_per_contact(campaign_env)
    assert set(mailed) == set(new_york + paris) and set(mailed.values()) == {1}
    assert campaign(campaign_id)["state"] == "done"


def test_an_automation_run_due_in_quiet_hours_is_delayed_to_their_end(
    campaign_env: Sent, at: Callable[[float], None]
) -> None:
    [paris] = add_contacts(1, start=10)
    [new_york] = add_contacts(1, start=0, time_zone="America/New_York")
    create_campaign()  # the template "news"
    set_policy(quiet=("21:00", "08:00", "Europe/Paris"))
    rule_id = automation()
    held, free = due_runs(rule_id, [paris, new_york])

    assert automation_runs.run(held) == "scheduled"
    assert automation_runs.run(free) == "sent"
    run = store.get(held)
    assert run is not None
    assert run["due_at"] == "2026-06-11T06:00:00.000Z" and run["delayed_for"] == "quiet_hours"
    assert run["gsi1pk"] == keys.due_hour(run["due_at"])
    assert set(mails_per_contact(campaign_env)) == {new_york}

    at(MORNING + 30)
    due.tick()
    assert store.get(held)["state"] == "sent"  # type: ignore[index]
    assert mails_per_contact(campaign_env) == {new_york: 1, paris: 1}


def test_a_test_send_in_quiet_hours_goes_at_once(
    campaign_env: Sent, at: Callable[[float], None]
) -> None:
    add_contacts(1, start=10)
    set_policy(quiet=("21:00", "08:00", "Europe/Paris"))
    campaign_id = create_campaign()
    status, body = admin(
        "POST",
        "/admin/campaigns/{campaign_id}/test",
        {"campaign_id": campaign_id},
        {"to": ["person10@example.org"]},
    )
    assert status == 200, body
    assert len(campaign_env.raw) == 1
