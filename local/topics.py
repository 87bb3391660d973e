"""The template's SNS subscriptions, locally: publishing a message to a topic invokes every
function subscribed to it (`Type: SNS` events) with the event SNS would deliver.

SNS invokes Lambda asynchronously, so a raised error is retried as Lambda would
(`EventInvokeConfig.MaximumRetryAttempts`, default 2; locally without the minutes of waiting),
then the invocation record goes to the function's `OnFailure` SQS destination if it has one.
Subscription `FilterPolicy`s are not applied locally (a warning says so). Messages published
to the topic in moto by other code do not reach the functions: use `publish`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from local.intrinsics import Resolver
from local.lambda_runtime import LambdaRuntime
from local.ses_events import iso, sns_event
from local.template import Function

log = logging.getLogger(__name__)

Client = Callable[[str], Any]  # service name -> boto3 client on the local moto server


class Topics:
    def __init__(self, resolver: Resolver, runtime: LambdaRuntime, client: Client) -> None:
        self.resolver = resolver
        self.runtime = runtime
        self.client = client
        self._subscribers: dict[str, list[Function]] = {}
        for function in resolver.template.functions():
            for source in function.topic_sources:
                if source.filter_policy:
                    log.warning("%s: FilterPolicy is not applied locally", function.logical_id)
                arn = str(resolver.resolve(source.topic))
                self._subscribers.setdefault(arn, []).append(function)

    def subscribers(self, topic_arn: str) -> list[Function]:
        return list(self._subscribers.get(topic_arn, []))

    def publish(self, topic_arn: str, message: str, subject: str | None = None) -> int:
        """Deliver one message to each subscribed function; returns how many succeeded."""
        delivered = 0
        for function in self.subscribers(topic_arn):
            event = sns_event(topic_arn, message, subject=subject)
            delivered += invoke_async(self.runtime, self.resolver, function, event, self.client)
        return delivered


def invoke_async(
    runtime: LambdaRuntime,
    resolver: Resolver,
    function: Function,
    event: Any,
    client: Client,
    *,
    answered: Callable[[Any], None] | None = None,
) -> bool:
    """An asynchronous invocation (SNS, an SES receipt rule): retried, then parked. Lambda
    keeps the function's answer; `answered` is given it here (a local schedule reads it)."""
    config = function.properties.get("EventInvokeConfig", {})
    attempts = 1 + int(config.get("MaximumRetryAttempts", 2))
    error: Exception | None = None
    for _ in range(attempts):
        try:
            answer = runtime.invoke(function, event)
        except Exception as raised:  # whatever the handler raises, Lambda retries
            log.exception("%s raised on an asynchronous invocation", function.logical_id)
            error = raised
            continue
        if answered is not None:  # outside the try: only the handler's errors are retried
            answered(answer)
        return True
    destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    if destination is not None:
        record = {  # Lambda's invocation record, what an OnFailure destination receives
            "version": "1.0",
            "timestamp": iso(time.time()),
            "requestContext": {
                "functionArn": resolver.names.attributes.get((function.logical_id, "Arn"), ""),
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "responsePayload": {"errorType": type(error).__name__, "errorMessage": str(error)},
        }
        _park(str(resolver.resolve(destination)), record, client)
    return False


def _park(arn: str, record: dict[str, Any], client: Client) -> None:
    if not arn.startswith("arn:aws:sqs:"):
        log.warning("on-failure destination %s is not supported locally", arn)
        return
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record, default=str))
