"""Journeys on moto: a welcome series walks a contact through sends, waits and a branch on
"opened the first mail"; a goal ends the run wherever it is; versions keep runs in flight on
theirs; re-entry rules; per-step stats."""

from __future__ import annotations

import pytest

from ecrm import due
from ecrm.platform import clock, keys
from tests.conftest import table_items
from tests.integration.journeys.conftest import (
    DAY,
    Sent,
    add_contacts,
    admin,
    advance,
    deliver,
    happen,
    messages,
    published,
    run_of,
    ses_event,
    subjects,
    welcome_series,
)


def stats_of(journey_id: str, version: int = 1) -> dict[str, dict[str, int]]:
    status, body = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})
    assert status == 200, body
    return body["versions"][str(version)]


def test_a_contact_who_opened_the_first_mail_gets_the_opened_path(journey_env: Sent) -> None:
    journey_id = published()
    [ann] = add_contacts(1)
    t0 = clock.now()
    assert happen(ann, now=t0) == ([journey_id], [])
    assert advance(ann, journey_id, t0) == "waiting"
    assert subjects(journey_env) == ["Mail welcome-1"]
    assert ses_event(journey_env.tags[0], "Open")
    assert not ses_event(journey_env.tags[0], "Open")  # a redelivered event counts once
    assert advance(ann, journey_id, t0 + 3600) == "waiting"  # the wait is not over
    assert advance(ann, journey_id, t0 + DAY * 60 + 1) == "waiting"
    assert subjects(journey_env) == ["Mail welcome-1", "Mail welcome-2a"]
    assert advance(ann, journey_id, t0 + 3 * DAY * 60 + 2) == "ended"
    assert subjects(journey_env) == ["Mail welcome-1", "Mail welcome-2a", "Mail welcome-3"]
    run = run_of(ann, journey_id)
    assert run["outcome"] == "completed" and "gsi1pk" not in run
    counts = stats_of(journey_id)
    assert counts["first"] == {"entered": 1, "sent": 1, "passed": 1, "opened": 1, "waiting": 0}
    assert "second_b" not in counts
    assert counts["third"]["exited"] == 1 and counts["third"]["sent"] == 1


def test_a_contact_who_did_not_open_gets_the_other_path_and_a_goal_ends_the_run(
    journey_env: Sent,
) -> None:
    journey_id = published()
    [bob] = add_contacts(1)
    t0 = clock.now()
    happen(bob, now=t0)
    advance(bob, journey_id, t0)
    advance(bob, journey_id, t0 + DAY * 60 + 1)
    assert subjects(journey_env) == ["Mail welcome-1", "Mail welcome-2b"]
    assert happen(bob, "custom_event", name="purchased", now=t0 + DAY * 60 + 5) == (
        [],
        [journey_id],
    )
    assert advance(bob, journey_id, t0 + 10 * DAY * 60) == "ended"
    assert len(journey_env.raw) == 2  # the goal ended it: no third mail
    run = run_of(bob, journey_id)
    assert run["outcome"] == "converted"
    counts = stats_of(journey_id)
    assert counts["wait2"] == {"entered": 1, "converted": 1, "waiting": 0}
    # a second goal event converts nothing more
    assert happen(bob, "custom_event", name="purchased") == ([], [])


def test_the_tick_moves_due_runs_through_the_due_index(journey_env: Sent) -> None:
    journey_id = published()
    [ann] = add_contacts(1)
    happen(ann)
    result = due.tick(now=clock.now() + 1)
    assert result.kinds.get("journey_queued") == 1 and result.failed == 0
    assert subjects(journey_env) == []  # handed to the journey queue, whose consumer sends
    assert deliver(messages()) == set()
    assert subjects(journey_env) == ["Mail welcome-1"]
    run = run_of(ann, journey_id)
    assert run["step"] == "wait1" and run["phase"] == "waiting"
    assert run["gsi1pk"] == keys.due_hour(run["due_at"])


