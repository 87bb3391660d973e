"""What the console's Journeys screen reads and asks beyond the CLI: the list counts each
journey's entries and conversions over every version (one Query of the counters), and a
publish names the draft's edit counter read, so a draft someone saved since is refused (409)
and nothing is published."""

from __future__ import annotations

import json
from typing import Any

from ecrm.platform import clock
from tests import events
from tests.conftest import table_items
from tests.integration.journeys.conftest import (
    DAY,
    MARKETER,
    Sent,
    add_contacts,
    admin,
    advance,
    happen,
    published,
    welcome_series,
)


def publish(journey_id: str, seen: int) -> tuple[int, Any]:
    from mailing.automations_api import lambda_handler

    event = events.api("POST", "/admin/journeys/{journey_id}/publish", {"journey_id": journey_id})
    event["queryStringParameters"] = {"version": str(seen)}
    event["multiValueQueryStringParameters"] = {"version": [str(seen)]}
    event["requestContext"]["authorizer"] = {"claims": MARKETER}
    response = lambda_handler(event, events.LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def listed(journey_id: str) -> dict[str, Any]:
    status, body = admin("GET", "/admin/journeys")
    assert status == 200, body
    [found] = [j for j in body["items"] if j["id"] == journey_id]
    return dict(found)


def test_the_list_counts_entries_and_conversions_over_every_version(journey_env: Sent) -> None:
    journey_id = published()
    assert (listed(journey_id)["entered"], listed(journey_id)["converted"]) == (0, 0)
    ann, bob, cy = add_contacts(3)
    t0 = clock.now()
    for contact in (ann, bob):
        happen(contact, now=t0)
        advance(contact, journey_id, t0)  # mail 1 sent: passed on to the wait
    happen(bob, "custom_event", name="purchased", now=t0 + 5)
    # version 2 starts elsewhere (a wait first): its entries count at its own start
    body = welcome_series(start="pause", version=1)
    body["steps"] = [{"id": "pause", "type": "wait", "minutes": DAY, "next": "first"}] + body[
        "steps"
    ]
    status, saved = admin("PUT", "/admin/journeys/{journey_id}", {"journey_id": journey_id}, body)
    assert status == 200, saved
    assert publish(journey_id, saved["version"])[0] == 201
    happen(cy, now=t0 + 10)
    found = listed(journey_id)
    assert (found["entered"], found["converted"]) == (3, 1)
    assert found["live_version"] == 2 and found["name"] == "Welcome series"


def test_a_publish_of_a_draft_saved_since_it_was_read_is_refused(journey_env: Sent) -> None:
    journey_id = published()
    path = {"journey_id": journey_id}
    status, saved = admin(
        "PUT", "/admin/journeys/{journey_id}", path, welcome_series(name="Renamed", version=1)
    )
    assert status == 200 and saved["version"] == 2
    before = table_items()
    status, body = publish(journey_id, 1)  # the marketer read version 1 of the draft
    assert status == 409 and body["error"]["code"] == "conflict", body
    assert table_items() == before
    status, body = publish(journey_id, 2)
    assert status == 201 and body["version"] == 2 and body["name"] == "Renamed"
