"""Automation rules become one-step journeys (`ecrm.journeys.migration`): every field of a
rule has its place in the journey, the rule's counts stay readable, migrating twice or again
after a crash between any two AWS calls yields one journey, and across the switch-over (a
stream consumer that has not seen the migration yet, one that has seen only part of it, a
run of the rule still due) each contact gets the mail exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ecrm.automations import rules, triggers
from ecrm.automations import runs as automation_runs
from ecrm.journeys import graph, migration
from ecrm.platform import aws, clock, keys, store
from ecrm.platform.errors import Busy
from ecrm.platform.settings import settings
from local.faults import Faults, Kill, Killed, Throttle
from tests.conftest import table_items
from tests.integration.journeys.conftest import (
    SENDER,
    VIEWER,
    Sent,
    add_contacts,
    admin,
    advance,
    happen,
    run_of,
)
from tests.integration.test_automations import interaction, stream

RULE_PATH = "/admin/automations/{automation_id}"
MIGRATE = RULE_PATH + "/migrate"


def rule(**changes: Any) -> dict[str, Any]:
    body = {
        "name": "Welcome",
        "when": {"event": "confirmed"},
        "template_id": "welcome-1",
        "topic": "newsletter",
        "sender": {**SENDER, "reply_to": "help@example.com"},
        "delay_minutes": 90,
    }
    return {**body, **changes}


def create(**changes: Any) -> str:
    status, body = admin("POST", "/admin/automations", body=rule(**changes))
    assert status == 201, body
    rules.forget_cached()
    return str(body["id"])


def migrate(rule_id: str, claims: Any = None) -> tuple[int, Any]:
    more = {} if claims is None else {"claims": claims}
    return admin("POST", MIGRATE, {"automation_id": rule_id}, **more)


def journey_of(rule_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    journey_id = keys.migrated_journey_id(rule_id)
    status, journey = admin("GET", "/admin/journeys/{journey_id}", {"journey_id": journey_id})
    assert status == 200, journey
    path = "/admin/journeys/{journey_id}/versions/{version}"
    status, version = admin("GET", path, {"journey_id": journey_id, "version": "1"})
    assert status == 200, version
    return journey, version


def _steps(journey: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in journey["steps"]}


def _send(journey: dict[str, Any]) -> dict[str, Any]:
    return _steps(journey)["send"]


# Where each field of a rule went (the rule as read before, the journey, its version 1, the
# rule as read after). A field added to rules.Automation with no check here fails the test.
PLACED: dict[str, Callable[[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]], bool]]
PLACED = {
    "name": lambda r, j, v, a: j["name"] == v["name"] == r["name"],
    # a journey's entry has fields more, a rule never sets (score_crossed, campaign_*)
    "when": lambda r, j, v, a: (
        j["entry"] == v["entry"] == {**r["when"], "at_least": None, "campaign_id": None}
    ),
    "template_id": lambda r, j, v, a: _send(v)["template_id"] == r["template_id"],
    "topic": lambda r, j, v, a: _send(v)["topic"] == r["topic"],
    "sender": lambda r, j, v, a: _send(v)["sender"] == r["sender"],
    "delay_minutes": lambda r, j, v, a: (
        _steps(v)["delay"] == {"id": "delay", "type": "wait", "minutes": 90, "next": "send"}
        and v["start"] == "delay"
        if r["delay_minutes"]
        else v["start"] == "send" and len(v["steps"]) == 1
    ),
    "enabled": lambda r, j, v, a: (j.get("live_version") == 1) is r["enabled"],
    "id": lambda r, j, v, a: j["migrated_from"] == v["migrated_from"] == r["id"],
    "version": lambda r, j, v, a: a["version"] == r["version"] + 1,  # the mark is an edit
    "created_at": lambda r, j, v, a: j["created_at"] == r["created_at"],
    "updated_at": lambda r, j, v, a: a["updated_at"] == r["updated_at"],  # the rule's, kept
    "migrated_to": lambda r, j, v, a: r["migrated_to"] is None and a["migrated_to"] == j["id"],
    "migrated_at": lambda r, j, v, a: a["migrated_at"] == j["updated_at"] == v["published_at"],
}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"delay_minutes": 0, "when": {"event": "form_submitted", "form_id": "newsletter"}},
        {"when": {"event": "custom_event", "name": "trial.started"}, "enabled": False},
        {"when": {"event": "stage_reached", "stage": "mql"}},
        {"when": {"event": "topic_added", "topic": "events"}},
    ],
)
def test_every_field_of_a_rule_has_its_place_in_its_journey(
    journey_env: Sent, changes: dict[str, Any]
) -> None:
    assert set(PLACED) == set(rules.Automation.model_fields)  # a new field needs its place
    rule_id = create(**changes)
    before = admin("GET", RULE_PATH, {"automation_id": rule_id})[1]

    status, answer = migrate(rule_id)

    assert status == 200, answer
    journey, version = journey_of(rule_id)
    after = admin("GET", RULE_PATH, {"automation_id": rule_id})[1]
    assert answer == {
        "automation_id": rule_id,
        "journey_id": journey["id"],
        "migrated_at": after["migrated_at"],
        "rule_enabled": before["enabled"],
        "already": False,
    }
    lost = [f for f, placed in PLACED.items() if not placed(before, journey, version, after)]
    assert lost == [], (before, journey, version, after)
    assert version["reentry"] == {"mode": "once", "days": None}
    assert _send(version)["kind"] == "marketing" and _send(version)["next"] is None
    # the rule is otherwise unchanged (its runs still read it), and never edited again
    assert {k: v for k, v in after.items() if not k.startswith(("migrated", "version"))} == {
        k: v for k, v in before.items() if not k.startswith(("migrated", "version"))
    }
    status, refused = admin(
        "PUT", RULE_PATH, {"automation_id": rule_id}, rule(version=after["version"])
    )
    assert status == 409 and journey["id"] in refused["error"]["message"]


def test_migrating_twice_answers_the_same_journey_and_writes_nothing_more(
    journey_env: Sent,
) -> None:
    rule_id = create()
    first = migrate(rule_id)[1]
    snapshot = table_items()

    status, second = migrate(rule_id)

    assert status == 200 and second == {**first, "already": True}
    assert table_items() == snapshot
    assert [i["id"] for i in table_items() if i.get("type") == "journey"] == [first["journey_id"]]
    assert admin("POST", MIGRATE, {"automation_id": "au_0123456789ab"})[0] == 404


def test_a_viewer_cannot_migrate_and_nothing_is_written(journey_env: Sent) -> None:
    rule_id = create()
    snapshot = table_items()
    status, body = migrate(rule_id, claims=VIEWER)
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert migrate(rule_id, claims={})[0] == 401
    assert table_items() == snapshot


def test_a_rule_that_would_make_an_invalid_journey_is_refused_whole(journey_env: Sent) -> None:
    rule_id = create()
    store.write(  # a sender saved before senders were checked: a journey refuses it
        store.Update(
            keys.automation(rule_id),
            "SET sender = :s",
            values={":s": {"email": "news@elsewhere.example", "name": "X"}},
        )
    )
    snapshot = table_items()
    status, body = migrate(rule_id)
    assert status == 422 and "sender.email" in body["error"]["fields"]
    assert table_items() == snapshot


def test_the_rules_counts_stay_readable_and_its_due_run_finishes_on_the_rule(
    journey_env: Sent, later: Callable[[float], None]
) -> None:
    rule_id = create()
    [ann, bob] = add_contacts(2, start=300)
    assert stream([interaction("confirmed", ann)]) == {"batchItemFailures": []}
    journey_id = migrate(rule_id)[1]["journey_id"]

    # Ann's run was due in 90 minutes: the rule sends it, the journey never enters her
    assert stream([interaction("confirmed", ann), interaction("confirmed", bob)]) == {
        "batchItemFailures": []
    }
    later(91 * 60)
    assert automation_runs.run(keys.automation_run(ann, rule_id)) == "sent"
    assert advance(bob, journey_id, clock.now()) == "ended"
    assert store.get(keys.journey_run(ann, journey_id)) is None
    assert store.get(keys.automation_run(bob, rule_id)) is None
    assert mails_per_contact(journey_env) == {ann: 1, bob: 1}

    status, counted = admin("GET", RULE_PATH + "/counts", {"automation_id": rule_id})
    assert status == 200
    assert counted == {"triggered": 1, "sent": 1, "skipped": 0, "failed": 0, "waiting": 0}
    [listed] = [r for r in admin("GET", "/admin/automations")[1]["items"] if r["id"] == rule_id]
    assert listed["counts"] == counted and listed["migrated_to"] == journey_id
    stats = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})[1]
    assert stats["versions"]["1"]["send"]["sent"] == 1


def test_a_new_version_of_the_journey_still_counts_the_rules_runs_as_entries(
    journey_env: Sent,
) -> None:
    rule_id = create(delay_minutes=0)
    [ann] = add_contacts(1, start=400)
    triggers.schedule(triggers.Happened("confirmed", ann, "before"))
    journey_id = migrate(rule_id)[1]["journey_id"]
    journey, _ = journey_of(rule_id)
    body = {k: journey[k] for k in ("name", "entry", "reentry", "start", "steps")}
    assert admin("PUT", "/admin/journeys/{journey_id}", {"journey_id": journey_id}, body)[0] == 200
    status, v2 = admin("POST", "/admin/journeys/{journey_id}/publish", {"journey_id": journey_id})
    assert status == 201 and v2["migrated_from"] == rule_id

    assert happen(ann) == ([], [])
    assert store.get(keys.journey_run(ann, journey_id)) is None


def test_again_after_n_days_counts_the_days_from_the_rules_run(journey_env: Sent) -> None:
    rule_id = create(delay_minutes=0)
    [ann] = add_contacts(1, start=420)
    triggers.schedule(triggers.Happened("confirmed", ann, "before"))
    journey_id = migrate(rule_id)[1]["journey_id"]
    journey, _ = journey_of(rule_id)
    body = {k: journey[k] for k in ("name", "entry", "start", "steps")}
    body["reentry"] = {"mode": "again_after", "days": 2}
    assert admin("PUT", "/admin/journeys/{journey_id}", {"journey_id": journey_id}, body)[0] == 200
    assert (
        admin("POST", "/admin/journeys/{journey_id}/publish", {"journey_id": journey_id})[0] == 201
    )

    assert happen(ann, now=clock.now() + 86400) == ([], [])  # a day after the rule's run
    assert happen(ann, now=clock.now() + 2 * 86400 + 60) == ([journey_id], [])


def test_a_disabled_rule_becomes_a_stopped_journey_that_nobody_enters(journey_env: Sent) -> None:
    rule_id = create(enabled=False)
    answer = migrate(rule_id)[1]
    [ann] = add_contacts(1, start=450)
    assert stream([interaction("confirmed", ann)]) == {"batchItemFailures": []}
    assert store.get(keys.journey_run(ann, answer["journey_id"])) is None
    assert store.get(keys.automation_run(ann, rule_id)) is None
    assert answer["rule_enabled"] is False


# --- the switch-over: exactly one mail per contact ----------------------------------------------


@dataclass(frozen=True)
class Caches:
    """This process's caches, emptied as their time runs out (the test says when)."""

    forget_rules: Callable[[], None]
    forget_journeys: Callable[[], None]


