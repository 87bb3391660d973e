"""Import worker: one step of a contacts import per SQS message (see `ecrm.imports.chunks`)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.imports import chunks

logger = Logger(service="capture")
metrics = Metrics(namespace="ecrm", service="capture")
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    import_id = str(json.loads(record.body)["import_id"])
    state = chunks.step(import_id, lambda: lambda_context.get_remaining_time_in_millis() / 1000)
    logger.info("import step", extra={"import_id": import_id, "state": state})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
