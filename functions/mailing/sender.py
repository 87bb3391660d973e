"""Campaign sender: the campaign queue (SQS) -> plan a page of the audience, or send a batch.

Each message is one record; a record that raises is reported failed alone and comes back after
the queue's visibility timeout (then to the DLQ). Waiting (throttled, paused mid-batch, another
copy's claims) is not a failure: the domain sends the batch again with a delay and the record
succeeds, so throttling never walks a message towards the DLQ."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.campaigns import plan, sending
from ecrm.mail import sandbox_heap
from ecrm.platform import records

logger = Logger(service="mailing")
metrics = Metrics(namespace="ecrm", service="mailing")


def record_handler(
    record: records.QueueMessage, lambda_context: LambdaContext | None = None
) -> None:
    message = json.loads(record.body)
    if message.get("kind") == "plan":
        plan.plan(message)
        return
    first = record.receive_count == "1" and not message.get("attempt")
    result = sending.send_batch(
        message,
        first_delivery=first,
        seconds_left=lambda: (
            lambda_context.get_remaining_time_in_millis() / 1000 if lambda_context else 60.0
        ),
    )
    if result.sent:
        metrics.add_metric(name="CampaignMailsSent", unit=MetricUnit.Count, value=result.sent)
    if result.requeued_after is not None:
        metrics.add_metric(name="CampaignBatchesRequeued", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> records.BatchResponse:
    try:
        # A failed record (throttled table, say) is reported, even if all did: it comes back alone.
        return records.each(
            event,
            lambda record: record_handler(record, context),
            records.QueueMessage,
            raise_when_all_fail=False,
        )
    finally:
        sandbox_heap.freeze_after_first_invocation()  # a full GC pass costs send slots