def test_once_ever_enters_a_contact_once_and_again_after_n_days_enters_again(
    journey_env: Sent,
) -> None:
    only_third = {"start": "third", "steps": welcome_series()["steps"][-1:]}
    once = published(welcome_series(name="Once", **only_third))
    again = published(
        welcome_series(name="Again", reentry={"mode": "again_after", "days": 2}, **only_third)
    )
    [ann] = add_contacts(1)
    t0 = clock.now()
    assert sorted(happen(ann, now=t0)[0]) == sorted([once, again])
    assert happen(ann, now=t0 + 1)[0] == []  # active runs: at most one per contact
    for journey_id in (once, again):
        assert advance(ann, journey_id, t0 + 2) == "ended"
    assert happen(ann, now=t0 + 86400)[0] == []  # ended, but not 2 days yet
    assert happen(ann, now=t0 + 2 * 86400 + 1)[0] == [again]


def test_runs_in_flight_finish_on_their_version(journey_env: Sent) -> None:
    journey_id = published()
    [ann, bob] = add_contacts(2)
    t0 = clock.now()
    happen(ann, now=t0)
    advance(ann, journey_id, t0)
    changed = welcome_series(
        steps=[*welcome_series()["steps"][:6], {"id": "third", "type": "exit"}]
    )
    status, body = admin(
        "PUT", "/admin/journeys/{journey_id}", {"journey_id": journey_id}, body=changed
    )
    assert status == 200, body
    status, body = admin("POST", "/admin/journeys/{journey_id}/publish", {"journey_id": journey_id})
    assert status == 201 and body["version"] == 2
    happen(bob, now=t0)
    assert run_of(bob, journey_id)["version"] == 2
    for contact in (ann, bob):
        advance(contact, journey_id, t0)
        advance(contact, journey_id, t0 + DAY * 60 + 1)
        advance(contact, journey_id, t0 + 3 * DAY * 60 + 2)
    assert sorted(subjects(journey_env)).count("Mail welcome-3") == 1  # ann's, on version 1
    assert run_of(bob, journey_id)["outcome"] == "exited"


def test_a_split_sends_each_path_its_share_and_a_holdout_ends_at_once(journey_env: Sent) -> None:
    body = welcome_series(
        start="split",
        steps=[
            {
                "id": "split",
                "type": "split",
                "paths": [{"percent": 50, "next": "third"}, {"percent": 50, "next": None}],
            },
            *welcome_series()["steps"][-1:],
        ],
    )
    journey_id = published(body)
    people = add_contacts(40)
    for person in people:
        happen(person)
        advance(person, journey_id, clock.now())
    counts = stats_of(journey_id)
    assert counts["split"]["entered"] == 40
    assert counts["third"]["sent"] == len(journey_env.raw)
    assert counts["split"]["exited"] + counts["third"]["entered"] == 40
    assert 8 <= counts["split"]["exited"] <= 32  # a hash, not a coin: fixed per run