@pytest.fixture
def cached_long(journey_env: Sent, monkeypatch: pytest.MonkeyPatch) -> Iterator[Caches]:
    """Stream consumers that keep what they read for an hour, and a migration made by another
    process (this one's caches are not told)."""
    monkeypatch.setenv("DEFINITION_CACHE_SECONDS", "3600")
    settings.cache_clear()
    caches = Caches(triggers.forget_cached, graph.forget_cached)
    monkeypatch.setattr(triggers, "forget_cached", lambda: None)
    monkeypatch.setattr(graph, "forget_cached", lambda: None)
    caches.forget_rules()
    caches.forget_journeys()
    yield caches
    caches.forget_rules()
    caches.forget_journeys()


def mails_per_contact(sent: Sent) -> Counter[str]:
    return Counter(t["contact"] for t in sent.tags)


def send_everything(rule_id: str, people: list[str], later: Callable[[float], None]) -> None:
    """Drive every run of the rule and of its journey to its end (the tick would)."""
    journey_id = keys.migrated_journey_id(rule_id)
    later(91 * 60)
    for person in people:
        if store.get(keys.automation_run(person, rule_id)):
            assert automation_runs.run(keys.automation_run(person, rule_id)) == "sent"
        if store.get(keys.journey_run(person, journey_id)):
            advance(person, journey_id, clock.now())  # the wait passes: the send is due
            assert advance(person, journey_id, clock.now()) == "ended"
            assert run_of(person, journey_id)["outcome"] == "completed"


