"""Webhook deliveries: one queued message -> one signed POST to its endpoint
(`ecrm.webhooks.delivery`). A failed delivery is made visible again after a backoff (30 s
doubling, at most an hour) and reported failed; the queue's redrive policy moves it to the
dead-letter queue after its last attempt."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.platform import aws, records
from ecrm.platform.settings import settings
from ecrm.webhooks import delivery

logger = Logger(service="webhooks")
metrics = Metrics(namespace="ecrm", service="webhooks")
_METRICS = {
    "delivered": "WebhooksDelivered",
    "duplicate": "WebhookDuplicatesSkipped",
    "dropped": "WebhooksDropped",
}


def record_handler(message: records.QueueMessage) -> None:
    attempt = int(message.receive_count)
    try:
        outcome = delivery.deliver(message.body, attempt)
    except delivery.Failed as failed:
        metrics.add_metric(name="WebhookAttemptsFailed", unit=MetricUnit.Count, value=1)
        logger.warning("webhook delivery failed", extra={"reason": str(failed), "attempt": attempt})
        _later(message, delivery.backoff(attempt))
        raise
    metrics.add_metric(name=_METRICS[outcome], unit=MetricUnit.Count, value=1)


def _later(message: records.QueueMessage, seconds: int) -> None:
    """Hold the message back for the backoff (else it returns after the visibility timeout)."""
    url = settings().webhook_queue_url
    handle = message.raw.get("receiptHandle")
    if not url or not handle:
        return
    try:
        aws.sqs().change_message_visibility(
            QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=seconds
        )
    except Exception:  # the queue's own visibility timeout applies instead
        logger.exception("could not delay the retry")


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> records.BatchResponse:
    return records.each(event, record_handler, records.QueueMessage)