def test_an_unsubscribed_contact_is_skipped_by_marketing_sends_but_not_transactional(
    journey_env: Sent,
) -> None:
    body = welcome_series(
        start="first",
        steps=[
            {**welcome_series()["steps"][0], "next": "third"},
            {**welcome_series()["steps"][-1], "kind": "transactional"},
        ],
    )
    journey_id = published(body)
    [ann] = add_contacts(1, status="unsubscribed")
    happen(ann)
    assert advance(ann, journey_id, clock.now()) == "ended"
    assert subjects(journey_env) == ["Mail welcome-3"]
    counts = stats_of(journey_id)
    assert counts["first"]["skipped"] == 1 and counts["third"]["sent"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": "nowhere"}, "start"),
        ({"steps": [{"id": "first", "type": "wait", "minutes": 5, "next": "first"}]}, "steps"),
        (
            {
                "start": "a",
                "steps": [{"id": "a", "type": "branch", "if": {"opened": "a"}, "yes": None}],
            },
            "steps.0.if",
        ),
        ({"steps": [{"id": "first", "type": "exit"}, {"id": "lost", "type": "exit"}]}, "steps.1"),
        (
            {
                "steps": [
                    {
                        "id": "first",
                        "type": "send",
                        "template_id": "nope",
                        "topic": "t",
                        "sender": {"email": "a@example.com", "name": "A"},
                    }
                ]
            },
            "steps.0.template_id",
        ),
    ],
)
def test_a_journey_that_does_not_walk_is_refused_and_nothing_is_written(
    journey_env: Sent, change: dict[str, object], field: str
) -> None:
    before = table_items()
    status, body = admin("POST", "/admin/journeys", body=welcome_series(**change))
    assert status == 422, body
    assert body["error"]["code"] == "validation_failed"
    assert field in body["error"]["fields"], body
    assert table_items() == before


@pytest.mark.parametrize(
    "hostile",
    [
        {"steps": [{"id": "w", "type": "wait", "minutes": 10**12}]},
        {"steps": [{"id": "x" * 33, "type": "exit"}]},
        {"steps": [{"id": f"s{n}", "type": "exit"} for n in range(41)]},
        {"name": "x" * 201},
        {"steps": [{"id": "s", "type": "split", "paths": [{"percent": 90}, {"percent": 20}]}]},
        {"reentry": {"mode": "again_after"}},
        {"entry": {"event": "stage_reached"}},
        {"steps": [{"id": "s", "type": "teleport"}]},
    ],
)
def test_hostile_values_are_refused_with_a_stable_body(
    journey_env: Sent, hostile: dict[str, object]
) -> None:
    before = table_items()
    status, body = admin("POST", "/admin/journeys", body=welcome_series(**hostile))
    # a body off its schema is 400 malformed_request; a schema-valid body that fails a rule, 422
    codes = {400: "malformed_request", 422: "validation_failed"}
    assert codes.get(status) == body["error"]["code"] and body["error"]["fields"], body
    assert table_items() == before


def test_viewers_read_journeys_and_may_not_write_them(journey_env: Sent) -> None:
    from tests.integration.journeys.conftest import VIEWER

    journey_id = published()
    status, body = admin("GET", "/admin/journeys", claims=VIEWER)
    assert status == 200 and [j["id"] for j in body["items"]] == [journey_id]
    assert body["items"][0]["live_version"] == 1
    before = table_items()
    for method, resource in (
        ("POST", "/admin/journeys"),
        ("PUT", "/admin/journeys/{journey_id}"),
        ("POST", "/admin/journeys/{journey_id}/publish"),
        ("POST", "/admin/journeys/{journey_id}/stop"),
    ):
        status, body = admin(
            method, resource, {"journey_id": journey_id}, body=welcome_series(), claims=VIEWER
        )
        assert status == 403, (method, resource, body)
    assert table_items() == before


def test_a_stale_edit_is_refused_and_a_stopped_journey_enters_no_one(journey_env: Sent) -> None:
    journey_id = published()
    path = {"journey_id": journey_id}
    status, body = admin("PUT", "/admin/journeys/{journey_id}", path, welcome_series(version=7))
    assert status == 409 and body["error"]["code"] == "conflict"
    status, body = admin("POST", "/admin/journeys/{journey_id}/stop", path)
    assert status == 200 and body["live_version"] is None
    [ann] = add_contacts(1)
    assert happen(ann) == ([], [])
    status, body = admin(
        "GET", "/admin/journeys/{journey_id}/versions/{version}", {**path, "version": "1"}
    )
    assert status == 200 and body["version"] == 1
    status, body = admin(
        "GET", "/admin/journeys/{journey_id}/versions/{version}", {**path, "version": "9"}
    )
    assert status == 404
