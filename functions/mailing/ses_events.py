"""SES events function: the configuration set's events arrive through SNS, one notification
per invocation, and each is applied once (`ecrm.mail.events`). SNS invokes asynchronously: a
raised error (throttling) is retried by Lambda, then parked in the template's DLQ."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.mail import events, ses_notifications

logger = Logger(service="mailing")
metrics = Metrics(namespace="ecrm", service="mailing")


def record_handler(message: str) -> None:
    try:
        document = json.loads(message)
    except ValueError:
        logger.warning("SNS message is not JSON: ignored")
        return
    if not isinstance(document, dict):
        return
    if document.get("eventType") == "Send":
        if events.confirm_send(document):
            metrics.add_metric(name="SendsConfirmedByEvent", unit=MetricUnit.Count, value=1)
        return
    event = ses_notifications.parse(document)
    if event is None:
        return  # Send, DeliveryDelay, setup notifications: nothing to record
    for outcome in events.record(event):
        if not outcome.duplicate:
            name = "ScannerEvents" if outcome.scanner else f"SesEvent{event.ses_type}"
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    # Read from the event as it is: Powertools' `SNSEvent` imports every event data class.
    for record in event["Records"]:
        record_handler(record["Sns"]["Message"])
