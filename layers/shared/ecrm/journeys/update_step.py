"""An update step of a run: the contact changed in the run's own move (`runs.move`, conditional
on the `seq` read), so it happens exactly once, however often the step is tried:

    ready ──read the contact──▶ one transaction: the run walked on (`graph.leave`), its counters,
      the contact (fields set, topics changed; conditional on its `version` read) and the topic
      memberships changed ──▶ the next step
    the contact changed meanwhile (its `version`) ──▶ Busy: the step is tried again later

Consent: a journey never subscribes anyone. `remove_topic` takes any topic away (the
membership leaves the topic index, keeps `left_at`, and `journey_left_at` says a journey did
it). `add_topic` only gives back a topic a journey took away from a contact still subscribed:
the membership's last leave was a journey's (`left_at = journey_left_at`; a person who left it
since, from the preference center or a mail's unsubscribe link, made a later `left_at`), else
the step refuses it for that contact (counted `refused`). Fields are those of the profile
schema, checked when the journey was saved; one the schema dropped since is left alone.

Counters: `updated` (the contact changed), `unchanged` (it already was so), `refused`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecrm.contacts import profile_view
from ecrm.contacts.records import FIELD_PREFIX, ContactStatus
from ecrm.journeys import graph, runs, stats
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy


def apply(v: graph.Version, run: dict[str, Any], now: float) -> dict[str, Any]:
    """Do the run's update step and walk on, in one move; returns the run as moved."""
    step_id = str(run["step"])
    step = v.steps[step_id]
    contact_id = str(run["contact_id"])
    contact = store.get(keys.contact(contact_id))
    writes: list[store.Write] = []
    outcomes: list[str] = []
    after = contact
    if contact is None or contact.get("alias_of") or not contact.get("email"):
        outcomes.append("unchanged")
    else:
        change = _Change(contact, clock.iso(now))
        change.fields(step.get("set") or {})
        if topic := step.get("remove_topic"):
            change.remove(str(topic))
        if (topic := step.get("add_topic")) and not change.add(str(topic)):
            outcomes.append("refused")
        writes = change.writes()
        outcomes.append("updated" if writes else "unchanged")
        after = change.after()
    counted = stats.tally(*((step_id, o) for o in outcomes))
    landing = graph.leave(v, run, step_id, now, counted, contact=after)
    try:
        return runs.move(
            run,
            runs.landed(runs.key_of(run), landing, now),
            landing.counted,
            phase=runs.READY,
            extra=writes,
        )
    except runs.OtherChanged:
        raise Busy("The contact changed meanwhile; the update step is tried again.") from None


class _Change:
    """What the step changes on the contact as read: one Update of the contact item, and one
    of each topic membership changed."""

    def __init__(self, contact: Mapping[str, Any], at: str) -> None:
        self.contact, self.at = contact, at
        self.contact_id = str(contact["contact_id"])
        self.topics = set(contact.get("topics") or ())
        self.sets: dict[str, Any] = {}
        self.added: str | None = None
        self.removed: str | None = None
        self.memberships: list[store.Write] = []

    def fields(self, wanted: Mapping[str, Any]) -> None:
        schema = profile_view.load()
        for name, value in sorted(wanted.items()):
            known = schema.field("profile", name) or schema.field("interests", name)
            if known is not None and self.contact.get(FIELD_PREFIX + name) != value:
                self.sets[FIELD_PREFIX + name] = value

    def remove(self, topic: str) -> None:
        if topic not in self.topics:
            return
        self.removed = topic
        self.memberships.append(
            store.Update(
                _membership(self.contact_id, topic),
                "SET #type = :type, topic = :topic, left_at = :at, journey_left_at = :at"
                " REMOVE gsi1pk, gsi1sk",
                names={"#type": "type"},
                values={":type": "topic_membership", ":topic": topic, ":at": self.at},
            )
        )

    def add(self, topic: str) -> bool:
        """False: not this contact's to be given (see the module's consent rule)."""
        if topic in self.topics:
            return True
        if self.contact.get("status") != ContactStatus.SUBSCRIBED:
            return False
        membership = store.get(_membership(self.contact_id, topic)) or {}
        if not membership.get("left_at") or membership["left_at"] != membership.get(
            "journey_left_at"
        ):
            return False
        key = keys.topic_membership(self.contact_id, topic)
        self.added = topic
        self.memberships.append(
            store.Update(
                _membership(self.contact_id, topic),
                "SET gsi1pk = :gpk, gsi1sk = :gsk, joined_at = :at REMOVE left_at, journey_left_at",
                condition="left_at = journey_left_at",
                values={":gpk": key["gsi1pk"], ":gsk": key["gsi1sk"], ":at": self.at},
            )
        )
        return True

    def after(self) -> dict[str, Any]:
        """The contact as the move leaves it (what the steps walked after this one see)."""
        topics = (self.topics | {self.added} if self.added else self.topics) - {self.removed}
        return {**self.contact, **self.sets, "topics": topics}

    def writes(self) -> list[store.Write]:
        if not (self.sets or self.added or self.removed):
            return []
        names: dict[str, str] = {}
        values: dict[str, Any] = {":at": self.at, ":one": 1}
        sets = ["updated_at = :at"]
        for n, (name, value) in enumerate(sorted(self.sets.items())):
            names[f"#f{n}"], values[f":f{n}"] = name, value
            sets.append(f"#f{n} = :f{n}")
        expression = f"SET {', '.join(sets)} ADD version :one"
        if self.added:
            expression += ", topics :added"
            values[":added"] = {self.added}
        if self.removed:
            expression += " DELETE topics :removed"
            values[":removed"] = {self.removed}
        condition = "attribute_exists(pk) AND "
        if "version" in self.contact:
            condition += "version = :seen"
            values[":seen"] = self.contact["version"]
        else:
            condition += "attribute_not_exists(version)"
        if self.added:  # given back only to a contact still subscribed
            names["#status"] = "status"
            values[":subscribed"] = ContactStatus.SUBSCRIBED.value
            condition += " AND #status = :subscribed"
        update = store.Update(keys.contact(self.contact_id), expression, condition, names, values)
        return [update, *self.memberships]


def _membership(contact_id: str, topic: str) -> dict[str, str]:
    key = keys.topic_membership(contact_id, topic)
    return {"pk": key["pk"], "sk": key["sk"]}
