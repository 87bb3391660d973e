"""A campaign from the marketer API to SES: fan-out through the queue, each recipient once,
only those who may be mailed, with the list headers and tags the SES events need."""

from __future__ import annotations

from typing import Any

from ecrm.contacts import suppression
from ecrm.platform import keys, store
from tests.integration.campaigns.conftest import (
    Sent,
    add_contacts,
    admin,
    campaign,
    create_campaign,
    run_queue,
)


def test_a_campaign_reaches_each_subscribed_member_of_its_topic_once(campaign_env: Sent) -> None:
    members = add_contacts(120, first_name="Ann", company="Acme")
    add_contacts(30, topic="events", start=500)  # another topic: not in the audience
    campaign_id = create_campaign()

    status, body = admin(
        "POST", "/admin/campaigns/{campaign_id}/send", {"campaign_id": campaign_id}
    )
    assert status == 202 and body["state"] == "sending"
    run_queue()

    assert sorted(campaign_env.recipients()) == sorted(f"person{n}@example.org" for n in range(120))
    done = campaign(campaign_id)
    assert done["state"] == "done"
    assert done["progress"] == {
        "audience": 120,
        "processed": 120,
        "planning_complete": True,
        "percent": 100.0,
    }
    assert done["stats"]["sent"] == 120
    assert {t["campaign"] for t in campaign_env.tags} == {campaign_id}
    assert sorted(t["contact"] for t in campaign_env.tags) == sorted(members)
    assert set(campaign_env.configuration_sets) == {campaign_env.configuration_sets[0]}
    assert campaign_env.configuration_sets[0]


def test_who_unsubscribed_or_was_suppressed_before_the_send_is_skipped(campaign_env: Sent) -> None:
    ids = add_contacts(10)
    store.write(
        store.Update(
            keys.contact(ids[0]),
            "SET #s = :u",
            names={"#s": "status"},
            values={":u": "unsubscribed"},
        )
    )
    store.write(suppression.suppress("person1@example.org", "bounce", "2026-01-01T00:00:00.000Z"))
    campaign_id = create_campaign()
    admin("POST", "/admin/campaigns/{campaign_id}/send", {"campaign_id": campaign_id})
    # Between planning and sending: one more leaves the topic.
    store.write(
        store.Update(keys.contact(ids[2]), "DELETE topics :t", values={":t": {"newsletter"}})
    )
    run_queue()

    assert sorted(campaign_env.recipients()) == sorted(
        f"person{n}@example.org" for n in range(3, 10)
    )
    stats: dict[str, Any] = campaign(campaign_id)["stats"]
    # A segment without conditions plans the whole topic; who may be mailed is decided at send time.
    assert (stats["sent"], stats["skipped"]) == (7, 3)
