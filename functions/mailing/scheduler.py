"""Schedule tick (EventBridge, every minute; `ecrm serve` runs it on a timer): acts on every due
item up to now (scheduled campaigns, interrupted fan-outs, automation runs), see `ecrm.due`,
and hands due journey runs to the journey queue. The same function consumes that queue (SQS
records: `ecrm.journeys.queue_worker.consume`, one run per record): it holds the permissions a
run's move needs, which the tick needed when it moved runs itself. A tick's answer names the
earliest moment an entry it read still waits for (`next_due`): `ecrm serve` ticks again no
sooner unless the table changed or a minute began (`local.schedules`)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm import due
from ecrm.platform import clock, records

logger = Logger(service="mailing")
metrics = Metrics(namespace="ecrm", service="mailing")


def journey_record(record: records.QueueMessage) -> None:
    from ecrm.journeys import queue_worker  # noqa: PLC0415 - a tick does not load the engine

    try:
        queue_worker.consume(json.loads(record.body))
    except Exception:
        logger.exception("journey step failed")  # the record comes back, then to JourneyDLQ
        raise


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:  # the journey queue
        answer = records.each(event, journey_record, records.QueueMessage)
        metrics.add_metric(
            name="JourneyStepsMoved",
            unit=MetricUnit.Count,
            value=len(event["Records"]) - len(answer["batchItemFailures"]),
        )
        return answer
    result = due.tick()
    metrics.add_metric(name="DueItemsHandled", unit=MetricUnit.Count, value=result.handled)
    if result.failed:
        metrics.add_metric(name="DueItemsFailed", unit=MetricUnit.Count, value=result.failed)
    return {
        "minutes": result.minutes,
        "handled": result.handled,
        "failed": result.failed,
        "next_due": clock.iso(result.next_due) if result.next_due is not None else None,
    }
