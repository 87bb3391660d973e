"""Schedule tick (EventBridge, every minute; `ecrm serve` runs it on a timer): acts on every due
item up to now (scheduled campaigns, interrupted fan-outs, automation runs), see `ecrm.due`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm import due

logger = Logger(service="mailing")
metrics = Metrics(namespace="ecrm", service="mailing")


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = due.tick()
    metrics.add_metric(name="DueItemsHandled", unit=MetricUnit.Count, value=result.handled)
    if result.failed:
        metrics.add_metric(name="DueItemsFailed", unit=MetricUnit.Count, value=result.failed)
    return {"minutes": result.minutes, "handled": result.handled, "failed": result.failed}
