"""Later joiners of a segment entry (`{"segment": id, "joiners": true}`, `ecrm.journeys.
joiners`): a change on the stream that makes a contact a member who was not one (a field, a
topic, their status, their score or stage) enters them once, through the template's filter;
a change that leaves them out, or keeps them in, enters nobody; a redelivered record enters
nobody twice; without `joiners` (and in journeys stored before it), stopped or replaced by a
version without it, the stream enters nobody."""

from __future__ import annotations

from typing import Any

from ecrm import due
from ecrm.platform import clock, keys, store
from tests.conftest import table_items
from tests.integration.journeys.conftest import (
    Sent,
    add_contacts,
    admin,
    published,
    subjects,
)
from tests.integration.journeys.joiners import (
    acme,
    contact_change,
    deliver,
    joiners_journey,
    record,
    runs_of,
    score_image,
    segment,
)
from tests.integration.journeys.test_segment_entry import drain, scans

DAY = 86400.0


def entered(journey_id: str, version: int = 1) -> int:
    _, stats = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})
    return int(stats["versions"][str(version)]["first"].get("entered", 0))


def score_change(contact_id: str, fit: float, *, stage: str = "lead") -> bool:
    """The contact's score item written anew (scoring's write), its record delivered."""
    old = store.get(keys.score(contact_id))
    new = score_image(contact_id, fit, int(old["version"]) + 1 if old else 1, stage=stage)
    store.batch_put([new])
    return deliver(record(new, old))


def test_a_contact_who_comes_to_match_enters_once_and_others_never(journey_env: Sent) -> None:
    seen = scans()
    segment("acme", acme())
    [member] = add_contacts(1, company="Acme")
    [ann, bob] = add_contacts(2, start=10, company="Other")
    [una] = add_contacts(1, start=20, company="Other", status="unsubscribed")
    journey_id = published(joiners_journey("acme"))
    drain()
    assert set(runs_of(journey_id)) == {member}  # the members at publish
    assert contact_change(ann, f_company="Acme", times=2)  # joins; the record comes twice
    assert contact_change(bob, f_company="Globex")  # changes, and is still not a member
    assert contact_change(una, f_company="Acme")  # not subscribed: no member, enters nobody
    runs = runs_of(journey_id)
    assert set(runs) == {member, ann}
    assert runs[ann]["trigger_ref"] == "segment:acme" and runs[ann]["version"] == 1
    assert entered(journey_id) == 2
    due.tick(now=clock.now() + 1)  # the joiner's first mail goes out as any run's
    drain()
    assert subjects(journey_env) == ["Mail welcome-1"] * 2
    assert seen == []


def test_joining_the_topic_makes_a_member_and_its_membership_record_adds_nothing(
    journey_env: Sent,
) -> None:
    segment("acme", acme())
    journey_id = published(joiners_journey("acme"))
    drain()
    [ann] = add_contacts(1, topic="offers", company="Acme")
    assert contact_change(ann, f_city="Paris")  # on another topic: not a member
    assert runs_of(journey_id) == {}
    # The product writes the membership and the contact's `topics` in one transaction.
    membership = {**keys.topic_membership(ann, "newsletter"), "type": "topic_membership"}
    membership |= {"topic": "newsletter", "joined_at": clock.iso(clock.now())}
    store.batch_put([membership])
    assert deliver(record(membership, None))  # topic_added: no journey enters on it
    assert contact_change(ann, topics={"offers", "newsletter"}, times=2)
    assert set(runs_of(journey_id)) == {ann}
    assert entered(journey_id) == 1


def test_a_score_or_stage_change_makes_a_member_and_a_status_change_reads_the_score(
    journey_env: Sent,
) -> None:
    segment("hot", {"kind": "score", "min": 50})
    segment("sql", {"kind": "stage", "in": ["sql"]}, acme())
    [ann, bob, cid, dan, eve] = add_contacts(5, company="Acme")
    [pat] = add_contacts(1, start=10, company="Acme", status="pending")
    for contact_id, fit in ((cid, 60), (dan, 60), (pat, 70)):
        store.batch_put([score_image(contact_id, fit, 1)])
    hot = published(joiners_journey("hot"))
    sql = published(joiners_journey("sql"))
    drain()
    assert set(runs_of(hot)) == {cid, dan} and runs_of(sql) == {}
    [late] = add_contacts(1, start=30, company="Acme")  # joined without a record (see the pass)
    store.batch_put([score_image(late, 60, 1)])
    assert score_change(ann, 10)  # a first score, below
    assert score_change(ann, 55)  # rises into the segment
    assert score_change(cid, 80)  # a member already: stays one
    assert score_change(dan, 40)  # leaves
    assert score_change(late, 90)  # still a member: not a join (the daily pass enters them)
    assert score_change(bob, 20, stage="sql")  # another journey's segment: a stage
    assert contact_change(pat, status="subscribed")  # their score is read: 70
    assert contact_change(eve, f_city="Lyon")  # no score item: no score, not a member
    assert set(runs_of(hot)) == {cid, dan, ann, pat}
    assert set(runs_of(sql)) == {bob}
    assert (entered(hot), entered(sql)) == (4, 1)


