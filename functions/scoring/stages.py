"""Stage events function: `stage_changed` interactions (from the table's stream) -> the
default EventBridge bus, where automated mailings and sales notifications subscribe; and the
notices of journeys' notify steps that name EventBridge (`journey_step` interactions,
`ecrm.journeys.notices`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.journeys import notices
from ecrm.platform import records
from ecrm.scoring import stages

logger = Logger(service="scoring")
metrics = Metrics(namespace="ecrm", service="scoring")


def record_handler(record: records.StreamRecord) -> None:
    image = record.new_image
    if image and image.get("type") == "stage_changed":
        stages.publish(image)
        metrics.add_metric(name="StageEventsPublished", unit=MetricUnit.Count, value=1)
    elif image and notices.wanted(image, notices.EVENTBRIDGE):
        notices.publish(image)
        metrics.add_metric(name="JourneyNoticesPublished", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> records.BatchResponse:
    return records.each(event, record_handler, records.StreamRecord)
