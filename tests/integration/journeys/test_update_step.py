"""`update` steps: a journey sets profile fields and takes topics away, in the run's own move
(exactly once: the contact's `version` goes up once, whatever is killed); it gives a topic back
only where a journey took it away from a contact still subscribed, never subscribing anyone
who did not consent; bad steps are refused on save naming the step, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ecrm.journeys import send_step
from ecrm.platform import aws, clock, keys, store
from ecrm.platform.errors import Busy
from local.faults import Faults, Kill, Killed
from tests.conftest import table_items
from tests.integration.journeys.conftest import (
    Sent,
    add_contacts,
    admin,
    advance,
    happen,
    published,
    run_of,
    welcome_series,
)


def updating(*steps: dict[str, Any]) -> dict[str, Any]:
    chained = [{**s, "id": f"u{n}", "next": f"u{n + 1}"} for n, s in enumerate(steps)]
    chained[-1]["next"] = None
    return welcome_series(goal=None, start="u0", steps=chained)


def update(**change: Any) -> dict[str, Any]:
    return {"type": "update", **change}


def contact(contact_id: str) -> dict[str, Any]:
    found = store.get(keys.contact(contact_id))
    assert found is not None
    return found


def membership(contact_id: str, topic: str) -> dict[str, Any] | None:
    key = keys.topic_membership(contact_id, topic)
    return store.get({"pk": key["pk"], "sk": key["sk"]})


def stats_of(journey_id: str) -> dict[str, dict[str, int]]:
    status, body = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})
    assert status == 200, body
    return body["versions"]["1"]


def walk_through(person: str, journey_id: str) -> str:
    t0 = clock.now()
    happen(person, now=t0)
    return advance(person, journey_id, t0)


def test_fields_are_set_and_a_topic_taken_away_in_the_runs_move(journey_env: Sent) -> None:
    journey_id = published(
        updating(
            update(set={"company": "  Acme  ", "role": "sales"}, remove_topic="newsletter"),
        )
    )
    [ann] = add_contacts(1)
    assert walk_through(ann, journey_id) == "ended"
    found = contact(ann)
    assert (found["f_company"], found["f_role"]) == ("Acme", "sales")  # normalised on save
    assert "newsletter" not in (found.get("topics") or set())
    left = membership(ann, "newsletter")
    assert left and "gsi1pk" not in left and left["left_at"] == left["journey_left_at"]
    assert found["version"] == 1
    assert stats_of(journey_id)["u0"] == {"entered": 1, "updated": 1, "exited": 1, "waiting": 0}


def test_a_topic_a_journey_took_away_is_given_back_and_nothing_else_is(journey_env: Sent) -> None:
    journey_id = published(
        updating(update(remove_topic="newsletter"), update(add_topic="newsletter"))
    )
    [ann, bob, cat, dan] = add_contacts(4, topic="events")
    store.batch_put(  # ann: newsletter taken away by a journey before; bob: he left it himself
        [
            {
                **membership_key(ann, "newsletter"),
                "type": "topic_membership",
                "topic": "newsletter",
                "left_at": "2026-01-01T00:00:00Z",
                "journey_left_at": "2026-01-01T00:00:00Z",
            },
            {
                **membership_key(bob, "newsletter"),
                "type": "topic_membership",
                "topic": "newsletter",
                "left_at": "2026-02-01T00:00:00Z",
                "journey_left_at": "2026-01-01T00:00:00Z",
            },
            {**contact(dan), "status": "unsubscribed"},
            {
                **membership_key(dan, "newsletter"),
                "type": "topic_membership",
                "topic": "newsletter",
                "left_at": "2026-01-01T00:00:00Z",
                "journey_left_at": "2026-01-01T00:00:00Z",
            },
        ]
    )
    before = {p: (contact(p), membership(p, "newsletter")) for p in (bob, cat, dan)}
    for person in (ann, bob, cat, dan):
        assert walk_through(person, journey_id) == "ended"
    assert "newsletter" in contact(ann)["topics"]
    back = membership(ann, "newsletter")
    assert back and back["gsi1pk"].startswith("TOPIC#newsletter#") and "left_at" not in back
    for person in (bob, cat, dan):  # never consented, left it themselves, unsubscribed
        assert (contact(person), membership(person, "newsletter")) == before[person]
    counts = stats_of(journey_id)["u1"]
    assert (counts["updated"], counts["refused"], counts["unchanged"]) == (1, 3, 3)


def membership_key(contact_id: str, topic: str) -> dict[str, str]:
    key = keys.topic_membership(contact_id, topic)
    return {"pk": key["pk"], "sk": key["sk"]}


def test_a_journey_removes_then_gives_back_a_topic_a_person_had(journey_env: Sent) -> None:
    journey_id = published(
        updating(
            update(remove_topic="newsletter"),
            {"type": "wait", "minutes": 60},
            update(add_topic="newsletter"),
        )
    )
    [eve] = add_contacts(1)
    t0 = clock.now()
    happen(eve, now=t0)
    assert advance(eve, journey_id, t0) == "waiting"
    assert "newsletter" not in (contact(eve).get("topics") or set())
    assert advance(eve, journey_id, t0 + 3601) == "ended"
    assert "newsletter" in contact(eve)["topics"]
    assert contact(eve)["version"] == 2
    assert run_of(eve, journey_id)["outcome"] == "completed"


@pytest.mark.parametrize(
    ("step", "field"),
    [
        (update(set={"shoe_size": "42"}), "steps.0.set.shoe_size"),
        (update(set={"role": "astronaut"}), "steps.0.set.role"),
        (update(set={"company": ""}), "steps.0.set.company"),
        (update(add_topic="secret-list"), "steps.0.add_topic"),
        (update(), "steps.0"),
        (update(add_topic="events", remove_topic="events"), "steps.0"),
        (update(set={"Bad-Name": "x"}), "steps.0"),
    ],
)
def test_a_bad_update_step_is_refused_naming_the_step_and_nothing_is_written(
    journey_env: Sent, step: dict[str, Any], field: str
) -> None:
    before = table_items()
    status, body = admin("POST", "/admin/journeys", body=updating(step))
    assert status in (400, 422), body
    assert any(f.startswith(field) for f in body["error"]["fields"]), body
    assert table_items() == before


def test_a_contact_changed_meanwhile_is_updated_on_the_next_try(
    journey_env: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    journey_id = published(updating(update(set={"company": "Acme"})))
    [fay] = add_contacts(1)
    t0 = clock.now()
    happen(fay, now=t0)
    real_get = store.get

    def get_then_edit(key: Any, **kw: Any) -> Any:  # someone edits the contact after our read
        found = real_get(key, **kw)
        if key == keys.contact(fay):
            monkeypatch.setattr(store, "get", real_get)
            store.write(store.Put({**found, "f_role": "sales", "version": 7}))
        return found

    monkeypatch.setattr(store, "get", get_then_edit)
    with pytest.raises(Busy):
        advance(fay, journey_id, t0)
    assert advance(fay, journey_id, t0 + 60) == "ended"
    found = contact(fay)
    assert (found["f_company"], found["f_role"], found["version"]) == ("Acme", "sales", 8)


@pytest.mark.slow
def test_killed_before_and_after_every_aws_call_the_contact_changes_once(
    journey_env: Sent, injected: Faults, later: Callable[[float], None]
) -> None:
    body = updating(update(set={"company": "Acme"}, remove_topic="newsletter"))
    calls = {"n": 0, "on": False}

    def count(**_: Any) -> None:
        calls["n"] += calls["on"]

    def life(person: str, kill: Kill | None) -> str:
        journey_id = published(body)
        injected.kills[:] = [kill] if kill else []
        calls["on"] = True
        for do in (lambda: happen(person), lambda: advance(person, journey_id, clock.now())):
            for _ in range(10):
                try:
                    do()
                    do()  # redelivered
                    break
                except Killed:
                    injected.revive()
                    later(send_step.STALE_SENDING_SECONDS + 1)
        calls["on"] = False
        injected.kills[:] = []
        admin("POST", "/admin/journeys/{journey_id}/stop", {"journey_id": journey_id})
        return journey_id

    def exact(person: str, journey_id: str) -> None:
        found = contact(person)
        assert (found["f_company"], found["version"]) == ("Acme", 1), found
        assert "newsletter" not in (found.get("topics") or set())
        assert run_of(person, journey_id)["outcome"] == "completed"
        assert stats_of(journey_id)["u0"] == {
            "entered": 1,
            "updated": 1,
            "exited": 1,
            "waiting": 0,
        }

    client = aws.dynamodb()
    client.meta.events.register("before-call", count, unique_id="count-update")
    try:
        [first] = add_contacts(1, start=500)
        exact(first, life(first, None))
    finally:
        client.meta.events.unregister("before-call", unique_id="count-update")
    for nth in range(1, calls["n"] + 1):
        for when in ("before", "after"):
            [person] = add_contacts(1, start=600 + 2 * nth + (when == "after"))
            kill = Kill(lambda _op, _params: True, when, nth)
            exact(person, life(person, kill))
