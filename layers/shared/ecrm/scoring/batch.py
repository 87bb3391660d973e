"""One stream batch of new interactions -> scores, grouped by contact.

A batch is grouped by contact first, so each contact costs one conditional write (`ledger`)
however many of its events the batch holds, and the batch reads its contacts together. A
contact's events are applied in stream order or not at all: when one of its records cannot be
read, the contact is held back and its records are redelivered with the ones whose write
failed. Redelivered events already applied are skipped by their ids, so nothing counts twice
and nothing is lost. The handler (`scoring.stream`) only turns stream records into images and
failed contacts into the batch's item failures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.scoring import ledger, rulesets
from ecrm.scoring.engine import Event

logger = Logger(service="scoring", child=True)


def scored(image: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A record's new image when it is an interaction that scores, else None."""
    return dict(image) if image and ledger.is_scored(image) else None


@dataclass
class Grouped:
    events: dict[str, list[Event]] = field(default_factory=dict)  # per contact, stream order
    held: set[str] = field(default_factory=set)  # a record of theirs could not be read


def group(images: Iterable[Mapping[str, Any] | None]) -> Grouped:
    """The batch's scored events per contact (images in stream order; None: not scored)."""
    found = Grouped()
    for image in images:
        if image is None:
            continue
        contact_id = ledger.contact_of(image)
        try:
            found.events.setdefault(contact_id, []).append(ledger.read_event(image))
        except (KeyError, TypeError, ValueError):
            logger.exception("unreadable interaction", extra={"event_id": image.get("event_id")})
            found.held.add(contact_id)
    for contact_id in found.held:
        found.events.pop(contact_id, None)
    return found


@dataclass
class Scored:
    applied: list[ledger.Applied] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)  # to redeliver: write failed, or held back


def apply(grouped: Grouped) -> Scored:
    """Apply each contact's events, one conditional write per contact. The ruleset is read
    once per batch, and the contacts' scores and profiles together (`ledger.load_many`)."""
    result = Scored(failed=set(grouped.held))
    if not grouped.events:
        return result
    try:
        engine = rulesets.engine()
        loaded = ledger.load_many(list(grouped.events))
    except Exception:
        logger.exception("scoring failed", extra={"contacts": len(grouped.events)})
        result.failed.update(grouped.events)
        return result
    for contact_id, events in grouped.events.items():
        try:
            applied = ledger.apply_contact(
                contact_id, events, engine=engine, loaded=loaded[contact_id]
            )
            result.applied.append(applied)
        except Exception:
            logger.exception("scoring failed", extra={"events": [e.event_id for e in events]})
            result.failed.add(contact_id)
    return result
