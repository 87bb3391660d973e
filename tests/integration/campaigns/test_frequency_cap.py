"""The frequency cap on moto: a campaign skips (reason `frequency_cap`, counted in its stats)
exactly the contacts whose window is full; a sender that counted a mail between another's read
and claim makes that claim read again; two campaigns and an automation racing in threads never
pass the cap; with the cap off nothing is recorded; test sends are never capped."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from ecrm.automations import runs as automation_runs
from ecrm.campaigns import recipients
from ecrm.mail import frequency_cap
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy
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
    had_mails,
    mails_per_contact,
    records,
    set_policy,
)


def send(campaign_id: str) -> None:
    status, body = admin(
        "POST", "/admin/campaigns/{campaign_id}/send", {"campaign_id": campaign_id}
    )
    assert status == 202, body


def ledger(campaign_id: str) -> dict[str, dict[str, Any]]:
    return {
        i["contact_id"]: i
        for i in table_items()
        if i["pk"] == f"CAMPAIGN#{campaign_id}" and i["sk"].startswith("SEND#")
    }


def test_contacts_whose_window_is_full_are_skipped_with_frequency_cap_and_only_they(
    campaign_env: Sent,
) -> None:
    ids = add_contacts(10, first_name="Ann")
    set_policy(cap=(2, 7))
    for contact_id in ids[:4]:
        had_mails(contact_id, 1, 6.5)  # two in the last week: full
    for contact_id in ids[4:6]:
        had_mails(contact_id, 1, 8)  # one of them left the window
    had_mails(ids[6], 3)
    campaign_id = create_campaign()
    send(campaign_id)
    run_queue()

    done = campaign(campaign_id)
    assert done["state"] == "done"
    assert done["stats"]["sent"] == 6
    assert done["stats"]["skipped"] == done["stats"]["skipped_frequency_cap"] == 4
    items = ledger(campaign_id)
    capped = {c for c, i in items.items() if i.get("reason") == "frequency_cap"}
    assert capped == set(ids[:4])
    assert all(items[c]["state"] == "skipped" for c in capped)
    assert set(mails_per_contact(campaign_env)) == set(ids[4:])
    counted = records()
    for contact_id in ids[4:]:  # each send counted, the send that left the window pruned
        assert int(counted[contact_id]["sends"][f"c:{campaign_id}"]) <= clock.now()
    assert set(counted[ids[4]]["sends"]) == {"c:earlier0", f"c:{campaign_id}"}
    assert f"c:{campaign_id}" not in counted[ids[0]]["sends"]


def test_with_the_cap_off_nothing_is_recorded_and_nobody_is_capped(campaign_env: Sent) -> None:
    ids = add_contacts(5)
    had_mails(ids[0], 1, 1, 1, 1)
    campaign_id = create_campaign()
    send(campaign_id)
    run_queue()
    assert campaign(campaign_id)["stats"]["sent"] == 5
    assert set(records()) == {ids[0]}  # only the one written by the test


def test_a_count_made_between_the_read_and_the_claim_is_seen_and_the_recipient_skipped(
    campaign_env: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another sender (an automation, say) counts a mail for the first recipient after this
    batch read the record and before it claims: the claim's condition fails, the record is
    read again, and the recipient, full now, is skipped rather than mailed."""
    ids = add_contacts(3)
    set_policy(cap=(1, 7))
    campaign_id = create_campaign()
    send(campaign_id)
    real_claim = recipients.claim

    def another_sender_first(batch: Any, chunk: list[Any], at: float, cap: Any) -> Any:
        target = next((e for e in chunk if e.contact_id == ids[0]), None)
        if target is not None and not getattr(another_sender_first, "done", False):
            another_sender_first.done = True  # type: ignore[attr-defined]
            store.write(frequency_cap.counted(ids[0], target.mails, at, cap, "a:journey"))
        return real_claim(batch, chunk, at, cap)

    monkeypatch.setattr(recipients, "claim", another_sender_first)
    run_queue()

    assert getattr(another_sender_first, "done", False)
    items = ledger(campaign_id)
    assert items[ids[0]]["state"] == "skipped" and items[ids[0]]["reason"] == "frequency_cap"
    assert set(mails_per_contact(campaign_env)) == set(ids[1:])
    assert set(records()[ids[0]]["sends"]) == {"a:journey"}


def test_a_test_send_is_never_capped(campaign_env: Sent) -> None:
    [contact_id] = add_contacts(1)
    set_policy(cap=(1, 7))
    had_mails(contact_id, 0.1, 0.2)
    campaign_id = create_campaign()
    status, body = admin(
        "POST",
        "/admin/campaigns/{campaign_id}/test",
        {"campaign_id": campaign_id},
        {"to": ["person0@example.org"]},
    )
    assert status == 200, body
    assert len(campaign_env.raw) == 1
    assert int(records()[contact_id]["version"]) == 2  # not counted either


def _in_threads(*work: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def _drain_queue() -> None:
    while records_ := queue_messages(1):
        for record in records_:
            deliver(record)


def test_two_campaigns_and_an_automation_racing_for_the_same_contacts_never_pass_the_cap(
    campaign_env: Sent,
) -> None:
    ids = add_contacts(60, first_name="Ann")
    set_policy(cap=(2, 7))
    first, second = create_campaign(), create_campaign()
    rule_id = automation()
    run_keys = due_runs(rule_id, ids)
    outcomes: list[str] = []

    def journey() -> None:
        for key in run_keys:
            for _ in range(20):
                try:
                    outcomes.append(automation_runs.run(key))
                    break
                except Busy:
                    continue

    send(first)
    send(second)
    _in_threads(_drain_queue, _drain_queue, journey)
    run_queue()  # what the racing pollers left (a batch requeued after they stopped)

    mailed = mails_per_contact(campaign_env)
    assert max(mailed.values()) <= 2
    assert set(mailed) == set(ids) and set(mailed.values()) == {2}  # and nobody lost a place
    for campaign_id in (first, second):
        done = campaign(campaign_id)
        assert done["state"] == "done"
        assert done["stats"]["sent"] + done["stats"]["skipped_frequency_cap"] == len(ids)
    runs = [store.get(key) for key in run_keys]
    sent_runs = sum(1 for r in runs if r and r["state"] == "sent")
    delayed = [r for r in runs if r and r["state"] == "scheduled"]
    assert all(r["delayed_for"] == "frequency_cap" for r in delayed)
    total = sum(campaign(c)["stats"]["sent"] for c in (first, second)) + sent_runs
    assert total == sum(mailed.values()) == 2 * len(ids)
    for contact_id, record in records().items():
        assert len(record["sends"]) == 2, contact_id
    assert keys.marketing_mails(ids[0])["sk"] == "SENDS"
