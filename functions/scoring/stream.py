"""Scoring function: the table's stream (filtered to new interactions) -> scores.

A batch is grouped by contact first, so each contact costs one conditional write however many
of its events the batch holds; then `BatchProcessor` reports the records of contacts whose write
failed (and unreadable records), and Lambda redelivers from the first of them: events already
applied are skipped by their ids, so nothing counts twice and nothing is lost.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.scoring import ledger
from ecrm.scoring.engine import Event

logger = Logger(service="scoring")
metrics = Metrics(namespace="ecrm", service="scoring")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class ContactNotScored(Exception):
    """The write of this record's contact failed in this batch: redeliver the record."""


def _image(record: DynamoDBRecord) -> dict[str, Any] | None:
    image = record.dynamodb.new_image if record.dynamodb else None
    return dict(image) if image and ledger.is_scored(image) else None


def _by_contact(records: list[DynamoDBRecord]) -> tuple[dict[str, list[Event]], set[str]]:
    """Events per contact, and the contacts held back because one of their records could not
    be read: a contact's events are applied in stream order or not at all (redelivery)."""
    grouped: dict[str, list[Event]] = {}
    held: set[str] = set()
    for record in records:
        image = _image(record)
        if image is None:
            continue
        contact_id = ledger.contact_of(image)
        try:
            grouped.setdefault(contact_id, []).append(ledger.read_event(image))
        except (KeyError, TypeError, ValueError):
            logger.exception("unreadable interaction", extra={"event_id": image.get("event_id")})
            held.add(contact_id)
    return {c: events for c, events in grouped.items() if c not in held}, held


def _score(grouped: dict[str, list[Event]]) -> set[str]:
    """Apply each contact's events; the contacts whose write failed."""
    failed: set[str] = set()
    for contact_id, events in grouped.items():
        try:
            applied = ledger.apply_contact(contact_id, events)
        except Exception:
            logger.exception("scoring failed", extra={"events": [e.event_id for e in events]})
            failed.add(contact_id)
            continue
        metrics.add_metric(name="EventsScored", unit=MetricUnit.Count, value=applied.events)
        if applied.transitions:
            metrics.add_metric(
                name="StageTransitions", unit=MetricUnit.Count, value=applied.transitions
            )
    return failed


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    records = [DynamoDBRecord(raw) for raw in event.get("Records", [])]
    grouped, held = _by_contact(records)
    failed = _score(grouped) | held

    def record_handler(record: DynamoDBRecord) -> None:
        image = _image(record)
        if image is not None and ledger.contact_of(image) in failed:
            raise ContactNotScored("the contact's score was not written; redeliver")

    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
