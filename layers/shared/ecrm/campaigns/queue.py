"""The campaign queue (SQS): what fans a campaign out into batches, and how a batch that must
wait (throttled, paused mid-batch, waiting on another copy) comes back later. The only module
that sends to it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as NetworkError

from ecrm.platform import aws
from ecrm.platform.errors import Busy
from ecrm.platform.settings import settings

MAX_DELAY_SECONDS = 900  # SQS's longest DelaySeconds

Message = Mapping[str, Any]


def send(messages: Sequence[Message], *, delay: int = 0) -> None:
    """Send all `messages` (SendMessageBatch, 10 at a time), or raise `Busy`: entries SQS
    refuses are sent again once; none is dropped silently."""
    url = settings().campaign_queue_url
    if not url:
        raise RuntimeError("CAMPAIGN_QUEUE_URL is not set")
    delay = max(0, min(MAX_DELAY_SECONDS, int(delay)))
    for start in range(0, len(messages), 10):
        pending = {
            str(i): json.dumps(m, separators=(",", ":"))
            for i, m in enumerate(messages[start : start + 10])
        }
        for _ in range(2):
            entries = [
                {"Id": i, "MessageBody": b, "DelaySeconds": delay} for i, b in pending.items()
            ]
            try:
                response = aws.sqs().send_message_batch(QueueUrl=url, Entries=entries)  # type: ignore[arg-type]
            except (ClientError, NetworkError, HTTPClientError) as error:
                raise Busy("The campaign queue is unavailable; retry.") from error
            failed = {f["Id"] for f in response.get("Failed", [])}
            pending = {i: b for i, b in pending.items() if i in failed}
            if not pending:
                break
        if pending:
            raise Busy("The campaign queue refused messages; retry.")
