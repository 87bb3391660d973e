"""Scoring function: the table's stream (filtered to new interactions) -> scores.

`ecrm.scoring.batch` groups the batch by contact and applies it (one conditional write per
contact); `BatchProcessor` then reports the records of contacts whose write failed (and of
contacts with an unreadable record), and Lambda redelivers from the first of them.
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

from ecrm.scoring import batch, ledger

logger = Logger(service="scoring")
metrics = Metrics(namespace="ecrm", service="scoring")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class ContactNotScored(Exception):
    """The write of this record's contact failed in this batch: redeliver the record."""


def _image(record: DynamoDBRecord) -> dict[str, Any] | None:
    return batch.scored(record.dynamodb.new_image if record.dynamodb else None)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    records = [DynamoDBRecord(raw) for raw in event.get("Records", [])]
    result = batch.apply(batch.group(_image(record) for record in records))
    for applied in result.applied:
        metrics.add_metric(name="EventsScored", unit=MetricUnit.Count, value=applied.events)
        if applied.transitions:
            metrics.add_metric(
                name="StageTransitions", unit=MetricUnit.Count, value=applied.transitions
            )

    def record_handler(record: DynamoDBRecord) -> None:
        image = _image(record)
        if image is not None and ledger.contact_of(image) in result.failed:
            raise ContactNotScored("the contact's score was not written; redeliver")

    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
