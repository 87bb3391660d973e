"""Import worker: one step of a contacts import per SQS message (see `ecrm.imports.chunks`)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.imports import chunks
from ecrm.platform import records

logger = Logger(service="capture")
metrics = Metrics(namespace="ecrm", service="capture")


def record_handler(record: records.QueueMessage, lambda_context: LambdaContext) -> None:
    import_id = str(json.loads(record.body)["import_id"])
    state = chunks.step(import_id, lambda: lambda_context.get_remaining_time_in_millis() / 1000)
    logger.info("import step", extra={"import_id": import_id, "state": state})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> records.BatchResponse:
    return records.each(event, lambda record: record_handler(record, context), records.QueueMessage)
