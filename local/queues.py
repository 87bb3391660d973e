"""Deliver SQS messages to a function as Lambda's SQS event source mapping does: batches of up
to `BatchSize`, `FilterCriteria` (filtered-out messages are deleted), and partial failures with
`ReportBatchItemFailures`. A message not deleted becomes visible again after the queue's
visibility timeout and is redelivered; the queue's own RedrivePolicy moves it to a DLQ.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from local import pump
from local.event_filter import matches_any
from local.pump import IDLE_BACKOFF, Deliver, Pump, Record
from local.template import PollerSource

log = logging.getLogger(__name__)


class QueuePump(Pump):
    def __init__(
        self,
        *,
        name: str,
        sqs: Any,  # a boto3 "sqs" client
        queue_url: str,
        queue_arn: str,
        source: PollerSource,
        deliver: Deliver,
        region: str,
        poll_interval: float = 0.15,
        counted: bool = False,  # every message added is counted (`local.moto_threads`)
    ) -> None:
        wakes_on = pump.queue(queue_arn.rsplit(":", 1)[-1])
        super().__init__(name, poll_interval, idle_backoff=IDLE_BACKOFF, wakes_on=wakes_on)
        self.sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.source = source
        self.deliver = deliver
        self.region = region
        # Messages added to the queue so far (`local.pump.writes`), if every one is counted, and
        # that count when the queue last held nothing at all: until it changes, a poll is idle
        # without a call (a drain, or the back-off, woke it for nothing).
        self.writes = partial(pump.writes, wakes_on) if counted else None
        self._empty_at: int | None = None

    def poll_once(self) -> bool:
        added = self.writes() if self.writes is not None else None
        if added is not None and added == self._empty_at:
            return False
        messages = self._receive()
        if not messages:
            return self._in_flight(added)
        records = [lambda_record(m, self.queue_arn, self.region) for m in messages]
        wanted = [r for r in records if matches_any(self.source.filter_patterns, filter_view(r))]
        self._delete([r for r in records if r not in wanted])
        if wanted:
            self._delete(self._succeeded(wanted))
        self.delivered += len(records)
        return True

    def _in_flight(self, added: int | None) -> bool:
        """After an empty receive: messages in flight come back after their visibility timeout,
        so the queue is busy until none are. With nothing visible, in flight or delayed either,
        it is empty as of `added`, the count of messages taken before the receive."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        counts = {name: int(value) for name, value in attributes.items()}
        if added is not None and not any(counts.values()):
            self._empty_at = added
        return counts.get("ApproximateNumberOfMessagesNotVisible", 0) > 0

    def _receive(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < self.source.batch_size:
            received = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.source.batch_size - len(messages)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not received:
                break
            messages += received
        return messages

    def _succeeded(self, batch: list[Record]) -> list[Record]:
        try:
            response = self.deliver({"Records": batch})
        except Exception:
            log.exception(
                "%s: handler raised; the batch comes back after its visibility timeout", self.name
            )
            return []
        if not self.source.report_batch_item_failures or not isinstance(response, Mapping):
            return batch
        failures = response.get("batchItemFailures") or []
        failed = {f.get("itemIdentifier") for f in failures if isinstance(f, Mapping)}
        ids = {record["messageId"] for record in batch}
        if not failed <= ids:
            return []  # an unknown identifier fails the whole batch, as Lambda does
        return [record for record in batch if record["messageId"] not in failed]

    def _delete(self, records: list[Record]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)
                ],
            )


def lambda_record(message: Mapping[str, Any], queue_arn: str, region: str) -> Record:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def filter_view(record: Record) -> Record:
    """Lambda matches `body` patterns against the parsed body when the body is JSON."""
    try:
        body = json.loads(record["body"])
    except ValueError:
        return record
    return {**record, "body": body}


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    binary = value.get("BinaryValue")
    converted: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [
            base64.b64encode(b).decode("ascii") for b in value.get("BinaryListValues", [])
        ],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if binary is not None:
        converted["binaryValue"] = base64.b64encode(binary).decode("ascii")
    return converted
