"""Lambda's DynamoDB stream event source, for tests of stream consumers: batches of a fixed
size, each retried from its first failed record (ReportBatchItemFailures), a raised batch
redelivered whole."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ecrm.platform.records import AllRecordsFailed
from tests import events

Handler = Callable[[dict[str, Any], Any], Any]


def invoke(handler: Handler, batch: list[dict[str, Any]]) -> int | None:
    """Index of the first record Lambda would redeliver (None: the whole batch succeeded)."""
    try:
        response = handler({"Records": copy.deepcopy(batch)}, events.LambdaContext())
    except AllRecordsFailed:
        return 0
    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
    return min((numbers.index(f) for f in failed), default=None)


def deliver(
    handler: Handler, stream: list[dict[str, Any]], batch_size: int, *, twice: bool = False
) -> int:
    """Deliver `stream` until every record succeeded; `twice`: each batch is invoked again (a
    retried invocation whose answer was lost). Returns the number of invocations."""
    pending, invocations = list(stream), 0
    while pending:
        batch = pending[:batch_size]
        first_failed = invoke(handler, batch)
        if twice:
            first_failed = invoke(handler, batch)
        invocations += 1
        assert invocations < 500, "no progress"
        pending = pending[len(batch) if first_failed is None else first_failed :]
    return invocations
