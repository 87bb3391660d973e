"""Deliver DynamoDB stream records to a function as Lambda's event source mapping does:
filtered by `FilterCriteria`, batched by `BatchSize`, checkpointed per record with
`ReportBatchItemFailures`, retried up to `MaximumRetryAttempts`, then given up (and reported
to the `OnFailure` destination).

The pumps of one stream share its reads (`local.stream_reads`: one GetRecords for all of them,
its records as the wire carries them).
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from local.event_filter import matches_any
from local.pump import DYNAMODB, IDLE_BACKOFF, Deliver, Pump, Record
from local.stream_reads import Raw, StreamReader
from local.template import PollerSource

log = logging.getLogger(__name__)

OnFailure = Callable[[dict[str, Any]], None]


class StreamPump(Pump):
    def __init__(
        self,
        *,
        name: str,
        streams: Any,  # a boto3 "dynamodbstreams" client
        stream_arn: str,
        source: PollerSource,
        deliver: Deliver,
        region: str,
        function_arn: str = "",
        on_failure: OnFailure | None = None,
        forget_iterator: Callable[[str], None] | None = None,
        poll_interval: float = 0.15,
        retry_delay: float = 0.05,
        reader: StreamReader | None = None,  # shared with the stream's other pumps
    ) -> None:
        super().__init__(name, poll_interval, idle_backoff=IDLE_BACKOFF, wakes_on=DYNAMODB)
        self.reader = reader or StreamReader(streams, stream_arn, forget_iterator)
        self._inbox = self.reader.inbox()
        self.stream_arn = stream_arn
        self.source = source
        self.deliver = deliver
        self.region = region
        self.function_arn = function_arn
        self.on_failure = on_failure
        self.retry_delay = retry_delay
        self._pending: list[Record] = []  # fetched, filtered, not yet settled
        self._failed_key: str | None = None  # sequence number the retries are about
        self._attempts = 0

    def start(self) -> None:
        self.open()
        super().start()

    def open(self) -> None:
        """Take LATEST iterators, here and not in the thread: whatever is in the stream when
        start() returns (e.g. a restored snapshot) is never delivered."""
        self.reader.open()

    def poll_once(self) -> bool:
        fetched = self._fetch()
        if not self._pending:
            return fetched > 0
        self._deliver_batch()
        return True

    def _fetch(self) -> int:
        records = self.reader.take(self._inbox)
        for raw in records:
            record = wire_record(raw, self.stream_arn, self.region)
            if matches_any(self.source.filter_patterns, record):
                # Its own copy: the other pumps' functions get the same records.
                self._pending.append(json.loads(json.dumps(record)))
        return len(records)

    def _deliver_batch(self) -> None:
        batch = self._pending[: self.source.batch_size]
        first_failed = self._invoke(batch)
        if first_failed is None:
            self._settle(len(batch))
            self._failed_key, self._attempts = None, 0
            return
        self._settle(first_failed)  # Lambda checkpoints up to the first failed record
        key = batch[first_failed]["dynamodb"]["SequenceNumber"]
        self._attempts = self._attempts + 1 if key == self._failed_key else 1
        self._failed_key = key
        limit = self.source.maximum_retry_attempts
        if limit is not None and self._attempts > limit:
            # Bisecting isolates the failing record; without it Lambda gives up the whole batch.
            given_up = (
                batch[first_failed : first_failed + 1]
                if self.source.bisect_on_error
                else batch[first_failed:]
            )
            self._give_up(given_up)
        else:
            self.pause(min(self.retry_delay * self._attempts, 1.0))

    def _invoke(self, batch: list[Record]) -> int | None:
        """Index of the first record to redeliver, or None when the whole batch succeeded."""
        try:
            response = self.deliver({"Records": batch})
        except Exception:
            log.exception("%s: handler raised; the batch will be retried", self.name)
            return 0
        if not self.source.report_batch_item_failures or not isinstance(response, Mapping):
            return None
        failures = response.get("batchItemFailures") or []
        if not failures:
            return None
        sequence = [record["dynamodb"]["SequenceNumber"] for record in batch]
        failed = [f.get("itemIdentifier") for f in failures if isinstance(f, Mapping)]
        if any(item not in sequence for item in failed):
            return 0  # Lambda treats an unknown or empty identifier as a whole-batch failure
        return min(sequence.index(item) for item in failed)

    def _settle(self, count: int) -> None:
        del self._pending[:count]
        self.delivered += count

    def _give_up(self, records: list[Record]) -> None:
        log.warning(
            "%s: giving up %d record(s) after %d attempts (first sequence number %s)",
            self.name,
            len(records),
            self._attempts,
            records[0]["dynamodb"]["SequenceNumber"],
        )
        if self.on_failure is not None:
            self.on_failure(self._failure_notice(records))
        self._settle(len(records))
        self._failed_key, self._attempts = None, 0

    def _failure_notice(self, records: list[Record]) -> dict[str, Any]:
        """The invocation record Lambda sends to a stream mapping's OnFailure destination:
        metadata of the batch, not the records themselves."""
        arrivals = [r["dynamodb"].get("ApproximateCreationDateTime", 0) for r in records]
        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": self._attempts,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "shardId": self.reader.first_shard(),
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(arrivals[0]),
                "approximateArrivalOfLastRecord": _iso(arrivals[-1]),
                "batchSize": len(records),
                "streamArn": self.stream_arn,
            },
        }


def wire_record(raw: Raw, stream_arn: str, region: str) -> Record:
    """A GetRecords record as the wire carries it, as Lambda hands it to a function."""
    dynamodb = dict(raw["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, int | float):  # whole seconds, as Lambda gives them
        dynamodb["ApproximateCreationDateTime"] = float(int(created))
    return {
        "eventID": raw["eventID"],
        "eventName": raw["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


def lambda_record(raw: Mapping[str, Any], stream_arn: str, region: str) -> Record:
    """A GetRecords record as botocore parses it (times as datetimes, binary values as bytes),
    as Lambda hands it to a function (JSON: binary values as base64)."""
    dynamodb = _jsonable(dict(raw["dynamodb"]))
    created = raw["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = float(int(created.timestamp()))
    return {
        "eventID": raw["eventID"],
        "eventName": raw["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return float(int(value.timestamp()))
    return value


def _iso(epoch: Any) -> str:
    return datetime.fromtimestamp(float(epoch or 0), UTC).isoformat()
