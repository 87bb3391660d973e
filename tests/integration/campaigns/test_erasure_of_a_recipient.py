"""Erasing a recipient of a campaign (issue 14, point 8): afterwards no campaign item (audience
page, page cursor, ledger, marker) holds the address, the name or the plain contact id, whether
the campaign is done or still sending with the person's batch not yet sent; counts stay right and
nobody is mailed twice, nor the erased person after the erasure."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from ecrm.account import personal_data
from ecrm.platform import keys
from ecrm.segments import audience
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

NAME = "Quentinella"
OTHERS = 12


def _shard(contact_id: str) -> str:
    return keys.topic_membership(contact_id, "newsletter")["gsi1pk"]


def _target_number() -> int:
    """An address whose topic shard holds another member after it (so a page cursor, the
    last member a page read, names it when a page holds one member)."""
    ids = [keys.contact_id_for(f"person{n}@example.org") for n in range(OTHERS)]
    for number in range(100, 1000):
        mine = keys.contact_id_for(f"person{number}@example.org")
        shard = _shard(mine)
        if any(_shard(i) == shard and i > mine for i in ids):
            return number
    raise AssertionError("no such address")


TARGET = _target_number()
ADDRESS = f"person{TARGET}@example.org"
# A condition, so that pages hold the addresses as planned.
ACME = [{"kind": "field", "field": "company", "op": "eq", "value": "Acme"}]


def population() -> tuple[list[str], str]:
    others = add_contacts(OTHERS, company="Acme", first_name="Bo")
    (target,) = add_contacts(1, start=TARGET, company="Acme", first_name=NAME)
    return others, target


def assert_nothing_names(target: str) -> None:
    everything = json.dumps(table_items(), default=str)
    for trace in (ADDRESS, target, NAME):
        assert trace not in everything, trace


def assert_each_mailed_once(sent: Sent, others: list[str]) -> None:
    mailed = Counter(sent.recipients())
    assert ADDRESS not in mailed
    assert mailed == Counter(f"person{n}@example.org" for n in range(len(others)))


def test_erasing_a_recipient_of_a_finished_campaign_leaves_no_trace_and_counts(
    campaign_env: Sent,
) -> None:
    _, target = population()
    campaign_id = create_campaign(conditions=ACME)
    admin("POST", "/admin/campaigns/{campaign_id}/send", {"campaign_id": campaign_id})
    run_queue()
    before = campaign(campaign_id)
    assert before["state"] == "done" and before["stats"]["sent"] == OTHERS + 1

    personal_data.erase(target)

    assert_nothing_names(target)
    after = campaign(campaign_id)
    assert after["stats"] == before["stats"]


def _held(record: dict[str, Any], target: str) -> bool:
    """The batch that holds the target, and the plan of the page after the target's."""
    body = json.loads(record["body"])
    if body["kind"] == "batch":
        return any(r[0] == target for r in body["recipients"])
    return target in str(body.get("start"))


@pytest.mark.parametrize("paused", [False, True])
def test_erasing_a_recipient_whose_batch_is_not_sent_yet_leaves_no_trace_and_counts(
    campaign_env: Sent, monkeypatch: pytest.MonkeyPatch, paused: bool
) -> None:
    """One topic member per page: the target's page cursor names it too. Its batch and the plan
    of the next page wait in the queue (and are delivered again later, as SQS may), the
    erasure comes, then the send finishes (after a pause and a resume, which plans again)."""
    monkeypatch.setattr(audience, "PAGE_SIZE", 1)
    others, target = population()
    campaign_id = create_campaign(conditions=ACME)
    path = {"campaign_id": campaign_id}
    admin("POST", "/admin/campaigns/{campaign_id}/send", path)
    held = []
    while records := queue_messages(10):
        for record in records:
            if _held(record, target):
                held.append(record)
            else:
                deliver(record)
    assert len(held) == 2, "the target's batch and the next page's plan wait"
    assert campaign(campaign_id)["state"] == "sending"
    if paused:
        assert admin("POST", "/admin/campaigns/{campaign_id}/pause", path)[0] == 200

    personal_data.erase(target)
    assert_nothing_names(target)

    if paused:
        assert admin("POST", "/admin/campaigns/{campaign_id}/resume", path)[0] == 200
    for record in held:  # the messages planned before the erasure, delivered late
        deliver(record)
    run_queue()
    for record in held:  # and once more, as a redelivery
        deliver(record, delete=False)
    run_queue()

    done = campaign(campaign_id)
    assert done["state"] == "done"
    progress, stats = done["progress"], done["stats"]
    assert (progress["audience"], progress["processed"]) == (OTHERS + 1, OTHERS + 1)
    assert (stats["sent"], stats["skipped"], stats["failed"]) == (OTHERS, 1, 0)
    assert_each_mailed_once(campaign_env, others)
    assert_nothing_names(target)