def test_a_consumer_that_has_not_seen_the_migration_never_mails_twice(
    cached_long: Caches, journey_env: Sent, later: Callable[[float], None]
) -> None:
    rule_id = create()
    people = add_contacts(4, start=500)
    stale = triggers.current()  # read before the migration: the rule still fires
    assert [r.id for r in stale.firing] == [rule_id]
    migrate(rule_id)
    cached_long.forget_journeys()  # this consumer reads the journeys afresh: it is live
    journey_id = keys.migrated_journey_id(rule_id)

    # the stale rule first, then the journey; and the journey first, then the stale rule
    triggers.schedule(triggers.Happened("confirmed", people[0], "r0"), rules=stale)
    assert happen(people[0]) == ([], [])
    assert happen(people[1]) == ([journey_id], [])
    assert triggers.schedule(triggers.Happened("confirmed", people[1], "r1"), rules=stale) == []
    # through the stream function with its stale rules: the journey enters, the rule does not
    assert stream([interaction("confirmed", p) for p in people[2:]]) == {"batchItemFailures": []}

    send_everything(rule_id, people, later)
    assert mails_per_contact(journey_env) == dict.fromkeys(people, 1)


def test_a_consumer_that_sees_the_rule_migrated_sees_its_journey_live(
    cached_long: Caches, journey_env: Sent, later: Callable[[float], None]
) -> None:
    rule_id = create()
    people = add_contacts(2, start=600)
    assert graph.live_journeys() == []  # this consumer read the journeys before the migration
    migrate(rule_id)
    cached_long.forget_rules()  # its rules' cache expired first: it reads the mark

    assert stream([interaction("confirmed", p) for p in people]) == {"batchItemFailures": []}

    journey_id = keys.migrated_journey_id(rule_id)
    assert all(store.get(keys.journey_run(p, journey_id)) for p in people)
    send_everything(rule_id, people, later)
    assert mails_per_contact(journey_env) == dict.fromkeys(people, 1)


