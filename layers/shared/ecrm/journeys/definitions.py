"""Journeys as marketers manage them: a draft on the journey item (`keys.journey`), edited with
an edit counter (`version`, 409 when stale), and published versions (`keys.journey_version`),
immutable, numbered 1, 2, ...; publishing also copies the version onto the journey item as
`live`, which is what the stream reads to enter contacts. Runs keep the version they entered
on, so editing and publishing again never changes a run in flight; `stop` takes `live` away
(no one enters; runs in flight finish).

Bad input is refused whole before anything is written (422 naming the field, `model`'s graph
checks, missing templates, a sender off the sending domain)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from ecrm.contacts import profile_view, submission
from ecrm.contacts.form_view import FieldType
from ecrm.journeys import date_entry, dates, enrollment, graph, joiners_pass, stats
from ecrm.journeys.model import (
    DateEntry,
    JourneyIn,
    SegmentEntry,
    SendStep,
    UpdateStep,
    WaitForStep,
    check_graph,
)
from ecrm.mail import senders, templates
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Conflict, InvalidInput, NotFound


class Journey(JourneyIn):
    id: str
    version: int  # the draft's edit counter
    created_at: str
    updated_at: str
    live_version: int | None = None
    published_versions: int = 0
    migrated_from: str | None = Field(
        default=None,
        description="The automation rule this journey was (`migration`): a contact the rule"
        " fired for counts as entered",
    )

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Journey:
        fields = {k: v for k, v in item.items() if k in cls.model_fields}
        return cls.model_validate(fields)


class Listed(Journey):
    """A journey in the list, with what it did (every version): entries and conversions."""

    entered: int = 0
    converted: int = 0


class PublishedVersion(JourneyIn):
    journey_id: str
    version: int
    published_at: str
    migrated_from: str | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> PublishedVersion:
        return cls.model_validate({k: v for k, v in item.items() if k in cls.model_fields})


def checked(body: JourneyIn) -> dict[str, Any]:
    problems = check_graph(body)
    dumped = body.model_dump(mode="json", by_alias=True, exclude={"version"})
    if isinstance(body.entry, SegmentEntry) and not store.get(keys.segment(body.entry.segment)):
        problems["entry.segment"] = "No such segment."
    if isinstance(body.entry, DateEntry):
        problems |= _date_problems(body.entry)
    for n, step in enumerate(body.steps):
        if isinstance(step, UpdateStep):
            problems |= _update_problems(n, step, dumped["steps"][n])
        if not isinstance(step, SendStep):
            continue
        if why := senders.off_domain(step.sender.email):
            problems[f"steps.{n}.sender.email"] = why
        try:
            templates.load(step.template_id)
        except NotFound:
            problems[f"steps.{n}.template_id"] = "No such template."
    if problems:
        raise InvalidInput("The journey needs attention.", problems)
    return dumped


def _update_problems(n: int, step: UpdateStep, dumped: dict[str, Any]) -> dict[str, str]:
    """An update step's fields and topics against the profile schema, as the preference
    center reads a change (`submission.read_value`); its values kept normalised (`dumped`).
    Consent: a journey never subscribes anyone (docs/design/journeys.md, Update the contact)."""
    schema, problems = profile_view.load(fresh=True), {}
    for name, value in (step.set or {}).items():
        spec = schema.field("profile", name) or schema.field("interests", name)
        if spec is None:
            problems[f"steps.{n}.set.{name}"] = "No such field in the profile schema."
            continue
        try:
            read = submission.read_value(value, spec)
        except ValueError as error:
            problems[f"steps.{n}.set.{name}"] = str(error)
            continue
        if read is None:
            problems[f"steps.{n}.set.{name}"] = "Give a value."
        dumped["set"][name] = read
    if step.add_topic and schema.topic(step.add_topic) is None:
        problems[f"steps.{n}.add_topic"] = "No such topic on offer."
    return problems


def _date_problems(entry: DateEntry) -> dict[str, str]:
    """A date entry's field is a date field of the profile schema (profile or interests)."""
    schema = profile_view.load(fresh=True)
    spec = schema.field("profile", entry.date_field) or schema.field("interests", entry.date_field)
    if spec is None or spec.type is not FieldType.DATE:
        return {"entry.date_field": "No date field of this name in the profile schema."}
    return {}


def create(body: JourneyIn) -> Journey:
    fields = checked(body)
    at = clock.iso(clock.now())
    journey_id = f"jo_{secrets.token_hex(6)}"
    item = {**keys.journey(journey_id), "type": "journey", "id": journey_id, **fields}
    item |= {"version": 1, "created_at": at, "updated_at": at, "published_versions": 0}
    store.write(store.Put(item, condition="attribute_not_exists(pk)"))
    return Journey.from_item(item)


