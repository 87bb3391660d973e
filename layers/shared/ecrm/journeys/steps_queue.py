"""The journey queue (SQS): how due runs reach the workers that move them. The schedule tick
reads the due index (`ecrm.due`) and hands each due run's key to the queue, ten to a
SendMessageBatch, a run due later in the current minute with `DelaySeconds` until its moment;
the queue's consumer (SchedulerFunction's `JourneyQueue` source, many at once:
`ecrm.journeys.queue_worker`) moves each run on with `engine.advance`, as the tick did in
turn before.

The queue hop adds no table read or write: a message is the run's key, and the consumer reads
the run as the tick did. Exactly once in effect is the run's: every move is conditional on the
`seq` read, so a message delivered twice, or sent twice (a tick that died after sending, the
minute read again), moves the run once and finds it moved the second time. A run that is busy
(a throttle, a claim still fresh) is sent back with a delay (`BUSY_DELAY`) and its record
succeeds, so waiting never walks a message to the dead-letter queue; only a run busy for
`MAX_BUSY` rounds (an hour) or a failure does. Its due entry stays in the index meanwhile.
The only module that sends to the queue.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as NetworkError

from ecrm.platform import aws, keys
from ecrm.platform.errors import Busy
from ecrm.platform.settings import settings

logger = Logger(service="mailing", child=True)

MAX_DELAY_SECONDS = 900  # SQS's longest DelaySeconds
BATCH = 10  # SendMessageBatch's most entries
BUSY_DELAY = 60  # seconds before a busy run is tried again (the tick's pace before the queue)
MAX_BUSY = 60  # rounds of BUSY_DELAY; then the record fails (and reaches the DLQ in time)


def configured() -> bool:
    """Whether the tick hands journey runs to the queue (deployed and `ecrm serve`); without
    it (a unit test, the bench's direct path) the tick moves them itself."""
    return bool(settings().journey_queue_url)


def delay_for(due_at: float, now: float) -> int:
    """Whole seconds until `due_at` (rounded up: a message is never early), within SQS's range."""
    return max(0, min(MAX_DELAY_SECONDS, math.ceil(due_at - now - 1e-6)))


def send(entries: Sequence[tuple[Mapping[str, Any], int]]) -> None:
    """Send each (message, delay) pair, ten per call, or raise `Busy`: entries SQS refuses are
    sent again once; none is dropped silently."""
    url = settings().journey_queue_url
    if not url:
        raise RuntimeError("JOURNEY_QUEUE_URL is not set")
    for start in range(0, len(entries), BATCH):
        pending = {
            str(i): (json.dumps(dict(m), separators=(",", ":")), d)
            for i, (m, d) in enumerate(entries[start : start + BATCH])
        }
        for _ in range(2):
            batch = [
                {"Id": i, "MessageBody": body, "DelaySeconds": delay}
                for i, (body, delay) in pending.items()
            ]
            try:
                response = aws.sqs().send_message_batch(QueueUrl=url, Entries=batch)  # type: ignore[arg-type]
            except (ClientError, NetworkError, HTTPClientError) as error:
                raise Busy("The journey queue is unavailable; retry.") from error
            failed = {f["Id"] for f in response.get("Failed", [])}
            pending = {i: p for i, p in pending.items() if i in failed}
            if not pending:
                break
        if pending:
            raise Busy("The journey queue refused messages; retry.")


def run_key(message: Mapping[str, Any]) -> dict[str, str]:
    """The run a message names (only a contact's journey run: anything else is refused)."""
    pk, sk = message.get("pk"), message.get("sk")
    if not (
        isinstance(pk, str)
        and isinstance(sk, str)
        and pk.startswith("CONTACT#")
        and sk.startswith(keys.JOURNEY_RUN)
    ):
        raise ValueError("not a journey run's key")
    return {"pk": pk, "sk": sk}


def is_cursor(value: Any) -> bool:
    """A page message's Query cursor (its next page's `ExclusiveStartKey`): none, or at most
    four string key attributes as DynamoDB gives them (`{"S": "..."}`). The consumers check it
    before a message's cursor reaches a Query."""
    return value is None or (
        isinstance(value, dict)
        and len(value) <= 4
        and all(
            isinstance(name, str)
            and isinstance(attribute, dict)
            and list(attribute) == ["S"]
            and isinstance(attribute["S"], str)
            for name, attribute in value.items()
        )
    )
