"""Automations function: the table's stream (filtered to trigger events) -> a due run per
matching rule and contact (`ecrm.automations.rules`). Nothing is sent here: the schedule tick sends
runs when they are due. Partial batch failures are reported, so a throttled write is retried
alone; a redelivered record schedules nothing twice (the run is written once)."""

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

from ecrm.automations import rules

logger = Logger(service="mailing")
metrics = Metrics(namespace="ecrm", service="mailing")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    new = change.new_image if change else None
    event = rules.happened(new, change.old_image if change else None) if new else None
    if event is None:
        return
    scheduled = rules.schedule(event)
    if scheduled:
        metrics.add_metric(
            name="AutomationRunsScheduled", unit=MetricUnit.Count, value=len(scheduled)
        )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
