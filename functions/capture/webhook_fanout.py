"""Webhook fan-out: new interactions of the types webhooks carry (the stream mapping's filter)
-> one queued delivery per endpoint that takes the type (`ecrm.webhooks.fanout`). The
endpoints are read once per batch. A record whose messages were not all queued is retried:
its deliveries keep their ids."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.platform import records
from ecrm.webhooks import fanout

logger = Logger(service="webhooks")
metrics = Metrics(namespace="ecrm", service="webhooks")


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> records.BatchResponse:
    hooks: list[dict[str, Any]] | None = None

    def record_handler(record: records.StreamRecord) -> None:
        nonlocal hooks
        found = fanout.event_of(record.new_image) if record.event_name == "INSERT" else None
        if found is None:
            return
        if hooks is None:
            hooks = fanout.subscribers()
        bodies = fanout.messages(found, hooks)
        fanout.enqueue(bodies)
        if bodies:
            metrics.add_metric(name="WebhooksQueued", unit=MetricUnit.Count, value=len(bodies))

    return records.each(event, record_handler, records.StreamRecord)