def update(journey_id: str, body: JourneyIn) -> Journey:
    """Replace the draft (nothing live changes until it is published)."""
    current = load(journey_id)
    if body.version is not None and body.version != current.version:
        raise Conflict("The journey changed since you loaded it; reload and edit again.")
    fields = checked(body)
    # A field left out (`goal`: null) is removed: the table stores no null (`store.serialize`).
    values = {f":{k}": v for k, v in fields.items() if v is not None}
    sets = ", ".join(f"#{k} = :{k}" for k in fields if fields[k] is not None)
    removes = ", ".join(f"#{k}" for k in fields if fields[k] is None)
    try:
        stored = store.write(
            store.Update(
                keys.journey(journey_id),
                f"SET {sets}, updated_at = :at ADD version :one"
                + (f" REMOVE {removes}" if removes else ""),
                condition="version = :seen",
                names={f"#{k}": k for k in fields},
                values={
                    **values,
                    ":at": clock.iso(clock.now()),
                    ":one": 1,
                    ":seen": current.version,
                },
            )
        )
    except store.ConditionFailed:
        raise Conflict("The journey changed meanwhile; reload and edit again.") from None
    return Journey.from_item(stored)


def publish(journey_id: str, seen: int | None = None) -> PublishedVersion:
    """The draft becomes version n + 1, and the live one: contacts enter it from now on.
    `seen`: the draft's edit counter the marketer read (409 if someone saved since)."""
    current = load(journey_id)
    if seen is not None and seen != current.version:
        raise Conflict("The journey's draft changed since you loaded it; reload and publish again.")
    draft = current.model_dump(by_alias=True, include=set(JourneyIn.model_fields) - {"version"})
    body = JourneyIn.model_validate(draft)
    fields = checked(body)
    now = clock.now()
    number, at = current.published_versions + 1, clock.iso(now)
    published = {**fields, "journey_id": journey_id, "version": number, "published_at": at}
    # The events its wait_for steps wait for, kept for good (runs of this version may wait
    # after it is stopped or replaced): the stream reads a contact's runs only on those.
    listens = {s.event.event for s in body.steps if isinstance(s, WaitForStep)}
    if current.migrated_from:  # every version keeps the rule's runs as entries (`entry`)
        published["migrated_from"] = current.migrated_from
    rule = dates.DateRule.from_entry(published["entry"])  # its first day, in the transaction
    first_day = [date_entry.scheduled(journey_id, number, rule, clock.now())] if rule else []
    try:
        store.transact(
            [
                store.Put(
                    {
                        **keys.journey_version(journey_id, number),
                        "type": "journey_version",
                        **published,
                    },
                    condition="attribute_not_exists(pk)",
                ),
                store.Update(
                    keys.journey(journey_id),
                    "SET live = :live, live_version = :n, published_versions = :n,"
                    " updated_at = :at" + (" ADD listens :listens" if listens else ""),
                    condition="version = :seen AND published_versions = :was",
                    values={
                        ":live": published,
                        ":n": number,
                        ":at": at,
                        ":seen": current.version,
                        ":was": current.published_versions,
                        **({":listens": listens} if listens else {}),
                    },
                ),
                # Later joiners: a daily pass too (`joiners_pass`; the stream needs nothing).
                *(
                    [joiners_pass.put(journey_id, number, now)]
                    if isinstance(body.entry, SegmentEntry) and body.entry.joiners
                    else []
                ),
                *first_day,
            ]
        )
    except store.TransactionCancelled:
        raise Conflict("The journey changed meanwhile; reload and publish again.") from None
    graph.forget_cached()
    if isinstance(body.entry, SegmentEntry):
        enrollment.start(journey_id, number)
    return PublishedVersion.model_validate(published)


def stop(journey_id: str) -> Journey:
    """No one enters any more; runs in flight finish on their version."""
    try:
        stored = store.write(
            store.Update(
                keys.journey(journey_id),
                "SET updated_at = :at REMOVE live, live_version",
                condition="attribute_exists(pk)",
                values={":at": clock.iso(clock.now())},
            )
        )
    except store.ConditionFailed:
        raise NotFound("No such journey.") from None
    graph.forget_cached()
    return Journey.from_item(stored)


def load(journey_id: str) -> Journey:
    item = store.get(keys.journey(journey_id))
    if item is None:
        raise NotFound("No such journey.")
    return Journey.from_item(item)


def published(journey_id: str, number: int) -> PublishedVersion:
    item = store.get(keys.journey_version(journey_id, number))
    if item is None:
        raise NotFound("No such version of this journey.")
    return PublishedVersion.from_item(item)


def listed() -> list[Listed]:
    """Every journey with its entries and conversions (two Queries of one partition)."""
    counted = stats.totals()
    return [
        Listed.model_validate(
            {**Journey.from_item(item).model_dump(by_alias=True), **counted.get(item["id"], {})}
        )
        for item in store.query_all(keys.JOURNEYS, sk_prefix=keys.JOURNEY_RUN)
    ]
