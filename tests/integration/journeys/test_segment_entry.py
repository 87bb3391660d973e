"""Entry by joining a segment (`ecrm.journeys.enrollment`): publishing enrolls the segment's
members page by page through the journey queue, each once however often a page is delivered,
never by a Scan; an unknown segment is refused; the stream enters nobody into such a journey;
a stopped journey enrolls no more."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ecrm import due
from ecrm.journeys import queue_worker
from ecrm.platform import aws, clock, keys, store
from ecrm.segments import audience
from mailing.scheduler import lambda_handler
from tests import events
from tests.integration.campaigns.conftest import admin as mailing_admin
from tests.integration.journeys.conftest import (
    Sent,
    add_contacts,
    admin,
    deliver,
    happen,
    messages,
    published,
    send,
    subjects,
    welcome_series,
)


def segment_journey(segment: str = "acme", **changes: Any) -> dict[str, Any]:
    return welcome_series(
        name="Acme welcome",
        entry={"segment": segment},
        goal=None,
        start="first",
        steps=[send("first", "welcome-1", None)],
        **changes,
    )


@pytest.fixture
def acme(journey_env: Sent, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """17 Acme people on the newsletter (the segment), 4 others, 2 Acme people unsubscribed;
    pages of 3 topic entries, so a shard takes several pages."""
    monkeypatch.setattr(audience, "PAGE_SIZE", 3)
    members = add_contacts(17, company="Acme")
    add_contacts(4, start=100, company="Other")
    add_contacts(2, start=200, company="Acme", status="unsubscribed")
    body = {
        "id": "acme",
        "name": "Acme",
        "topic": "newsletter",
        "conditions": [{"kind": "field", "field": "company", "op": "eq", "value": "Acme"}],
    }
    status, created = mailing_admin("POST", "/admin/segments", body=body)
    assert status == 201, created
    yield members


def scans() -> list[str]:
    seen: list[str] = []
    aws.dynamodb().meta.events.register(
        "before-call.dynamodb.Scan", lambda **_: seen.append("Scan"), unique_id="no-scan"
    )
    return seen


def drain(times: int = 1) -> int:
    """Deliver the journey queue until it is empty, each batch `times` times."""
    delivered = 0
    while records := messages():
        for start in range(0, len(records), 10):
            batch = records[start : start + 10]
            for _ in range(times - 1):  # a redelivery first
                assert lambda_handler({"Records": batch}, events.LambdaContext()) == {
                    "batchItemFailures": []
                }
            assert deliver(batch) == set()
            delivered += len(batch)
    return delivered


def runs_of(journey_id: str, people: list[str]) -> list[str]:
    return [p for p in people if store.get(keys.journey_run(p, journey_id))]


def test_publishing_enrolls_the_segments_members_once_each_without_a_scan(
    acme: list[str], journey_env: Sent
) -> None:
    seen = scans()
    journey_id = published(segment_journey())
    pages = drain(times=2)  # every page delivered twice
    everyone = [keys.contact_id_for(f"person{n}@example.org") for n in (*range(17), 100, 200)]
    assert runs_of(journey_id, everyone) == acme
    assert pages > 8  # a message per page: every shard's first, then the next ones
    _, stats = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})
    assert stats["versions"]["1"]["first"]["entered"] == len(acme)
    assert seen == []
    due.tick(now=clock.now() + 1)  # their first send is due: handed on as any run
    drain()
    mine = [t["contact"] for t in journey_env.tags if t.get("journey") == journey_id]
    assert sorted(mine) == sorted(acme) and subjects(journey_env) == ["Mail welcome-1"] * 17


def test_an_unknown_segment_is_refused_and_the_stream_enters_nobody(acme: list[str]) -> None:
    status, body = admin("POST", "/admin/journeys", body=segment_journey("nobody"))
    assert status == 422 and "entry.segment" in body["error"]["fields"], body
    journey_id = published(segment_journey())
    drain()
    [newcomer] = add_contacts(1, start=300, company="Acme")
    entered, _ = happen(newcomer)  # a confirmation: no event enters a segment's journey
    assert journey_id not in entered
    assert runs_of(journey_id, [newcomer]) == []


def test_a_stopped_journey_enrolls_no_more_pages_and_bad_pages_are_refused(
    acme: list[str],
) -> None:
    journey_id = published(segment_journey())
    status, _ = admin("POST", "/admin/journeys/{journey_id}/stop", {"journey_id": journey_id})
    assert status == 200
    drain()
    assert runs_of(journey_id, acme) == []
    for bad in (
        {"kind": "enroll", "journey_id": journey_id, "version": 1, "shard": 8},
        {"kind": "enroll", "journey_id": journey_id, "version": "1", "shard": 0},
        {"kind": "enroll", "journey_id": journey_id, "version": 1, "shard": 0, "start": "x"},
    ):
        with pytest.raises(ValueError):
            queue_worker.consume(json.loads(json.dumps(bad)))