def end_long_ago(contact_id: str, journey_id: str) -> str:
    """End the contact's run, entered past the re-entry days; returns its `entered_at`."""
    run = runs_of(journey_id)[contact_id]
    run |= {"state": "ended", "entered_at": clock.iso(clock.now() - 2 * DAY)}
    store.batch_put([run])
    return str(run["entered_at"])


def test_a_member_who_stays_in_does_not_enter_again_one_who_leaves_and_comes_back_does(
    journey_env: Sent,
) -> None:
    segment("acme", acme())
    [ann] = add_contacts(1, company="Acme")
    journey_id = published(joiners_journey("acme", reentry={"mode": "again_after", "days": 1}))
    drain()
    entered_at = end_long_ago(ann, journey_id)
    assert contact_change(ann, last_engaged_at=clock.iso(clock.now()))  # opened a mail
    assert contact_change(ann, f_city="Paris")
    assert runs_of(journey_id)[ann]["entered_at"] == entered_at
    assert contact_change(ann, f_company="Other")  # leaves the segment
    assert contact_change(ann, f_company="Acme")  # and joins it again
    assert runs_of(journey_id)[ann]["entered_at"] != entered_at
    assert entered(journey_id) == 2


def put_draft(journey_id: str, body: dict[str, Any]) -> None:
    status, saved = admin("PUT", "/admin/journeys/{journey_id}", {"journey_id": journey_id}, body)
    assert status == 200, saved


def publish(journey_id: str) -> None:
    status, version = admin(
        "POST", "/admin/journeys/{journey_id}/publish", {"journey_id": journey_id}
    )
    assert status == 201, version


def test_without_joiners_stopped_or_replaced_the_stream_enters_nobody(journey_env: Sent) -> None:
    segment("acme", acme())
    people = add_contacts(5, company="Other")
    plain = published(joiners_journey("acme", joiners=False))
    journey_id = published(joiners_journey("acme"))
    stopped = published(joiners_journey("acme", name="Stopped"))
    status, _ = admin("POST", "/admin/journeys/{journey_id}/stop", {"journey_id": stopped})
    assert status == 200
    drain()
    put_draft(journey_id, joiners_journey("acme", joiners=False))
    publish(journey_id)  # version 2: its members at publish only
    drain()
    assert contact_change(people[0], f_company="Acme")
    assert runs_of(plain) == runs_of(journey_id) == runs_of(stopped) == {}
    put_draft(journey_id, joiners_journey("acme"))
    publish(journey_id)  # version 3: joiners again (and its members at publish)
    drain()
    assert contact_change(people[1], f_company="Acme")
    runs = runs_of(journey_id)
    assert set(runs) == {people[0], people[1]}
    assert runs[people[1]]["version"] == 3 and entered(journey_id, 3) == 2
    assert runs_of(plain) == runs_of(stopped) == {}


def test_a_journey_stored_before_joiners_keeps_its_members_at_publish_only(
    journey_env: Sent,
) -> None:
    segment("acme", acme())
    journey_id = published(joiners_journey("acme", joiners=False))
    drain()
    for key in (keys.journey(journey_id), keys.journey_version(journey_id, 1)):
        item = store.get(key)
        assert item is not None
        for entry in (item.get("entry"), (item.get("live") or {}).get("entry")):
            if entry is not None:
                assert entry.pop("joiners") is False
        store.batch_put([item])  # as it was stored before `joiners` existed
    status, body = admin("GET", "/admin/journeys/{journey_id}", {"journey_id": journey_id})
    assert status == 200 and body["entry"] == {"segment": "acme", "joiners": False}, body
    [ann] = add_contacts(1, company="Other")
    assert contact_change(ann, f_company="Acme")
    assert runs_of(journey_id) == {}


def test_a_bad_joiners_is_refused_naming_the_entry_and_nothing_is_written(
    journey_env: Sent,
) -> None:
    segment("acme", acme())
    before = table_items()
    for bad in ({"segment": "acme", "joiners": "often"}, {"event": "confirmed", "joiners": True}):
        status, body = admin("POST", "/admin/journeys", body=joiners_journey("acme", entry=bad))
        assert status in (400, 422), body
        assert any(name.startswith("entry") for name in body["error"]["fields"]), body
    assert table_items() == before
