"""The frequency cap on automation runs: a run for a contact whose window is full is delayed to
the moment it frees (its due entry moved), sent then, and skipped with reason `frequency_cap`
once it has waited a whole period; a mail counted by another sender between the run's read and
its claim makes it judge again instead of passing the cap."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from ecrm import due
from ecrm.automations import runs as automation_runs
from ecrm.mail import frequency_cap, pacing, send_policy_view
from ecrm.platform import clock, keys, store
from tests.integration.campaigns.conftest import Sent, add_contacts, create_campaign
from tests.integration.campaigns.policy_helpers import (
    DAY,
    automation,
    due_runs,
    had_mails,
    mails_per_contact,
    records,
    set_policy,
)


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    offset = {"s": 0.0}
    monkeypatch.setattr(clock, "now", lambda: time.time() + offset["s"])

    def advance(seconds: float) -> None:
        offset["s"] += seconds

    return advance


def test_a_capped_run_waits_for_the_window_to_free_and_is_sent_then(
    campaign_env: Sent, later: Callable[[float], None]
) -> None:
    [contact_id] = add_contacts(1)
    create_campaign()
    set_policy(cap=(2, 7))
    had_mails(contact_id, 1, 3)  # full until the older one is 7 days old: in 4 days
    [key] = due_runs(automation(), [contact_id])

    assert automation_runs.run(key) == "scheduled"
    run = store.get(key)
    assert run is not None and run["delayed_for"] == "frequency_cap" and run["delays"] == 1
    wait = datetime_of(run["due_at"]) - clock.now()
    assert 4 * DAY - 60 < wait < 4 * DAY + 60
    assert run["gsi1pk"] == keys.due_hour(run["due_at"])
    assert not campaign_env.raw

    later(4 * DAY + 120)
    due.tick()
    assert store.get(key)["state"] == "sent"  # type: ignore[index]
    assert mails_per_contact(campaign_env) == {contact_id: 1}
    assert len(records()[contact_id]["sends"]) == 2  # the 3-day-old one, and this


def test_a_run_still_capped_after_a_whole_period_is_skipped(
    campaign_env: Sent, later: Callable[[float], None]
) -> None:
    [contact_id] = add_contacts(1)
    create_campaign()
    set_policy(cap=(1, 7))
    had_mails(contact_id, 0.5)
    [key] = due_runs(automation(), [contact_id])
    assert automation_runs.run(key) == "scheduled"

    later(7 * DAY + 120)  # a whole period on, another campaign has just mailed the contact
    had_mails(contact_id, 0.01)
    assert automation_runs.run(key) == "skipped"
    run = store.get(key)
    assert run is not None and run["state"] == "skipped" and run["reason"] == "frequency_cap"
    assert not campaign_env.raw


def test_a_count_made_while_the_run_waited_for_its_pace_makes_it_judge_again(
    campaign_env: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    [contact_id] = add_contacts(1)
    create_campaign()
    set_policy(cap=(1, 7))
    [key] = due_runs(automation(), [contact_id])
    real_wait = pacing.wait_until
    cap = send_policy_view.FrequencyCap(1, 7)

    def meanwhile_a_campaign_counts(at: float) -> None:  # between the read and the claim
        seen = frequency_cap.Seen.from_item(store.get(keys.marketing_mails(contact_id)))
        store.write(frequency_cap.counted(contact_id, seen, clock.now(), cap, "c:other"))
        monkeypatch.setattr(pacing, "wait_until", real_wait)
        real_wait(at)

    monkeypatch.setattr(pacing, "wait_until", meanwhile_a_campaign_counts)
    assert automation_runs.run(key) == "scheduled"

    assert not campaign_env.raw
    run = store.get(key)
    assert run is not None and run["state"] == "scheduled" and run["delayed_for"] == "frequency_cap"
    assert set(records()[contact_id]["sends"]) == {"c:other"}


def datetime_of(at: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
