"""Wire the template's DynamoDB, SQS and schedule event sources to pumps that invoke their
functions."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from local import pump
from local.clients import factory
from local.intrinsics import Resolver
from local.lambda_runtime import LambdaRuntime
from local.moto_backend import forget_shard_iterator
from local.pump import Pump
from local.queues import QueuePump
from local.schedules import schedule_pumps
from local.stream_reads import StreamReader
from local.streams import StreamPump
from local.template import Function, PollerSource

log = logging.getLogger(__name__)


def build_pumps(
    resolver: Resolver,
    runtime: LambdaRuntime,
    moto_url: str,
    *,
    schedule_every: float | None = None,
) -> list[Pump]:
    """One pump per event source mapping, and one per schedule (`local.schedules`: every
    `schedule_every` seconds, or at the schedule's own rate); none started yet."""
    names = resolver.names
    client = factory(names.region, moto_url)

    pumps: list[Pump] = []
    readers: dict[str, StreamReader] = {}  # one per stream: its pumps share each read
    for function in resolver.template.functions():
        for source in function.stream_sources:
            stream_arn = str(resolver.resolve(source.source))
            if stream_arn not in readers:
                readers[stream_arn] = StreamReader(
                    client("dynamodbstreams"),
                    stream_arn,
                    forget_shard_iterator,
                    writes=partial(pump.writes, pump.DYNAMODB),  # counted by thread_safe_moto
                )
            pumps.append(
                StreamPump(
                    name=f"{function.logical_id}.{source.event_name}",
                    streams=client("dynamodbstreams"),
                    stream_arn=stream_arn,
                    source=source,
                    deliver=_deliverer(runtime, function),
                    region=names.region,
                    function_arn=names.attributes.get((function.logical_id, "Arn"), ""),
                    on_failure=_failure_destination(resolver, source, client),
                    forget_iterator=forget_shard_iterator,
                    reader=readers[stream_arn],
                )
            )
        for source in function.queue_sources:
            queue_arn = str(resolver.resolve(source.source))
            pumps.append(
                QueuePump(
                    name=f"{function.logical_id}.{source.event_name}",
                    sqs=client("sqs"),
                    queue_url=_queue_url(client("sqs"), queue_arn),
                    queue_arn=queue_arn,
                    source=source,
                    deliver=_deliverer(runtime, function),
                    region=names.region,
                    counted=True,  # thread_safe_moto counts each message added
                )
            )
    pumps += schedule_pumps(resolver, runtime, client, schedule_every)
    return pumps


def _deliverer(runtime: LambdaRuntime, function: Function) -> Callable[[dict[str, Any]], Any]:
    return lambda event: runtime.invoke(function, event)


def _queue_url(sqs: Any, queue_arn: str) -> str:
    return str(sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[1])["QueueUrl"])


def _failure_destination(
    resolver: Resolver, source: PollerSource, client: Callable[[str], Any]
) -> Callable[[dict[str, Any]], None] | None:
    """Where a stream mapping reports records it gave up on (an SQS queue or SNS topic)."""
    if source.on_failure_destination is None:
        return None
    arn = str(resolver.resolve(source.on_failure_destination))

    def send(notice: dict[str, Any]) -> None:
        body = json.dumps(notice)
        if arn.startswith("arn:aws:sqs:"):
            sqs = client("sqs")
            sqs.send_message(QueueUrl=_queue_url(sqs, arn), MessageBody=body)
        elif arn.startswith("arn:aws:sns:"):
            client("sns").publish(TopicArn=arn, Message=body)
        else:
            log.warning("on-failure destination %s is not supported locally", arn)

    return send