# --- crash-safety -----------------------------------------------------------------------------


def _every(operation: str, params: dict[str, Any]) -> bool:
    return True


def _calls_of_one_migration() -> int:
    calls = {"n": 0}

    def count(**_: Any) -> None:
        calls["n"] += 1

    rule_id = create(name="Counted")
    client = aws.dynamodb()
    client.meta.events.register("before-call", count, unique_id="count-migration")
    try:
        migration.migrate(rule_id)
    finally:
        client.meta.events.unregister("before-call", unique_id="count-migration")
    return calls["n"]


def test_killed_before_or_after_any_aws_call_a_rule_becomes_exactly_one_journey(
    injected: Faults,
) -> None:
    total = _calls_of_one_migration()
    assert total == 3  # the rule, its template, the transaction
    for nth in range(1, total + 1):
        for when in ("before", "after"):
            rule_id = create(name=f"Killed {when} {nth}")
            kill = Kill(_every, when, nth)
            injected.kills[:] = [kill]
            with pytest.raises(Killed):
                migration.migrate(rule_id)
            assert kill.fired
            injected.kills[:] = []
            answer = migration.migrate(rule_id)  # the marketer (or the CLI) tries again
            again = migration.migrate(rule_id)
            assert again == answer.model_copy(update={"already": True})
            assert_one_journey(rule_id)


def test_a_throttled_migration_is_busy_and_its_retry_makes_one_journey(
    injected: Faults,
) -> None:
    rule_id = create()
    injected.throttles.append(
        Throttle("dynamodb", "TransactWriteItems", "ThrottlingException", every=1)
    )
    with pytest.raises(Busy):
        migration.migrate(rule_id)
    injected.throttles[:] = []
    migration.migrate(rule_id)
    assert_one_journey(rule_id)


def assert_one_journey(rule_id: str) -> None:
    journey_id = keys.migrated_journey_id(rule_id)
    items = table_items()
    journeys = [i for i in items if i.get("migrated_from") == rule_id]
    assert sorted(i["type"] for i in journeys) == ["journey", "journey_version"], journeys
    [stored_rule] = [i for i in items if i.get("type") == "automation" and i["id"] == rule_id]
    assert stored_rule["migrated_to"] == journey_id and stored_rule["version"] == 2
    assert store.get(keys.journey(journey_id), consistent=True)["live_version"] == 1  # type: ignore[index]
