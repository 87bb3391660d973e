"""Re-score function: one step of a re-score job per SQS message (see `ecrm.scoring.rescore`)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.platform import records
from ecrm.scoring import rescore

logger = Logger(service="scoring")
metrics = Metrics(namespace="ecrm", service="scoring")


def record_handler(record: records.QueueMessage) -> None:
    job_id = str(json.loads(record.body)["job_id"])
    state = rescore.step(job_id)
    logger.info("re-score step", extra={"job_id": job_id, "state": state})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> records.BatchResponse:
    return records.each(event, record_handler, records.QueueMessage)
